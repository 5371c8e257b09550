/**
 * The primary's side of the status listener (`status_listen`, ours): the listener currently open, and
 * what `/metrics` and `/status` read from the primary at request time (its own metrics, the process
 * table, the generation and last reload, the workers' reports).
 *
 * Owns: the open StatusServer (null when off) and the StatusSource it serves. Does not own HTTP
 * (status-server.ts), when the listener opens, moves or closes (primary.ts at start and exit, reload.ts
 * on HUP), or the documents' layout (status-report.ts, status-page.ts).
 */
import type { AccessRule } from '../config/types.js';
import { VERSION } from '../cli/version.js';
import type { Logger } from '../log/types.js';
import type { PrimaryMetrics } from '../metrics/primary-metrics.js';
import type { PrimaryState } from './primary-state.js';
import { buildStatus, type StatusDocument } from './status-report.js';
import { StatusServer, type StatusListen, type StatusSource } from './status-server.js';
import type { WorkerPool, WorkerProc } from './worker-pool.js';

export interface StatusSourceOptions {
  readonly state: PrimaryState;
  readonly workers: WorkerPool;
  readonly metrics: PrimaryMetrics;
  /** when the primary started (epoch ms) */
  readonly startedAtMs: number;
}

/** What the status listener serves, read from the primary at request time. */
export function primaryStatusSource(o: StatusSourceOptions): StatusSource {
  const { state, workers, metrics } = o;
  /**
   * Workers worth asking for numbers: a starting worker is still loading (it could not answer before
   * the deadline) and has accepted nothing yet.
   */
  const reportingWorkers = (): WorkerProc[] => [...workers.values()].filter((w) => w.state !== 'starting');
  return {
    metricsText: () =>
      workers.reports.metricsText(reportingWorkers(), () => metrics.report([...workers.values()].map((w) => w.state))),
    status: async (): Promise<StatusDocument> => {
      const answers = await workers.reports.collect(reportingWorkers(), { metrics: false, reset: false });
      const summaries = new Map([...answers].map(([w, r]) => [w.pid, r?.summary ?? null] as const));
      const own = metrics.sample(false);
      return buildStatus(
        {
          version: VERSION,
          pid: process.pid,
          startedAtMs: o.startedAtMs,
          generation: state.generation,
          lastReload: state.lastReload,
          reloads: metrics.reloadTotals,
          workerRestarts: metrics.restartsTotal,
          acceptPolicy: state.config.acceptPolicy,
          workerProcesses: state.config.workerProcesses,
          workerConnections: state.config.workerConnections,
          workers: [...workers.values()].map((w) => ({
            pid: w.pid,
            slot: w.slot,
            generation: w.generation,
            state: w.state,
            startedAtMs: w.startedAt,
          })),
          rssBytes: own.rssBytes,
          heapUsedBytes: own.heapUsedBytes,
        },
        summaries,
        Date.now(),
      );
    },
  };
}

/** The status listener slot: at most one open listener, serving one source for the primary's life. */
export class StatusListener {
  /** the open listener; null when `status_listen` is off */
  server: StatusServer | null = null;

  constructor(readonly source: StatusSource) {}

  /** The bound port (0 when the listener is off). */
  get port(): number {
    return this.server?.port ?? 0;
  }

  /** Opens a listener on `listen` serving this source; the caller decides when it replaces `server`. */
  open(listen: StatusListen, access: readonly AccessRule[], log: Logger): Promise<StatusServer> {
    return StatusServer.open(listen, access, this.source, log);
  }

  close(): void {
    this.server?.close();
    this.server = null;
  }
}
