/**
 * A worker's metrics: the SessionMetrics events sessions call, recorded in lean series (series.ts)
 * exported in prom-client's JSON form, and the report the worker sends the primary when asked (and
 * once more before it exits).
 *
 * Owns: what each event counts, the per-process gauges of a worker, and the live-session summary for
 * `/status`. Does not own the transport (worker/worker.ts) or aggregation (aggregate.ts).
 *
 * Cost on the session path: about a dozen map updates per session (series.ts; measured in
 * docs/metrics.md); nothing per command or per relayed chunk. Bytes are counted when a session ends.
 */
import { MAX_BACKEND_LABELS, METRICS, REFUSED_REASONS } from './catalogue.js';
import type { MetricJson } from './json.js';
import { ProcessSampler, micro, type ProcessSample } from './process-sample.js';
import { HistogramSeries, Series, labelValue } from './series.js';
import type { MetricProtocol, SessionMetrics } from './types.js';

/** What `/status` shows of a worker. */
export interface WorkerSummary {
  readonly sessions: number;
  readonly sessionsByProtocol: Readonly<Record<MetricProtocol, number>>;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  readonly loopLagP99Seconds: number;
}

export interface WorkerMetricsOptions {
  /** the worker's slot (0-based), as a label of its process gauges */
  readonly slot: number;
  readonly pid: number;
}

export type RefusedReason = Parameters<SessionMetrics['refused']>[0];

export class WorkerMetrics implements SessionMetrics {
  readonly started = new Series(METRICS.sessionsStarted);
  readonly active = new Series(METRICS.sessionsActive);
  readonly ended = new Series(METRICS.sessionsEnded);
  readonly duration = new HistogramSeries(METRICS.sessionDuration);
  readonly bytes = new Series(METRICS.clientBytes);
  readonly logins = new Series(METRICS.logins);
  readonly authRequests = new Series(METRICS.authHttpRequests);
  readonly authErrors = new Series(METRICS.authHttpErrors);
  readonly authDuration = new HistogramSeries(METRICS.authHttpDuration);
  readonly upstreamDuration = new HistogramSeries(METRICS.upstreamConnectDuration);
  readonly upstreamErrors = new Series(METRICS.upstreamErrors);
  readonly tls = new Series(METRICS.tlsHandshakes);
  readonly tlsFailures = new Series(METRICS.tlsHandshakeFailures);
  readonly refusedCounter = new Series(METRICS.connectionsRefused);
  private readonly rss = new Series(METRICS.processResidentMemory);
  private readonly heap = new Series(METRICS.processHeapUsed);
  private readonly lag = new Series(METRICS.processEventLoopLag);
  private readonly all: readonly (Series | HistogramSeries)[];
  private readonly sampler: ProcessSampler;
  private readonly slot: string;
  private readonly pid: string;
  private readonly backends = new Set<string>();
  private readonly live: Record<MetricProtocol, number> = { imap: 0, pop3: 0, smtp: 0 };

  constructor(o: WorkerMetricsOptions) {
    this.all = [
      this.started,
      this.active,
      this.ended,
      this.duration,
      this.bytes,
      this.logins,
      this.authRequests,
      this.authErrors,
      this.authDuration,
      this.upstreamDuration,
      this.upstreamErrors,
      this.tls,
      this.tlsFailures,
      this.refusedCounter,
      this.rss,
      this.heap,
      this.lag,
    ];
    this.sampler = new ProcessSampler();
    this.slot = String(o.slot);
    this.pid = String(o.pid);
    // label-less counters exist at zero from the start, as prom-client's do
    this.tlsFailures.add(0);
  }

  // ---- SessionMetrics ----------------------------------------------------------------------------

  sessionStarted(protocol: MetricProtocol, server: string): void {
    const s = labelValue(server);
    this.started.add(1, protocol, s);
    this.active.add(1, protocol, s);
    this.live[protocol]++;
  }

