/**
 * The logging contract every module codes against; `log/logger.ts` implements it on pino.
 *
 * nginx's mail log lines end with a context (`, client: …, server: …, login: "…", upstream: …`) that
 * grows during a session. Rather than a child logger per change, a session keeps one mutable
 * `SessionLogContext` and passes it with each call; the formatter reads it at write time.
 */
import type { LogLevel } from '../config/types.js';

export type { LogLevel };

/** nginx's mail log context (ngx_mail_log_error). Mutable: the session fills it in as it learns. */
export interface SessionLogContext {
  /** nginx's connection number, `*<cid>` */
  readonly cid: number;
  readonly protocol: string;
  /** client address without port (after PROXY/realip) */
  client: string;
  /** listen address text, e.g. `0.0.0.0:143` */
  readonly server: string;
  /** set after STARTTLS: nginx prints `client: <ip> using starttls` */
  usingStarttls: boolean;
  /** known once the client sent its login */
  login: string | null;
  /** `<Auth-Server>:<Auth-Port>` once the backend connection exists */
  upstream: string | null;
}

export interface LogExtra {
  /** nginx's "while <action>" (e.g. `in auth state`, `reading response from upstream`) */
  readonly action?: string;
  /** a system error, printed by nginx as ` (<errno>: <text>)` after the message */
  readonly err?: { readonly errno: number; readonly text: string };
  /** the session's context; absent for process-level lines */
  readonly ctx?: SessionLogContext;
  /**
   * nginx's `*<cid>` prefix without the mail context suffix: for lines logged before the session's
   * context exists (the `client … connected to …` line). Ignored when `ctx` is given.
   */
  readonly cid?: number;
  /** extra structured fields (JSON format only; the nginx text format ignores them) */
  readonly fields?: Readonly<Record<string, string | number | boolean | null>>;
}

/**
 * A line a pure or socket-edge step decides on and the session writes (with its context): the session
 * edge's failures and a failed backend login.
 */
export interface SessionLogLine {
  readonly level: 'info' | 'error' | 'crit';
  readonly message: string;
  readonly action: string | null;
  readonly err?: { readonly errno: number; readonly text: string };
}

export interface Logger {
  /** True when some target would write a line at `level`; guard costly message building with it. */
  enabled(level: LogLevel): boolean;
  log(level: LogLevel, message: string, extra?: LogExtra): void;
  debug(message: string, extra?: LogExtra): void;
  info(message: string, extra?: LogExtra): void;
  notice(message: string, extra?: LogExtra): void;
  warn(message: string, extra?: LogExtra): void;
  error(message: string, extra?: LogExtra): void;
  crit(message: string, extra?: LogExtra): void;
  alert(message: string, extra?: LogExtra): void;
  emerg(message: string, extra?: LogExtra): void;
}
