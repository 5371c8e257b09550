/**
 * Every built-in size, count and time in one place, each with why it has its value (STYLE 2.1).
 * Config defaults that mirror nginx say so; values of our own say what they protect.
 */

/** nginx's `pagesize` default for imap/smtp_client_buffer and proxy_buffer (x86-64 Linux page). */
export const PAGE_SIZE = 4096;

/** nginx: POP3's command buffer is hard-coded to 128 bytes (ngx_mail_pop3_init_protocol). Our default for pop3_client_buffer. */
export const POP3_CLIENT_BUFFER_DEFAULT = 128;

/** nginx default `max_errors` (1.21.0). */
export const MAX_ERRORS_DEFAULT = 5;

/** nginx default `timeout` (60s): the pre-auth and backend-login deadline. */
export const TIMEOUT_DEFAULT_MS = 60_000;

/** nginx default `auth_http_timeout`. */
export const AUTH_HTTP_TIMEOUT_DEFAULT_MS = 60_000;

/** nginx reads auth responses into a fixed 1024-byte buffer; our default for auth_http_max_response. */
export const AUTH_HTTP_MAX_RESPONSE_DEFAULT = 1024;

/** Q-7 fix: a WAIT without a positive Auth-Wait is retried after this delay instead of at once, forever. */
export const AUTH_WAIT_MIN_RETRY_MS = 1000;

/** Q-7 fix: WAIT answers in a row before the session gets an internal error instead of another retry. */
export const AUTH_WAIT_MAX_RETRIES = 10;

/** nginx default `proxy_timeout` (24h). */
export const PROXY_TIMEOUT_DEFAULT_MS = 24 * 3600 * 1000;

/** nginx default `resolver_timeout`. */
export const RESOLVER_TIMEOUT_DEFAULT_MS = 30_000;

/** nginx DEFAULT_CONNECTIONS for `worker_connections`. */
export const WORKER_CONNECTIONS_DEFAULT = 512;

/** nginx's listen() backlog default on Linux (NGX_LISTEN_BACKLOG). */
export const LISTEN_BACKLOG_DEFAULT = 511;

/** nginx default `ssl_session_timeout` (5m). */
export const SSL_SESSION_TIMEOUT_DEFAULT_MS = 5 * 60 * 1000;

/** IMAP tag length limit nginx enforces (Q-17: mirrored). */
export const IMAP_TAG_MAX = 32;

/** nginx accepts at most 3 arguments before authentication in IMAP and POP3. */
export const IMAP_POP3_MAX_ARGS = 3;

/** nginx accepts at most 11 SMTP arguments per command (rfc5321 parameters fit). */
export const SMTP_MAX_ARGS = 11;

/** nginx MSG_PEEKs up to 4096 bytes for a PROXY header; v2 headers with TLVs fit. */
export const PROXY_PROTOCOL_MAX_HEADER = 4096;

/** A killed worker is re-forked after this delay, doubling per quick death up to the max. */
export const WORKER_RESPAWN_BACKOFF_MIN_MS = 100;
export const WORKER_RESPAWN_BACKOFF_MAX_MS = 10_000;

/** nginx fast shutdown: TERM resent from 50ms doubling; SIGKILL after the delay passes 1s. */
export const FAST_SHUTDOWN_FIRST_RETRY_MS = 50;
export const FAST_SHUTDOWN_KILL_AFTER_MS = 1000;

/**
 * Node timers overflow past 2^31-1 ms (about 24.8 days) and then fire after 1 ms; nginx's time values
 * can be larger (`timeout 100d` is valid). Every timer armed from a configured time goes through this.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;
export function timerMs(ms: number): number {
  return ms > MAX_TIMER_MS ? MAX_TIMER_MS : ms < 0 ? 0 : ms;
}

/** nginx: ngx_open_listening_sockets tries 5 times, 500 ms apart, while the address is in use. */
export const BIND_TRIES = 5;
export const BIND_RETRY_DELAY_MS = 500;

/** Connection numbers per block the primary hands a worker: one IPC message per this many connections. */
export const CID_BLOCK_SIZE = 1024;
/** A worker asks for the next block when fewer numbers than this are left. */
export const CID_LOW_WATER = 512;

/** least_conn: closes are collected this long before one `closed` report to the primary. */
export const CLOSED_REPORT_DELAY_MS = 20;
/**
 * least_conn: connections accepted while no worker is ready (start-up, a respawn) wait in the primary
 * for one, as they would wait in the listen backlog under nginx; at most this many, for at most this
 * long, then they are closed.
 */
export const LEAST_CONN_PENDING_MAX = 4096;
export const LEAST_CONN_PENDING_MS = 30_000;

/** A metrics scrape waits this long for a worker; a worker that takes longer is wedged. */
export const REPORT_TIMEOUT_MS = 1000;
/** An exiting worker waits at most this long for its final metrics report to reach the IPC channel. */
export const FINAL_REPORT_WAIT_MS = 1000;
/** Distinct backend labels kept in metrics: a misbehaving auth service must not blow up a scrape. */
export const MAX_BACKEND_LABELS = 256;
/** Label values longer than this are cut (they come from config or auth_http text). */
export const MAX_LABEL_VALUE_LENGTH = 128;

/**
 * Ours: an idle keep-alive connection to the auth service is closed after this long, so a quiet worker
 * does not hold sockets forever (servers usually close sooner: Node 5 s, nginx 75 s).
 */
export const AUTH_HTTP_KEEPALIVE_IDLE_MS_DEFAULT = 60_000;
/**
 * Ours: the largest auth response body read to keep its connection (auth bodies are empty or tiny;
 * anything bigger is cheaper to drop with the connection than to drain).
 */
export const AUTH_HTTP_MAX_DRAIN_BYTES = 64 * 1024;
