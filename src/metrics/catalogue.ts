/**
 * Every metric postern exports: name, type, help text, label names and buckets, in one table that the
 * workers, the primary and docs/metrics.md (kept in step by a unit test) all read.
 *
 * Owns: the names and shapes. Does not own recording (worker-metrics.ts, primary-metrics.ts) or
 * serving (primary/status-server.ts).
 *
 * Label values are bounded: protocols, configured listen addresses (`server`), end reasons, SASL
 * methods, backends (chosen by the operator's auth service; capped below), TLS versions. Never a
 * client address or a login.
 */
import { MAX_BACKEND_LABELS, MAX_LABEL_VALUE_LENGTH } from '../limits.js';

export type MetricKind = 'counter' | 'gauge' | 'histogram';

/** Where a metric is recorded: summed over workers, or kept by the primary alone. */
export type MetricSource = 'worker' | 'primary' | 'both';

export interface MetricDef {
  readonly name: string;
  readonly kind: MetricKind;
  readonly help: string;
  readonly labels: readonly string[];
  readonly source: MetricSource;
  /** histograms only, in seconds */
  readonly buckets?: readonly number[];
}

/** Latency of a network round trip on a LAN or loopback: 1 ms to 10 s. */
const ROUND_TRIP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;
/** Session lengths: a login-and-quit is well under a second, an IMAP IDLE session lasts hours. */
const SESSION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 14400] as const;

/** Labels of the per-process gauges: `role` primary|worker, the worker's `slot` ('' for the primary), `pid`. */
const PROCESS_LABELS = ['role', 'slot', 'pid'] as const;

