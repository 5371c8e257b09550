/**
 * Lean counters, gauges and histograms for the session path, exported in prom-client's JSON form
 * (what `AggregatorRegistry.aggregate()` takes), so the primary aggregates and renders them with
 * prom-client while a worker pays only a map lookup per event.
 *
 * Why not prom-client's own instruments in the worker: each `inc(labels)` validates and hashes the
 * label object (0.2–0.7 µs here); a session records about a dozen events, which came to 10 µs per
 * session, several percent of a session's whole CPU cost. These take a tenth of that (docs/metrics.md).
 *
 * Owns: storage per label set and the JSON export. Does not own names or help (catalogue.ts).
 * Label values are passed in the catalogue's label order. Nothing is ever removed: label values are
 * bounded (catalogue.ts), and a series that vanished would make a counter look reset.
 */
import { MAX_LABEL_VALUE_LENGTH, type MetricDef } from './catalogue.js';
import type { MetricJson, MetricJsonValue } from './json.js';

/** A label value from text we did not choose (config, auth_http): cut to a bounded length. */
export function labelValue(text: string): string {
  return text.length <= MAX_LABEL_VALUE_LENGTH ? text : text.slice(0, MAX_LABEL_VALUE_LENGTH);
}

function labelsOf(def: MetricDef, values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  def.labels.forEach((name, i) => {
    out[name] = values[i] ?? '';
  });
  return out;
}

/**
 * Label values → cell, one map level per label. Nested maps rather than a joined key: the values are
 * usually the same string objects every time (a protocol literal, the server's address text), whose
 * hashes V8 caches, so a lookup builds no new string.
 */
class Cells<C> {
  private readonly root = new Map<string, unknown>();
  private only: C | null = null;
  readonly list: C[] = [];

  constructor(private readonly make: (values: readonly string[]) => C) {}

  get(values: readonly string[]): C {
    if (values.length === 0) {
      this.only ??= this.add(values);
      return this.only;
    }
    let m = this.root;
    const last = values.length - 1;
    for (let i = 0; i < last; i++) {
      const v = values[i] ?? '';
      let next = m.get(v) as Map<string, unknown> | undefined;
      if (next === undefined) {
        next = new Map<string, unknown>();
        m.set(v, next);
      }
      m = next;
    }
    const leafKey = values[last] ?? '';
    let c = m.get(leafKey) as C | undefined;
    if (c === undefined) {
      c = this.add(values);
      m.set(leafKey, c);
    }
    return c;
  }

  /** The cell if it exists, without creating it. */
  peek(values: readonly string[]): C | undefined {
    if (values.length === 0) return this.only ?? undefined;
    let cur: unknown = this.root;
    for (const v of values) {
      if (!(cur instanceof Map)) return undefined;
      cur = cur.get(v);
    }
    return cur as C | undefined;
  }

  private add(values: readonly string[]): C {
    const c = this.make([...values]);
    this.list.push(c);
    return c;
  }
}

interface Cell {
  readonly labels: Record<string, string>;
  value: number;
}

/** A counter or gauge: one number per label set. */
export class Series {
  private readonly cells: Cells<Cell>;

  constructor(readonly def: MetricDef) {
    this.cells = new Cells((values) => ({ labels: labelsOf(def, values), value: 0 }));
  }

  /** Adds `n` (negative for a gauge going down). */
  add(n: number, ...values: string[]): void {
    this.cells.get(values).value += n;
  }

  set(n: number, ...values: string[]): void {
    this.cells.get(values).value = n;
  }

  /** The value of one label set (0 when never recorded); for tests and summaries. */
  get(...values: string[]): number {
    return this.cells.peek(values)?.value ?? 0;
  }

  toJson(): MetricJson {
    const values: MetricJsonValue[] = this.cells.list.map((c) => ({ value: c.value, labels: { ...c.labels } }));
    return { name: this.def.name, help: this.def.help, type: this.def.kind, aggregator: 'sum', values };
  }
}

interface HistCell {
  readonly labels: Record<string, string>;
  /** per bucket, not cumulative; the last slot is above the last bound (+Inf) */
  readonly counts: number[];
  sum: number;
  count: number;
}

/** A histogram with the catalogue's bucket bounds (upper bounds, inclusive, as Prometheus's `le`). */
export class HistogramSeries {
  private readonly cells: Cells<HistCell>;
  private readonly bounds: readonly number[];

  constructor(readonly def: MetricDef) {
    const bounds = def.buckets ?? [];
    this.bounds = bounds;
    this.cells = new Cells((values) => ({
      labels: labelsOf(def, values),
      counts: new Array<number>(bounds.length + 1).fill(0),
      sum: 0,
      count: 0,
    }));
  }

  observe(v: number, ...values: string[]): void {
    const c = this.cells.get(values);
    const b = this.bounds;
    let i = 0;
    while (i < b.length && v > (b[i] ?? Infinity)) i++;
    c.counts[i] = (c.counts[i] ?? 0) + 1;
    c.sum += v;
    c.count++;
  }

  /** Observations of one label set; for tests and summaries. */
  count(...values: string[]): number {
    return this.cells.peek(values)?.count ?? 0;
  }

  toJson(): MetricJson {
    const values: MetricJsonValue[] = [];
    const name = this.def.name;
    for (const c of this.cells.list) {
      let cumulative = 0;
      this.bounds.forEach((le, i) => {
        cumulative += c.counts[i] ?? 0;
        values.push({ value: cumulative, labels: { ...c.labels, le }, metricName: `${name}_bucket` });
      });
      values.push({ value: c.count, labels: { ...c.labels, le: '+Inf' }, metricName: `${name}_bucket` });
      values.push({ value: c.sum, labels: { ...c.labels }, metricName: `${name}_sum` });
      values.push({ value: c.count, labels: { ...c.labels }, metricName: `${name}_count` });
    }
    return { name, help: this.def.help, type: 'histogram', aggregator: 'sum', values };
  }
}
