/**
 * The auth_http client: one per `auth_http` target and settings per worker (reference 3.3).
 *
 * Owns: the request flow of one login: building the request, `auth_http_timeout` as one deadline for
 * connect + send + response headers (reference 1.3), WAIT handling (reference 3.5.2, with the Q-7 and
 * Q-8 fixes), ours: one retry on a fresh connection when a reused keep-alive connection fails before any
 * response byte, counters and a result hook for metrics.
 * Does not own the connections or the keep-alive pool (auth-conn.ts), the request bytes (request.ts),
 * the response rules (response.ts), logging the outcome (the session logs the result it gets, with its
 * context) or a failure's Auth-Wait pause (the session's: it has to hold the client and reply afterwards).
 *
 * No HTTP library on purpose: the request must be nginx's bytes exactly, the response follows nginx's
 * own lenient rules (no status code, odd header syntax), and this runs once per login.
 */
import { AUTH_HTTP_KEEPALIVE_IDLE_MS_DEFAULT } from '../limits.js';
import { performance } from 'node:perf_hooks';
import type { AuthHttpConfig, ServerConfig } from '../config/types.js';
import type { AuthRequest } from '../protocol/types.js';
import type { Logger, SessionLogContext } from '../log/types.js';
import { AUTH_WAIT_MAX_RETRIES, AUTH_WAIT_MIN_RETRY_MS } from '../limits.js';
import type { AuthHttpErrorKind, AuthHttpResult, AuthProtocolName } from './types.js';
import {
  buildAuthRequest,
  prepareAuthTarget,
  sendsSalt,
  type AuthRequestInput,
  type PreparedAuthTarget,
} from './request.js';
import type { AuthResponseOptions } from './response.js';
import { AuthConnPool, type AuthConn, type AuthConnOwner, type AuthExchange } from './auth-conn.js';
import { ETIMEDOUT_ERR } from './sys-error.js';


/** nginx's action text for auth_http log lines ("while in http auth state"). */
export const HTTP_AUTH_ACTION = 'in http auth state';

export interface AuthHttpClientOptions {
  readonly target: AuthHttpConfig;
  /** `auth_http_header` lines, config order */
  readonly headers: readonly (readonly [string, string])[];
  /** `auth_http_timeout`: one deadline for connect + send + response headers, per request sent */
  readonly timeoutMs: number;
  /** `auth_http_pass_client_cert` */
  readonly passClientCert: boolean;
  /** `auth_http_keepalive`: idle connections kept; 0 = nginx's one connection per request */
  readonly keepalive: number;
  /** `auth_http_max_response`: limit on the response header block (nginx: 1024) */
  readonly maxResponseBytes: number;
  /** idle keep-alive connections are closed after this long */
  readonly keepaliveIdleMs?: number;
  /** WAIT without a positive Auth-Wait is retried after this delay (Q-7 fix; default AUTH_WAIT_MIN_RETRY_MS) */
  readonly waitMinRetryMs?: number;
  /** WAIT answers retried in a row before giving up with an error (default AUTH_WAIT_MAX_RETRIES) */
  readonly waitMaxRetries?: number;
  /** for WAIT retries (warn) and keep-alive retries (debug); outcomes are the caller's to log */
  readonly logger?: Logger;
  /** called once per `authenticate` with its outcome and the time it took (metrics) */
  readonly onResult?: (result: AuthHttpResult, elapsedMs: number) => void;
}

/** The client settings a server's config asks for. */
export function authHttpClientOptions(server: ServerConfig, logger?: Logger): AuthHttpClientOptions {
  const base = {
    target: server.authHttp,
    headers: server.authHttpHeaders,
    timeoutMs: server.authHttpTimeoutMs,
    passClientCert: server.authHttpPassClientCert,
    keepalive: server.authHttpKeepalive,
    maxResponseBytes: server.authHttpMaxResponseBytes,
  };
  return logger === undefined ? base : { ...base, logger };
}