export const METRICS = {
  sessionsStarted: {
    name: 'postern_sessions_started_total',
    kind: 'counter',
    help: 'Client sessions started (connections accepted and handed to a session).',
    labels: ['protocol', 'server'],
    source: 'worker',
  },
  sessionsActive: {
    name: 'postern_sessions_active',
    kind: 'gauge',
    help: 'Client sessions open now, over all workers (draining ones included).',
    labels: ['protocol', 'server'],
    source: 'worker',
  },
  sessionsEnded: {
    name: 'postern_sessions_ended_total',
    kind: 'counter',
    help: 'Client sessions ended, by the reason of their "session closed" log line.',
    labels: ['protocol', 'server', 'reason'],
    source: 'worker',
  },
  sessionDuration: {
    name: 'postern_session_duration_seconds',
    kind: 'histogram',
    help: 'Length of client sessions, from accept to close.',
    labels: ['protocol'],
    source: 'worker',
    buckets: SESSION_BUCKETS,
  },
  clientBytes: {
    name: 'postern_client_bytes_total',
    kind: 'counter',
    help: 'Bytes from (direction="in") and to (direction="out") clients, counted when a session ends.',
    labels: ['protocol', 'server', 'direction'],
    source: 'worker',
  },
  logins: {
    name: 'postern_logins_total',
    kind: 'counter',
    help: 'Login attempts answered by auth_http: outcome ok, fail (refused) or error (auth_http unusable).',
    labels: ['protocol', 'method', 'outcome'],
    source: 'worker',
  },
  authHttpRequests: {
    name: 'postern_auth_http_requests_total',
    kind: 'counter',
    help: 'auth_http exchanges by outcome (ok, fail, wait, error).',
    labels: ['outcome'],
    source: 'worker',
  },
  authHttpErrors: {
    name: 'postern_auth_http_errors_total',
    kind: 'counter',
    help: 'auth_http exchanges that failed, by kind (connect, timeout, io, invalid, ...).',
    labels: ['kind'],
    source: 'worker',
  },
  authHttpDuration: {
    name: 'postern_auth_http_duration_seconds',
    kind: 'histogram',
    help: 'Latency of auth_http exchanges (WAIT retries included), every outcome.',
    labels: [],
    source: 'worker',
    buckets: ROUND_TRIP_BUCKETS,
  },
  upstreamConnectDuration: {
    name: 'postern_upstream_connect_duration_seconds',
    kind: 'histogram',
    help: 'Time to connect to a backend and log in there, successful logins only.',
    labels: ['backend'],
    source: 'worker',
    buckets: ROUND_TRIP_BUCKETS,
  },
  upstreamErrors: {
    name: 'postern_upstream_errors_total',
    kind: 'counter',
    help: 'Backend connects or logins that failed, by backend and cause.',
    labels: ['backend', 'error'],
    source: 'worker',
  },
  tlsHandshakes: {
    name: 'postern_tls_handshakes_total',
    kind: 'counter',
    help: 'Client TLS handshakes that completed (implicit TLS and STARTTLS), by version and resumption.',
    labels: ['version', 'resumed'],
    source: 'worker',
  },
  tlsHandshakeFailures: {
    name: 'postern_tls_handshake_failures_total',
    kind: 'counter',
    help: 'Client TLS handshakes that failed.',
    labels: [],
    source: 'worker',
  },
  connectionsRefused: {
    name: 'postern_connections_refused_total',
    kind: 'counter',
    help: 'Connections refused or cut: access (allow/deny), worker_connections, max_errors, timeout (pre-auth).',
    labels: ['reason'],
    source: 'both',
  },
  processResidentMemory: {
    name: 'postern_process_resident_memory_bytes',
    kind: 'gauge',
    help: 'Resident memory of each postern process.',
    labels: PROCESS_LABELS,
    source: 'both',
  },
  processHeapUsed: {
    name: 'postern_process_heap_used_bytes',
    kind: 'gauge',
    help: 'V8 heap in use in each postern process.',
    labels: PROCESS_LABELS,
    source: 'both',
  },
  processEventLoopLag: {
    name: 'postern_process_event_loop_lag_seconds',
    kind: 'gauge',
    help: 'Event-loop delay of each process since the previous scrape (stat: p50, p99, max).',
    labels: [...PROCESS_LABELS, 'stat'],
    source: 'both',
  },
  workerRestarts: {
    name: 'postern_worker_restarts_total',
    kind: 'counter',
    help: 'Workers re-forked after an unexpected exit.',
    labels: [],
    source: 'primary',
  },
  workers: {
    name: 'postern_workers',
    kind: 'gauge',
    help: 'Worker processes by state (starting, ready, retiring).',
    labels: ['state'],
    source: 'primary',
  },
  configReloads: {
    name: 'postern_config_reloads_total',
    kind: 'counter',
    help: 'Reloads (HUP) by result: ok, or failed (the running configuration was kept).',
    labels: ['result'],
    source: 'primary',
  },
  configGeneration: {
    name: 'postern_config_generation',
    kind: 'gauge',
    help: 'Configuration generation in service (1 at start, +1 per successful reload).',
    labels: [],
    source: 'primary',
  },
  configLastReloadSuccess: {
    name: 'postern_config_last_reload_success_timestamp_seconds',
    kind: 'gauge',
    help: 'Unix time of the last successful reload (or of the start).',
    labels: [],
    source: 'primary',
  },
  startTime: {
    name: 'postern_start_time_seconds',
    kind: 'gauge',
    help: 'Unix time the primary started.',
    labels: [],
    source: 'primary',
  },
  reportTimeouts: {
    name: 'postern_metrics_worker_timeouts_total',
    kind: 'counter',
    help: 'Scrapes in which a worker did not report in time (its live values were left out).',
    labels: [],
    source: 'primary',
  },
} as const satisfies Record<string, MetricDef>;

export type MetricKey = keyof typeof METRICS;

/** `postern_connections_refused_total{reason}` values. */
export const REFUSED_REASONS = {
  access: 'access',
  workerConnections: 'worker_connections',
  maxErrors: 'max_errors',
  timeout: 'timeout',
} as const;

// moved to src/limits.ts; re-exported for the modules that import them from here
export { MAX_BACKEND_LABELS, MAX_LABEL_VALUE_LENGTH };
