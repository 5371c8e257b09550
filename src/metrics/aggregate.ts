/**
 * The primary's sum of its workers' metrics: the live workers' reports plus the totals of workers that
 * are gone, so counters never go backwards across a reload or a respawn.
 *
 * Owns: folding a departed worker's counters and histograms into the retired totals (its gauges die
 * with it), and rendering one Prometheus text page from everything. Uses prom-client's
 * AggregatorRegistry.aggregate, which sums values with equal labels.
 * Does not own asking workers (primary/status-probe.ts) or the HTTP side (primary/status-server.ts).
 */
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { MetricJson } from './json.js';

/** Counters and histograms outlive their worker; a gauge describes a process that no longer exists. */
function isCumulative(m: MetricJson): boolean {
  return m.type === 'counter' || m.type === 'histogram';
}

function aggregate(lists: readonly (readonly MetricJson[])[]): Registry {
  return AggregatorRegistry.aggregate(lists.filter((l) => l.length > 0));
}

export class MetricsAggregator {
  private retired: MetricJson[] = [];
  /** retirements run one after another: each reads and replaces `retired` across an await */
  private chain: Promise<void> = Promise.resolve();

  /** The retired totals so far (cumulative metrics of workers that are gone). */
  get retiredTotals(): readonly MetricJson[] {
    return this.retired;
  }

  /** A worker is gone: keep what it counted. `last` is its final report, or the last one it gave. */
  retire(last: readonly MetricJson[]): Promise<void> {
    const cumulative = last.filter(isCumulative);
    if (cumulative.length === 0) return this.chain;
    this.chain = this.chain.then(async () => {
      const merged = await aggregate([this.retired, cumulative]).getMetricsAsJSON();
      this.retired = (merged as unknown as MetricJson[]).filter(isCumulative);
    });
    return this.chain;
  }

  /**
   * The Prometheus text page: retired totals + the live workers' reports + the primary's own metrics.
   * `live` is called once pending retirements are done, so a worker that retired meanwhile (its report
   * now part of the totals) can be left out by the caller and is not counted twice.
   */
  async render(live: () => readonly (readonly MetricJson[])[], own: readonly MetricJson[]): Promise<string> {
    await this.chain;
    // aggregate() copies the values synchronously, so nothing can retire between live() and here
    return aggregate([this.retired, ...live(), own]).metrics();
  }
}

/** The Content-Type of the text page (Prometheus exposition format 0.0.4). */
export { prometheusContentType as PROMETHEUS_CONTENT_TYPE } from 'prom-client';