/** One login's auth request, as the session hands it over. */
export interface AuthHttpInput extends AuthRequestInput {
  /**
   * The session has no password of its own for the backend (nginx: `s->passwd.data == NULL`), so a
   * success must carry Auth-Pass (IMAP/POP3). Default: true after Auth-Salt (APOP, CRAM-MD5) and for
   * EXTERNAL, XOAUTH2 and OAUTHBEARER (a token is not a password).
   */
  readonly needPassword?: boolean;
  /** abort waiting (client gone, shutdown): the promise resolves with an `aborted` error */
  readonly signal?: AbortSignal;
  /** the session's log context, for the client's own warn/debug lines */
  readonly logCtx?: SessionLogContext;
}

/** Counters for metrics; a live object, read it any time. */
export interface AuthHttpStats {
  /** `authenticate` calls */
  authentications: number;
  /** requests written (WAIT re-sends and keep-alive retries included) */
  requests: number;
  connectionsOpened: number;
  /** requests sent on a pooled connection */
  connectionsReused: number;
  /** reused connections that failed before any response byte, retried once on a fresh one */
  keepaliveRetries: number;
  /** WAIT answers that were retried */
  waitRetries: number;
  ok: number;
  fail: number;
  error: number;
  errors: Record<AuthHttpErrorKind, number>;
}

function newStats(): AuthHttpStats {
  return {
    authentications: 0,
    requests: 0,
    connectionsOpened: 0,
    connectionsReused: 0,
    keepaliveRetries: 0,
    waitRetries: 0,
    ok: 0,
    fail: 0,
    error: 0,
    errors: {
      connect: 0,
      timeout: 0,
      io: 0,
      closed: 0,
      invalid: 0,
      tooBig: 0,
      noServer: 0,
      noPassword: 0,
      badServer: 0,
      badPort: 0,
      waitLimit: 0,
      aborted: 0,
    },
  };
}

/** Default for AuthHttpInput.needPassword (see there). */
export function defaultNeedPassword(request: AuthRequest): boolean {
  const m = request.method;
  return sendsSalt(request) || m === 'external' || m === 'xoauth2' || m === 'oauthbearer';
}

/** One `authenticate` call, across WAIT re-sends and a keep-alive retry. */
class AuthCall implements AuthExchange<AuthCall> {
  conn: AuthConn<AuthCall> | null = null;
  timer: NodeJS.Timeout | null = null;
  waitTimer: NodeJS.Timeout | null = null;
  waits = 0;
  retried = false;
  settled = false;
  /** cancelled through `cancel()`: the result is not delivered */
  cancelled = false;
  onAbort: (() => void) | null = null;
  constructor(
    readonly bytes: Buffer,
    readonly parse: AuthResponseOptions,
    readonly resolve: (r: AuthHttpResult) => void,
    readonly startMs: number,
    readonly signal: AbortSignal | null,
    readonly logCtx: SessionLogContext | null,
  ) {}
}

export class AuthHttpClient implements AuthConnOwner<AuthCall> {
  readonly stats: AuthHttpStats = newStats();
  readonly addrText: string;
  /** a body still arriving after the headers is given this long before the connection is dropped */
  readonly drainTimeoutMs: number;
  private readonly opts: AuthHttpClientOptions;
  private readonly target: PreparedAuthTarget;
  private readonly pool: AuthConnPool<AuthCall>;
  private readonly waitMinMs: number;
  private readonly waitMax: number;
  /** response-parser options per protocol, [needPassword false, true], so a call allocates none */
  private readonly parseOpts: Readonly<
    Record<AuthProtocolName, readonly [AuthResponseOptions, AuthResponseOptions]>
  >;

