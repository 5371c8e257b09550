/**
 * The primary's own metrics: worker restarts and states, configuration reloads and generation,
 * connections it refused itself (least_conn with every worker full), scrapes a worker missed, and the
 * primary's process gauges.
 *
 * Owns: recording those. Does not own anything a worker counts (worker-metrics.ts) or the sum of the
 * two (aggregate.ts).
 */
import type { Counter, Gauge, Registry } from 'prom-client';
import { METRICS, REFUSED_REASONS } from './catalogue.js';
import type { MetricJson } from './json.js';
import { ProcessSampler, micro, type ProcessSample } from './process-sample.js';
import { counter, gauge, newRegistry } from './registry.js';

export type WorkerStateName = 'starting' | 'ready' | 'retiring';

export class PrimaryMetrics {
  readonly registry: Registry;
  private readonly restarts: Counter;
  private readonly workers: Gauge;
  private readonly reloads: Counter;
  private readonly generation: Gauge;
  private readonly lastReload: Gauge;
  private readonly startTime: Gauge;
  private readonly refusedCounter: Counter;
  private readonly timeouts: Counter;
  private readonly rss: Gauge;
  private readonly heap: Gauge;
  private readonly lag: Gauge;
  private readonly sampler = new ProcessSampler();
  private readonly labels: { role: string; slot: string; pid: string };
  private restartCount = 0;
  private reloadCounts = { ok: 0, failed: 0 };

  constructor(pid: number, startedAtMs: number) {
    const reg = newRegistry();
    this.registry = reg;
    this.restarts = counter(reg, METRICS.workerRestarts);
    this.workers = gauge(reg, METRICS.workers);
    this.reloads = counter(reg, METRICS.configReloads);
    this.generation = gauge(reg, METRICS.configGeneration);
    this.lastReload = gauge(reg, METRICS.configLastReloadSuccess);
    this.startTime = gauge(reg, METRICS.startTime);
    this.refusedCounter = counter(reg, METRICS.connectionsRefused);
    this.timeouts = counter(reg, METRICS.reportTimeouts);
    this.rss = gauge(reg, METRICS.processResidentMemory);
    this.heap = gauge(reg, METRICS.processHeapUsed);
    this.lag = gauge(reg, METRICS.processEventLoopLag);
    this.labels = { role: 'primary', slot: '', pid: String(pid) };
    // Zero series exist from the start, so `increase()` sees the first reload and restart.
    this.restarts.inc(0);
    this.reloads.inc({ result: 'ok' }, 0);
    this.reloads.inc({ result: 'failed' }, 0);
    this.timeouts.inc(0);
    this.refusedCounter.inc({ reason: REFUSED_REASONS.workerConnections }, 0);
    this.startTime.set(startedAtMs / 1000);
    this.lastReload.set(startedAtMs / 1000);
    this.generation.set(1);
  }

  get restartsTotal(): number {
    return this.restartCount;
  }

  get reloadTotals(): { readonly ok: number; readonly failed: number } {
    return this.reloadCounts;
  }

  workerRestarted(): void {
    this.restartCount++;
    this.restarts.inc();
  }

  reloaded(ok: boolean, generation: number, atMs: number): void {
    this.reloads.inc({ result: ok ? 'ok' : 'failed' });
    if (ok) {
      this.reloadCounts = { ...this.reloadCounts, ok: this.reloadCounts.ok + 1 };
      this.generation.set(generation);
      this.lastReload.set(atMs / 1000);
    } else {
      this.reloadCounts = { ...this.reloadCounts, failed: this.reloadCounts.failed + 1 };
    }
  }

  /** least_conn: the primary had no worker with room for a connection */
  refusedWorkerConnections(): void {
    this.refusedCounter.inc({ reason: REFUSED_REASONS.workerConnections });
  }

  reportTimedOut(count: number): void {
    this.timeouts.inc(count);
  }

  /** The primary's own process numbers (for `/status`). */
  sample(reset: boolean): ProcessSample {
    return this.sampler.sample(reset);
  }

  /** The registry as JSON, with worker counts and the process gauges refreshed. */
  async report(workerStates: readonly WorkerStateName[]): Promise<MetricJson[]> {
    const counts: Record<WorkerStateName, number> = { starting: 0, ready: 0, retiring: 0 };
    for (const s of workerStates) counts[s]++;
    for (const [state, n] of Object.entries(counts)) this.workers.set({ state }, n);
    const s = this.sampler.sample(true);
    this.rss.set(this.labels, s.rssBytes);
    this.heap.set(this.labels, s.heapUsedBytes);
    this.lag.set({ ...this.labels, stat: 'p50' }, micro(s.loopLagP50Seconds));
    this.lag.set({ ...this.labels, stat: 'p99' }, micro(s.loopLagP99Seconds));
    this.lag.set({ ...this.labels, stat: 'max' }, micro(s.loopLagMaxSeconds));
    return (await this.registry.getMetricsAsJSON()) as unknown as MetricJson[];
  }

  close(): void {
    this.sampler.stop();
  }
}