  sessionEnded(
    protocol: MetricProtocol,
    server: string,
    reason: string,
    bytesFromClient: number,
    bytesToClient: number,
    durationMs: number,
  ): void {
    const s = labelValue(server);
    this.active.add(-1, protocol, s);
    this.live[protocol] = Math.max(0, this.live[protocol] - 1);
    this.ended.add(1, protocol, s, labelValue(reason));
    this.duration.observe(durationMs / 1000, protocol);
    this.bytes.add(bytesFromClient, protocol, s, 'in');
    this.bytes.add(bytesToClient, protocol, s, 'out');
    // max_errors and the pre-auth `timeout` are refusals an operator watches with access and
    // worker_connections (issue 10); their sessions carry these end reasons.
    if (reason === 'tooManyErrors') this.refusedCounter.add(1, REFUSED_REASONS.maxErrors);
    else if (reason === 'timeout') this.refusedCounter.add(1, REFUSED_REASONS.timeout);
  }

  login(protocol: MetricProtocol, method: string, outcome: 'ok' | 'fail' | 'error'): void {
    this.logins.add(1, protocol, labelValue(method), outcome);
  }

  authHttp(latencyMs: number, outcome: 'ok' | 'fail' | 'wait' | 'error', kind: string | null): void {
    this.authRequests.add(1, outcome);
    this.authDuration.observe(latencyMs / 1000);
    if (outcome === 'error') this.authErrors.add(1, labelValue(kind ?? 'io'));
  }

  upstream(backend: string, connectMs: number, error: string | null): void {
    const b = this.backendLabel(backend);
    if (error === null) this.upstreamDuration.observe(connectMs / 1000, b);
    else this.upstreamErrors.add(1, b, labelValue(error));
  }

  tlsHandshake(version: string | null, resumed: boolean): void {
    if (version === null) this.tlsFailures.add(1);
    else this.tls.add(1, labelValue(version), resumed ? 'yes' : 'no');
  }

  refused(reason: RefusedReason): void {
    this.refusedCounter.add(1, reason === 'access' ? REFUSED_REASONS.access : REFUSED_REASONS.workerConnections);
  }

  // ---- reports -----------------------------------------------------------------------------------

  /** Live sessions and process numbers, for `/status` (does not start a new event-loop window). */
  summary(): WorkerSummary {
    return summaryOf(this.live, this.sampler.sample(false));
  }

  /**
   * The registry as JSON for the primary, with the process gauges refreshed. `reset` starts a new
   * event-loop window (scrapes do; the final report before exit does not matter).
   */
  report(reset: boolean): Promise<{ summary: WorkerSummary; metrics: MetricJson[] }> {
    const s = this.sampler.sample(reset);
    const { slot, pid } = this;
    this.rss.set(s.rssBytes, 'worker', slot, pid);
    this.heap.set(s.heapUsedBytes, 'worker', slot, pid);
    this.lag.set(micro(s.loopLagP50Seconds), 'worker', slot, pid, 'p50');
    this.lag.set(micro(s.loopLagP99Seconds), 'worker', slot, pid, 'p99');
    this.lag.set(micro(s.loopLagMaxSeconds), 'worker', slot, pid, 'max');
    return Promise.resolve({ summary: summaryOf(this.live, s), metrics: this.all.map((m) => m.toJson()) });
  }

  close(): void {
    this.sampler.stop();
  }

  private backendLabel(backend: string): string {
    const b = labelValue(backend === '' ? 'unknown' : backend);
    if (this.backends.has(b)) return b;
    if (this.backends.size >= MAX_BACKEND_LABELS) return 'other';
    this.backends.add(b);
    return b;
  }
}

function summaryOf(live: Readonly<Record<MetricProtocol, number>>, s: ProcessSample): WorkerSummary {
  return {
    sessions: live.imap + live.pop3 + live.smtp,
    sessionsByProtocol: { ...live },
    rssBytes: s.rssBytes,
    heapUsedBytes: s.heapUsedBytes,
    loopLagP99Seconds: s.loopLagP99Seconds,
  };
}
