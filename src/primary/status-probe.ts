/**
 * Asking workers for their numbers: one `report` request per worker per scrape or status page, the
 * answers matched by id and bounded by a deadline, and each worker's counters kept when it goes away.
 *
 * Decision (issue 10): workers are asked on scrape rather than pushing on a timer. Nothing is spent
 * while nobody scrapes, and a scrape sees every session that ended before it. A worker that exits
 * normally sends one final report first; for one that dies, its last answer is kept, so only what it
 * counted after the previous scrape is lost.
 *
 * Owns: request ids, the deadline, and handing departed workers' counters to the aggregator.
 * Does not own the process table (primary.ts) or HTTP (status-server.ts).
 */
import { REPORT_TIMEOUT_MS } from '../limits.js';
import { MetricsAggregator } from '../metrics/aggregate.js';
import { checkMetricJson, type MetricJson } from '../metrics/json.js';
import type { WorkerSummary } from '../metrics/worker-metrics.js';
import type { PrimaryMessage, WorkerMessage } from './ipc.js';


export interface WorkerReport {
  readonly summary: WorkerSummary;
  readonly metrics: readonly MetricJson[];
}

interface Entry {
  /** the last metrics this worker gave (kept in case it dies without a final report) */
  lastMetrics: readonly MetricJson[];
  lastSummary: WorkerSummary | null;
  /** its counters are in the aggregator's retired totals: never ask it again, never count it live */
  retired: boolean;
}

interface Pending<K> {
  readonly key: K;
  readonly resolve: (r: WorkerReport | null) => void;
}

export interface ProbeOptions<K> {
  /** sends a request to a worker; false when it cannot be reached */
  readonly send: (key: K, msg: PrimaryMessage) => boolean;
  /** workers that did not answer in time, per collection */
  readonly onTimeout?: (count: number) => void;
  /** a report that failed its checks (logged by the primary) */
  readonly onInvalid?: (key: K) => void;
  readonly timeoutMs?: number;
}

export class WorkerReports<K> {
  readonly aggregator = new MetricsAggregator();
  private readonly entries = new Map<K, Entry>();
  private readonly pending = new Map<number, Pending<K>>();
  private nextId = 1;

  constructor(private readonly o: ProbeOptions<K>) {}

  /** A worker was forked. */
  add(key: K): void {
    this.entries.set(key, { lastMetrics: [], lastSummary: null, retired: false });
  }

  /** The last summary a worker gave, if any. */
  lastSummary(key: K): WorkerSummary | null {
    return this.entries.get(key)?.lastSummary ?? null;
  }

  /** A `report` message from a worker. */
  received(key: K, msg: Extract<WorkerMessage, { type: 'report' }>): void {
    const e = this.entries.get(key);
    const metrics = checkMetricJson(msg.metrics);
    if (metrics === null) {
      this.o.onInvalid?.(key);
      return;
    }
    if (e !== undefined && !e.retired) {
      e.lastSummary = msg.summary;
      if (metrics.length > 0) e.lastMetrics = metrics;
      if (msg.final) {
        e.retired = true;
        void this.aggregator.retire(metrics);
        this.abandon(key);
      }
    }
    if (!msg.final) {
      const p = this.pending.get(msg.id);
      if (p !== undefined && p.key === key) {
        this.pending.delete(msg.id);
        p.resolve({ summary: msg.summary, metrics });
      }
    }
  }

  /** The worker's process is gone and its channel closed: keep what it counted. */
  gone(key: K): void {
    const e = this.entries.get(key);
    this.entries.delete(key);
    this.abandon(key);
    if (e !== undefined && !e.retired) void this.aggregator.retire(e.lastMetrics);
  }

  /**
   * Asks every worker in `keys` (skipping retired ones) and waits for all answers or the deadline.
   * Workers that did not answer map to null.
   */
  async collect(keys: Iterable<K>, ask: { metrics: boolean; reset: boolean }): Promise<Map<K, WorkerReport | null>> {
    const out = new Map<K, WorkerReport | null>();
    const waits: Promise<void>[] = [];
    const ids: number[] = [];
    for (const key of keys) {
      const e = this.entries.get(key);
      if (e === undefined || e.retired) continue;
      const id = this.nextId++;
      const answered = new Promise<WorkerReport | null>((resolve) => {
        this.pending.set(id, { key, resolve });
      });
      ids.push(id);
      if (!this.o.send(key, { type: 'report', id, metrics: ask.metrics, reset: ask.reset })) {
        this.settle(id, null);
      }
      waits.push(
        answered.then((r) => {
          out.set(key, r);
        }),
      );
    }
    if (waits.length === 0) return out;
    const timer: { t?: NodeJS.Timeout } = {};
    const deadline = new Promise<void>((resolve) => {
      timer.t = setTimeout(resolve, this.o.timeoutMs ?? REPORT_TIMEOUT_MS);
    });
    await Promise.race([Promise.all(waits), deadline]);
    clearTimeout(timer.t);
    let late = 0;
    for (const id of ids) {
      if (this.pending.has(id)) {
        late++;
        this.settle(id, null);
      }
    }
    // settle() resolved the late ones with null; let their `then` run before returning
    await Promise.all(waits);
    if (late > 0) this.o.onTimeout?.(late);
    return out;
  }

  /**
   * The Prometheus page: asks every live worker, then sums their answers with the retired totals and
   * `own` (the primary's registry). A worker that retired while the scrape ran is counted once, in the
   * totals.
   */
  async metricsText(keys: Iterable<K>, own: () => Promise<readonly MetricJson[]>): Promise<string> {
    const reports = await this.collect(keys, { metrics: true, reset: true });
    const ownJson = await own();
    return this.aggregator.render(() => {
      const live: (readonly MetricJson[])[] = [];
      for (const [key, r] of reports) {
        const e = this.entries.get(key);
        if (r !== null && e !== undefined && !e.retired) live.push(r.metrics);
      }
      return live;
    }, ownJson);
  }

  private settle(id: number, r: WorkerReport | null): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    this.pending.delete(id);
    p.resolve(r);
  }

  /** Requests still waiting on a worker that will not answer now: answered with null at once. */
  private abandon(key: K): void {
    for (const [id, p] of this.pending) if (p.key === key) this.settle(id, null);
  }
}
