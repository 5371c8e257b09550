/**
 * The events a worker's sessions report for metrics (issue: observability). Sessions call these on
 * their path; `metrics/` implements them with prom-client and ships them to the primary, which serves
 * `/metrics`. Kept to plain calls with primitive arguments so the per-session cost is a few increments.
 */

export type MetricProtocol = 'imap' | 'pop3' | 'smtp';

export interface SessionMetrics {
  /** a connection was accepted and handed to a session (`server` is the listen address text) */
  sessionStarted(protocol: MetricProtocol, server: string): void;
  /** the session's single end, with the same reason as its `session closed` line */
  sessionEnded(
    protocol: MetricProtocol,
    server: string,
    reason: string,
    bytesFromClient: number,
    bytesToClient: number,
    durationMs: number,
  ): void;
  /** an auth_http answer for a login attempt: `ok`, `fail` (refused), `error` (unusable/unreachable) */
  login(protocol: MetricProtocol, method: string, outcome: 'ok' | 'fail' | 'error'): void;
  /** one auth_http exchange (WAIT retries included), its latency and outcome; `kind` for errors */
  authHttp(latencyMs: number, outcome: 'ok' | 'fail' | 'wait' | 'error', kind: string | null): void;
  /** the backend connect + login finished; `error` is null on success, else a short cause */
  upstream(backend: string, connectMs: number, error: string | null): void;
  /** a client TLS handshake: protocol version (null when it failed), resumed or not */
  tlsHandshake(version: string | null, resumed: boolean): void;
  /** a connection refused before a session: access rules, worker_connections */
  refused(reason: 'access' | 'workerConnections'): void;
}

/** For tests and single-shot tools: every event is dropped. */
export const NULL_METRICS: SessionMetrics = {
  sessionStarted: () => undefined,
  sessionEnded: () => undefined,
  login: () => undefined,
  authHttp: () => undefined,
  upstream: () => undefined,
  tlsHandshake: () => undefined,
  refused: () => undefined,
};