  constructor(options: AuthHttpClientOptions) {
    this.opts = options;
    this.addrText = options.target.addrText;
    this.target = prepareAuthTarget({
      uri: options.target.uri,
      hostHeader: options.target.hostHeader,
      headers: options.headers,
      passClientCert: options.passClientCert,
      keepalive: options.keepalive > 0,
    });
    this.drainTimeoutMs = options.timeoutMs;
    this.pool = new AuthConnPool<AuthCall>(this, {
      address: options.target.address,
      addrText: this.addrText,
      keepalive: options.keepalive,
      idleMs: options.keepaliveIdleMs ?? AUTH_HTTP_KEEPALIVE_IDLE_MS_DEFAULT,
      drainTimeoutMs: this.drainTimeoutMs,
    });
    this.waitMinMs = options.waitMinRetryMs ?? AUTH_WAIT_MIN_RETRY_MS;
    this.waitMax = options.waitMaxRetries ?? AUTH_WAIT_MAX_RETRIES;
    const parseOpts = (protocol: AuthProtocolName, needPassword: boolean): AuthResponseOptions => ({
      addrText: this.addrText,
      protocol,
      needPassword,
      maxResponseBytes: options.maxResponseBytes,
      keepalive: options.keepalive > 0,
    });
    this.parseOpts = {
      imap: [parseOpts('imap', false), parseOpts('imap', true)],
      pop3: [parseOpts('pop3', false), parseOpts('pop3', true)],
      smtp: [parseOpts('smtp', false), parseOpts('smtp', true)],
    };
  }

  /** Idle keep-alive connections right now. */
  get idleConnections(): number {
    return this.pool.idleCount;
  }

  /**
   * The per-login hot path: `done` is called exactly once (never for a cancelled call). No Promise and
   * no AbortSignal per login (both showed in worker profiles); `cancel(ticket)` drops the request and
   * closes its connection.
   */
  begin(input: AuthHttpInput, done: (r: AuthHttpResult) => void): AuthTicket {
    this.stats.authentications++;
    const bytes = buildAuthRequest(this.target, input);
    const needPassword = input.needPassword ?? defaultNeedPassword(input.request);
    const parse = this.parseOpts[input.protocol][needPassword ? 1 : 0];
    const call = new AuthCall(
      bytes,
      parse,
      done,
      this.opts.onResult === undefined ? 0 : performance.now(),
      null,
      input.logCtx ?? null,
    );
    this.dispatch(call, false);
    return call;
  }

  /** Drop a request started with `begin` (the session ended first); its callback is not called. */
  cancel(ticket: AuthTicket): void {
    if (!(ticket instanceof AuthCall)) return;
    const call = ticket;
    if (call.settled) return;
    call.cancelled = true;
    this.abort(call);
  }

  /**
   * Ask the auth service about one login. Never rejects: transport and protocol failures come back as
   * `error` results carrying nginx's log text. WAIT is handled here (the result is never `wait`).
   */
  authenticate(input: AuthHttpInput): Promise<AuthHttpResult> {
    this.stats.authentications++;
    const bytes = buildAuthRequest(this.target, input);
    const needPassword = input.needPassword ?? defaultNeedPassword(input.request);
    const parse = this.parseOpts[input.protocol][needPassword ? 1 : 0];
    const signal = input.signal ?? null;
    return new Promise<AuthHttpResult>((resolve) => {
      const call = new AuthCall(
        bytes,
        parse,
        resolve,
        this.opts.onResult === undefined ? 0 : performance.now(),
        signal,
        input.logCtx ?? null,
      );
      if (signal !== null) {
        if (signal.aborted) {
          this.finish(call, abortedResult());
          return;
        }
        call.onAbort = () => {
          this.abort(call);
        };
        signal.addEventListener('abort', call.onAbort, { once: true });
      }
      this.dispatch(call, false);
    });
  }

  /** Close idle connections and stop pooling; requests in flight finish normally. */
  close(): void {
    this.pool.close();
  }

  private dispatch(call: AuthCall, fresh: boolean): void {
    let conn: AuthConn<AuthCall> | null = null;
    if (!fresh) conn = this.pool.takeIdle();
    if (conn === null) {
      conn = this.pool.open(call.parse);
      this.stats.connectionsOpened++;
    } else {
      this.stats.connectionsReused++;
    }
    this.stats.requests++;
    // nginx: one timer per request, armed at connect, never refreshed. A keep-alive retry keeps the
    // running timer, so the deadline stays one auth_http_timeout in total.
    call.timer ??= setTimeout(this.onCallTimeout, this.opts.timeoutMs, call);
    conn.start(call);
  }

