/**
 * The JSON form of a registry (prom-client's `getMetricsAsJSON()`), which is what a worker sends the
 * primary over IPC and what `AggregatorRegistry.aggregate()` takes.
 *
 * Owns: the type and a checking copy for what arrives over IPC. Does not own aggregation (aggregate.ts).
 */

export interface MetricJsonValue {
  readonly value: number;
  readonly labels: Readonly<Record<string, string | number>>;
  /** histograms: `<name>_bucket`, `<name>_sum`, `<name>_count` */
  readonly metricName?: string;
}

export interface MetricJson {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly aggregator: string;
  readonly values: readonly MetricJsonValue[];
}

const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary']);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function cleanValue(v: unknown): MetricJsonValue | null {
  if (!isRecord(v)) return null;
  const value = v['value'];
  const labels = v['labels'];
  if (!isRecord(labels)) return null;
  const out: Record<string, string | number> = {};
  for (const [k, l] of Object.entries(labels)) {
    if (typeof l !== 'string' && typeof l !== 'number') return null;
    out[k] = l;
  }
  // JSON turns NaN and ±Infinity into null; a sum must not meet them.
  const n = typeof value === 'number' && Number.isFinite(value) ? value : 0;
  if (value !== null && typeof value !== 'number') return null;
  const metricName = v['metricName'];
  return typeof metricName === 'string' ? { value: n, labels: out, metricName } : { value: n, labels: out };
}

/**
 * A checked copy of a metrics list received from another process, or null when it is not one (the
 * primary trusts nothing it did not check, STYLE 2.4).
 */
export function checkMetricJson(v: unknown): MetricJson[] | null {
  if (!Array.isArray(v)) return null;
  const out: MetricJson[] = [];
  for (const m of v) {
    if (!isRecord(m)) return null;
    const { name, help, type, aggregator, values } = m;
    if (typeof name !== 'string' || typeof help !== 'string' || typeof type !== 'string' || !TYPES.has(type)) return null;
    if (!Array.isArray(values)) return null;
    const clean: MetricJsonValue[] = [];
    for (const x of values) {
      const c = cleanValue(x);
      if (c === null) return null;
      clean.push(c);
    }
    out.push({ name, help, type, aggregator: typeof aggregator === 'string' ? aggregator : 'sum', values: clean });
  }
  return out;
}
