/**
 * The messages between the primary and its workers (child_process IPC, JSON plus an optional handle),
 * with runtime guards: a worker trusts nothing it did not check, and neither does the primary.
 *
 * Owns: the wire contract of both directions. Does not own what either side does with a message.
 * (worker/ipc.ts re-exports it: the one shared contract of the two processes.)
 */
import type { MainConfig } from '../config/types.js';
import { isTicketKeySet, type TicketKeySet } from '../tls/ticket-keys.js';
import type { WorkerSummary } from '../metrics/worker-metrics.js';

/** One listening socket as the primary opened it (reference 2.4 grouping). */
export interface ListenerSpec {
  /** stable for the life of the socket, across reloads */
  readonly id: number;
  /** nginx's text of the socket's own address (`0.0.0.0:143`, `unix:/run/x.sock`) */
  readonly addrText: string;
  readonly backlog: number;
  /**
   * Every server/listen pair this socket serves: the wildcard's own first, then the specific
   * addresses that share it. The worker picks by the connection's local address (getsockname).
   */
  readonly targets: readonly ListenerTarget[];
}

export interface ListenerTarget {
  readonly serverIndex: number;
  readonly listenIndex: number;
  /** IP literal of the listen (tcp), '' for unix */
  readonly host: string;
  readonly port: number;
}

export type PrimaryMessage =
  /** first message: the resolved configuration (plain JSON) and this worker's identity */
  | {
      readonly type: 'config';
      readonly generation: number;
      readonly slot: number;
      readonly config: MainConfig;
      readonly listeners: readonly ListenerSpec[];
      /** the current shared session-ticket key (every worker encrypts tickets with it) */
      readonly ticketKeys: TicketKeySet;
    }
  /** the primary rotated the shared session-ticket key */
  | { readonly type: 'ticketKeys'; readonly keys: TicketKeySet }
  /** shared policy: the listening handle for a spec (sent with the handle, `keepOpen`) */
  | { readonly type: 'listener'; readonly id: number }
  /** least_conn policy: one accepted connection, paused, with its connection number */
  | { readonly type: 'connection'; readonly id: number; readonly cid: number }
  /** a block of connection numbers `[start, start + count)` */
  | { readonly type: 'cids'; readonly start: number; readonly count: number }
  /** graceful: stop accepting, let sessions end (worker_shutdown_timeout), exit */
  | { readonly type: 'drain' }
  /** fast: shut every session now, exit */
  | { readonly type: 'stop' }
  | { readonly type: 'reopen' }
  /**
   * `/metrics` or `/status`: send a `report` with this id. `metrics` false asks for the summary only;
   * `reset` starts a new event-loop lag window (scrapes do, status pages do not).
   */
  | { readonly type: 'report'; readonly id: number; readonly metrics: boolean; readonly reset: boolean };

export type WorkerMessage =
  /** every listener is listening (shared) or the configuration is in place (least_conn) */
  | { readonly type: 'ready' }
  /** the current connection-number block is running low */
  | { readonly type: 'needCids' }
  /** shared policy: the worker has room again; send the listener's handle once more */
  | { readonly type: 'relisten'; readonly id: number }
  /** least_conn: sessions closed since the last report (batched, not one message per session) */
  | { readonly type: 'closed'; readonly count: number }
  /**
   * least_conn: connections received since the last report (batched); the primary keeps its copy of
   * each handed-over connection until the worker confirms it, so one in flight to a worker that dies
   * is closed rather than left open in the primary
   */
  | { readonly type: 'received'; readonly count: number }
  /**
   * The answer to a `report` request (`final` false, the request's id), or, `final` true and id 0, the
   * worker's last counters, sent unasked just before it exits so nothing it counted is lost.
   * `metrics` is prom-client's getMetricsAsJSON() (empty when not asked for); the primary checks it
   * with metrics/json.ts before use.
   */
  | {
      readonly type: 'report';
      readonly id: number;
      readonly final: boolean;
      readonly summary: WorkerSummary;
      readonly metrics: readonly unknown[];
    };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

function isTarget(v: unknown): v is ListenerTarget {
  return (
    isRecord(v) &&
    isCount(v['serverIndex']) &&
    isCount(v['listenIndex']) &&
    typeof v['host'] === 'string' &&
    isCount(v['port'])
  );
}

function isSpec(v: unknown): v is ListenerSpec {
  return (
    isRecord(v) &&
    isCount(v['id']) &&
    typeof v['addrText'] === 'string' &&
    isCount(v['backlog']) &&
    Array.isArray(v['targets']) &&
    v['targets'].length > 0 &&
    v['targets'].every(isTarget)
  );
}

/** Guard for what a worker receives. The config's inner shape is the primary's own output. */
export function isPrimaryMessage(v: unknown): v is PrimaryMessage {
  if (!isRecord(v)) return false;
  switch (v['type']) {
    case 'config':
      return (
        isCount(v['generation']) &&
        isCount(v['slot']) &&
        isRecord(v['config']) &&
        Array.isArray(v['listeners']) &&
        v['listeners'].every(isSpec) &&
        isTicketKeySet(v['ticketKeys'])
      );
    case 'ticketKeys':
      return isTicketKeySet(v['keys']);
    case 'listener':
      return isCount(v['id']);
    case 'connection':
      return isCount(v['id']) && isCount(v['cid']);
    case 'cids':
      return isCount(v['start']) && isCount(v['count']) && v['count'] > 0;
    case 'drain':
    case 'stop':
    case 'reopen':
      return true;
    case 'report':
      return isCount(v['id']) && typeof v['metrics'] === 'boolean' && typeof v['reset'] === 'boolean';
    default:
      return false;
  }
}

function isNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

function isSummary(v: unknown): v is WorkerSummary {
  if (!isRecord(v)) return false;
  const p = v['sessionsByProtocol'];
  return (
    isCount(v['sessions']) &&
    isRecord(p) &&
    isCount(p['imap']) &&
    isCount(p['pop3']) &&
    isCount(p['smtp']) &&
    isNumber(v['rssBytes']) &&
    isNumber(v['heapUsedBytes']) &&
    isNumber(v['loopLagP99Seconds'])
  );
}

/** Guard for what the primary receives. */
export function isWorkerMessage(v: unknown): v is WorkerMessage {
  if (!isRecord(v)) return false;
  switch (v['type']) {
    case 'ready':
    case 'needCids':
      return true;
    case 'relisten':
      return isCount(v['id']);
    case 'closed':
    case 'received':
      return isCount(v['count']) && v['count'] > 0;
    case 'report':
      return isCount(v['id']) && typeof v['final'] === 'boolean' && isSummary(v['summary']) && Array.isArray(v['metrics']);
    default:
      return false;
  }
}