  /** @internal AuthConnOwner (auth-conn.ts): a reused connection failed before answering. */
  retryFresh(call: AuthCall): void {
    this.stats.keepaliveRetries++;
    this.opts.logger?.debug(
      `auth http server ${this.addrText} closed a keep-alive connection, retrying on a new one`,
      logExtra(call),
    );
    this.dispatch(call, true);
  }

  /** @internal AuthConnOwner (auth-conn.ts): a response's headers are complete, or the request failed. */
  settle(call: AuthCall, result: AuthHttpResult): void {
    if (call.settled) return;
    if (call.timer !== null) {
      clearTimeout(call.timer);
      call.timer = null;
    }
    if (result.type !== 'wait') {
      this.finish(call, result);
      return;
    }
    // nginx (reference 3.5.2) re-sends at once when Auth-Wait is missing or 0, forever: we wait at
    // least waitMinMs and give up after waitMax retries. The re-sent request is the same bytes (Q-8 fix:
    // nginx's retry has an empty Auth-Pass after APOP/CRAM-MD5) with the same Auth-Login-Attempt.
    if (call.waits >= this.waitMax) {
      this.finish(call, {
        type: 'error',
        message: `auth http server ${this.addrText} sent WAIT ${String(call.waits + 1)} times in a row`,
        level: 'error',
        kind: 'waitLimit',
      });
      return;
    }
    call.waits++;
    this.stats.waitRetries++;
    const delayMs = result.waitSec > 0 ? result.waitSec * 1000 : this.waitMinMs;
    this.opts.logger?.warn(
      `auth http server ${this.addrText} sent WAIT, retrying in ${String(delayMs)} ms`,
      logExtra(call),
    );
    call.waitTimer = setTimeout(this.onWaitElapsed, delayMs, call);
  }

  private readonly onWaitElapsed = (call: AuthCall): void => {
    call.waitTimer = null;
    if (call.settled) return;
    call.retried = false;
    this.dispatch(call, false);
  };

  private readonly onCallTimeout = (call: AuthCall): void => {
    call.timer = null;
    call.conn?.detach();
    call.conn = null;
    this.finish(call, {
      type: 'error',
      message: `auth http server ${this.addrText} timed out`,
      level: 'error',
      err: ETIMEDOUT_ERR,
      kind: 'timeout',
    });
  };

  private abort(call: AuthCall): void {
    if (call.settled) return;
    if (call.timer !== null) clearTimeout(call.timer);
    if (call.waitTimer !== null) clearTimeout(call.waitTimer);
    call.timer = null;
    call.waitTimer = null;
    call.conn?.detach();
    call.conn = null;
    this.finish(call, abortedResult());
  }

  private finish(call: AuthCall, result: AuthHttpResult): void {
    if (call.settled) return;
    call.settled = true;
    if (call.signal !== null && call.onAbort !== null) call.signal.removeEventListener('abort', call.onAbort);
    const s = this.stats;
    if (result.type === 'ok') s.ok++;
    else if (result.type === 'fail') s.fail++;
    else {
      s.error++;
      if (result.type === 'error') s.errors[result.kind ?? 'io']++;
    }
    if (this.opts.onResult !== undefined) this.opts.onResult(result, performance.now() - call.startMs);
    if (!call.cancelled) call.resolve(result);
  }
}

/** What `begin` returns: an opaque handle for `cancel`. */
export interface AuthTicket {
  readonly settled: boolean;
}

function abortedResult(): AuthHttpResult {
  return { type: 'error', message: 'auth http request aborted', level: 'error', kind: 'aborted' };
}

function logExtra(call: AuthCall): { action: string; ctx?: SessionLogContext } {
  return call.logCtx === null ? { action: HTTP_AUTH_ACTION } : { action: HTTP_AUTH_ACTION, ctx: call.logCtx };
}
