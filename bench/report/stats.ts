/**
 * Statistics over repeated runs: median with min–max spread per metric, and target/baseline ratios
 * paired by round (each round runs every target back to back, so pairing cancels slow drift on a
 * shared machine).
 */
import { METRICS, type MetricKey, type Metrics } from './metrics.js';

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function spread(values: readonly number[]): Spread | null {
  const v = values.filter((x) => Number.isFinite(x));
  if (v.length === 0) return null;
  return { median: median(v), min: Math.min(...v), max: Math.max(...v), n: v.length };
}

/** One run's metrics with the round it belongs to. */
export interface RoundMetrics {
  readonly round: number;
  readonly metrics: Metrics;
}

/** Median and spread of every metric present in the runs. */
export function summarizeRuns(runs: readonly RoundMetrics[]): Partial<Record<MetricKey, Spread>> {
  const out: Partial<Record<MetricKey, Spread>> = {};
  for (const key of Object.keys(METRICS) as MetricKey[]) {
    const s = spread(runs.map((r) => r.metrics[key]).filter((x): x is number => x !== undefined));
    if (s !== null) out[key] = s;
  }
  return out;
}

/**
 * target/baseline for each metric, one ratio per round in which both ran, then their median and
 * spread. A ratio above 1 means "more" (better for `higher` metrics, worse for `lower` ones).
 */
export function pairedRatios(
  target: readonly RoundMetrics[],
  baseline: readonly RoundMetrics[],
): Partial<Record<MetricKey, Spread>> {
  const out: Partial<Record<MetricKey, Spread>> = {};
  for (const key of Object.keys(METRICS) as MetricKey[]) {
    const ratios: number[] = [];
    for (const t of target) {
      const b = baseline.find((x) => x.round === t.round);
      const tv = t.metrics[key];
      const bv = b?.metrics[key];
      if (tv === undefined || bv === undefined || bv === 0) continue;
      ratios.push(tv / bv);
    }
    const s = spread(ratios);
    if (s !== null) out[key] = s;
  }
  return out;
}

/** `1.52×` with its round-to-round range when there is one: `1.52× (1.40–1.61)`. */
export function formatRatio(s: Spread | undefined): string {
  if (s === undefined) return '–';
  const f = (x: number): string => x.toFixed(2);
  return s.n > 1 && s.max - s.min >= 0.005 ? `${f(s.median)}× (${f(s.min)}–${f(s.max)})` : `${f(s.median)}×`;
}
