/**
 * prom-client instruments built from the catalogue, in a registry of their own (never prom-client's
 * global one, so tests and the primary can hold several). Used by the primary, whose events are rare;
 * workers record with series.ts.
 *
 * Owns: turning a MetricDef into a Counter/Gauge/Histogram. Does not own what is recorded when
 * (primary-metrics.ts).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { MetricDef } from './catalogue.js';

export function newRegistry(): Registry {
  return new Registry();
}

export function counter(reg: Registry, def: MetricDef): Counter {
  return new Counter({ name: def.name, help: def.help, labelNames: [...def.labels], registers: [reg] });
}

/** Gauges are summed over workers by the primary (per-process gauges carry a `pid` label, so they stay apart). */
export function gauge(reg: Registry, def: MetricDef): Gauge {
  return new Gauge({ name: def.name, help: def.help, labelNames: [...def.labels], registers: [reg], aggregator: 'sum' });
}

export function histogram(reg: Registry, def: MetricDef): Histogram {
  return new Histogram({
    name: def.name,
    help: def.help,
    labelNames: [...def.labels],
    buckets: [...(def.buckets ?? [])],
    registers: [reg],
  });
}
