/**
 * The `/status` document: the primary, its workers with their pids and sessions, uptime, reloads and
 * the configuration generation, as one JSON object (the HTML page renders the same object).
 *
 * Owns: the shape and the building of that object from what the primary knows plus the workers'
 * answers. Pure: no I/O, the time is an argument.
 * Does not own asking workers (status-probe.ts) or HTTP (status-server.ts).
 */
import type { AcceptPolicy } from '../config/types.js';
import type { WorkerSummary } from '../metrics/worker-metrics.js';

/** What the primary knows of one worker process. */
export interface WorkerView {
  readonly pid: number;
  readonly slot: number;
  readonly generation: number;
  readonly state: 'starting' | 'ready' | 'retiring';
  readonly startedAtMs: number;
}

/** What the primary knows of itself. */
export interface PrimaryView {
  readonly version: string;
  readonly pid: number;
  readonly startedAtMs: number;
  readonly generation: number;
  readonly lastReload: { readonly atMs: number; readonly ok: boolean } | null;
  readonly reloads: { readonly ok: number; readonly failed: number };
  readonly workerRestarts: number;
  readonly acceptPolicy: AcceptPolicy;
  readonly workerProcesses: number;
  readonly workerConnections: number;
  readonly workers: readonly WorkerView[];
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
}

export interface StatusWorker {
  readonly pid: number;
  readonly slot: number;
  readonly generation: number;
  /** `retiring`: an old generation draining after a reload or QUIT */
  readonly state: 'starting' | 'ready' | 'retiring';
  readonly startedAt: string;
  readonly uptimeSeconds: number;
  /** null when the worker did not answer in time */
  readonly sessions: number | null;
  readonly sessionsByProtocol: { readonly imap: number; readonly pop3: number; readonly smtp: number } | null;
  readonly rssBytes: number | null;
  readonly heapUsedBytes: number | null;
  readonly eventLoopLagP99Seconds: number | null;
}

export interface StatusDocument {
  readonly version: string;
  readonly pid: number;
  readonly startedAt: string;
  readonly uptimeSeconds: number;
  readonly generation: number;
  readonly lastReload: { readonly at: string; readonly result: 'ok' | 'failed' } | null;
  readonly reloads: { readonly ok: number; readonly failed: number };
  readonly workerRestarts: number;
  readonly acceptPolicy: AcceptPolicy;
  readonly workerProcesses: number;
  readonly workerConnections: number;
  readonly sessions: { readonly total: number; readonly imap: number; readonly pop3: number; readonly smtp: number };
  readonly primary: { readonly rssBytes: number; readonly heapUsedBytes: number };
  readonly workers: readonly StatusWorker[];
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Seconds with millisecond precision, so the JSON stays short. */
function seconds(ms: number): number {
  return Math.round(ms) / 1000;
}

export function buildStatus(
  view: PrimaryView,
  summaries: ReadonlyMap<number, WorkerSummary | null>,
  nowMs: number,
): StatusDocument {
  const total = { total: 0, imap: 0, pop3: 0, smtp: 0 };
  const workers = [...view.workers]
    .sort((a, b) => b.generation - a.generation || a.slot - b.slot || a.pid - b.pid)
    .map((w): StatusWorker => {
      const s = summaries.get(w.pid) ?? null;
      if (s !== null) {
        total.total += s.sessions;
        total.imap += s.sessionsByProtocol.imap;
        total.pop3 += s.sessionsByProtocol.pop3;
        total.smtp += s.sessionsByProtocol.smtp;
      }
      return {
        pid: w.pid,
        slot: w.slot,
        generation: w.generation,
        state: w.state,
        startedAt: iso(w.startedAtMs),
        uptimeSeconds: seconds(nowMs - w.startedAtMs),
        sessions: s?.sessions ?? null,
        sessionsByProtocol: s === null ? null : { ...s.sessionsByProtocol },
        rssBytes: s?.rssBytes ?? null,
        heapUsedBytes: s?.heapUsedBytes ?? null,
        eventLoopLagP99Seconds: s === null ? null : Math.round(s.loopLagP99Seconds * 1e6) / 1e6,
      };
    });
  return {
    version: view.version,
    pid: view.pid,
    startedAt: iso(view.startedAtMs),
    uptimeSeconds: seconds(nowMs - view.startedAtMs),
    generation: view.generation,
    lastReload: view.lastReload === null ? null : { at: iso(view.lastReload.atMs), result: view.lastReload.ok ? 'ok' : 'failed' },
    reloads: { ...view.reloads },
    workerRestarts: view.workerRestarts,
    acceptPolicy: view.acceptPolicy,
    workerProcesses: view.workerProcesses,
    workerConnections: view.workerConnections,
    sessions: total,
    primary: { rssBytes: view.rssBytes, heapUsedBytes: view.heapUsedBytes },
    workers,
  };
}
