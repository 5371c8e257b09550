/**
 * The contract between the pure protocol modules (`protocol/{imap,pop3,smtp}`) and the imperative session
 * shell (`worker/session.ts`), the counterpart of nginx's `ngx_mail_protocol_t`.
 *
 * Owns: the shapes only. A protocol module never touches a socket, a timer, a clock or a logger: the
 * shell hands it bytes and outcomes, and it answers with a new state and a list of Actions that the shell
 * carries out in order. Everything that varies per connection and is not bytes (TLS yes/no, a salt seed)
 * comes in `SessionEnv`.
 */

export type ProtocolName = 'imap' | 'pop3' | 'smtp';

/** nginx's error_log levels, as a protocol may ask for them in a `log` action. */
export type ActionLogLevel = 'debug' | 'info' | 'notice' | 'warn' | 'error';

/** Why a session ended; the shell logs it in the `session closed` line and counts it in metrics. */
export type EndReason =
  | 'quit' // client sent LOGOUT/QUIT
  | 'clientClosed' // client closed before login
  | 'tooManyErrors' // max_errors
  | 'tooLong' // command longer than the client buffer
  | 'authFailed' // auth_http refused and no Auth-Wait retry
  | 'internalError' // auth_http or upstream failure, bad auth response
  | 'rejected' // e.g. SMTP pipelining before the greeting, SMTP MAIL without auth
  | 'certificateError'
  | 'timeout'
  | 'proxyTimeout'
  | 'proxied' // the relay ended normally
  | 'upstreamClosed'
  | 'shutdown'
  | 'accessDenied'
  | 'workerFull';

/**
 * Values a session starts with. Random and time are inputs so machines stay pure and deterministic.
 */
export interface SessionEnv {
  /** The connection is TLS from the start (`listen ... ssl`). */
  readonly tls: boolean;
  /** A uint32 for the APOP/CRAM-MD5 salt `<random.time@server_name>` (nginx's ngx_random()). */
  readonly random: number;
  /** Unix time in seconds at connect, for the salt. */
  readonly unixTime: number;
}

/** Auth-Method values of the auth_http protocol (reference 3.2). */
export type AuthMethod = 'plain' | 'apop' | 'cram-md5' | 'external' | 'none' | 'xoauth2' | 'oauthbearer';

/**
 * What a protocol asks the auth service. The shell adds everything that is about the connection
 * (Client-IP, Client-Host, TLS and PROXY details, attempt number, auth_http_header lines).
 */
export interface AuthRequest {
  readonly method: AuthMethod;
  /** Raw bytes as the client sent them (after base64 decoding); escaped by the auth client. */
  readonly login: Buffer;
  readonly password: Buffer;
  /** The salt including its trailing CRLF (APOP and CRAM-MD5 only), else null. */
  readonly salt: Buffer | null;
  /** SMTP `smtp_auth none` only: HELO argument, the whole MAIL and RCPT command texts. */
  readonly smtpHelo: Buffer | null;
  readonly smtpFrom: Buffer | null;
  readonly smtpTo: Buffer | null;
}

/** A finished client-side login the upstream phase needs: protocol details beyond credentials. */
export type UpstreamLoginContext =
  | {
      readonly protocol: 'imap';
      readonly tag: Buffer /* includes its trailing space, as nginx keeps it */;
      /**
       * Ours: the client's last ID parameters before login in canonical form (`NIL` or
       * `("key" "value" ...)`, quoted strings and NILs only); null or absent when it sent no ID.
       */
      readonly clientId?: Buffer | null;
    }
  | { readonly protocol: 'pop3' }
  | {
      readonly protocol: 'smtp';
      /** the client's HELO/EHLO argument, empty if none */
      readonly helo: Buffer;
      /** the client used EHLO (nginx's esmtp flag) */
      readonly esmtp: boolean;
      /** `smtp_auth none` flow: the stored MAIL FROM and RCPT TO lines (without CRLF) */
      readonly mailFrom: Buffer | null;
      readonly rcptTo: Buffer | null;
    };

export type Action =
  /** Bytes for the client, written in order. */
  | { readonly type: 'reply'; readonly data: Buffer }
  /**
   * Upgrade to TLS after the replies before this action are flushed. The shell discards every buffered
   * client byte (the STARTTLS injection fix) and calls `tlsStarted` when the handshake is done.
   */
  | { readonly type: 'startTls' }
  /** Ask the auth service; the shell answers with `authResult`. The client's input is held meanwhile. */
  | { readonly type: 'authenticate'; readonly request: AuthRequest; readonly upstream: UpstreamLoginContext }
  /** Close after flushing the replies queued before this action. */
  | { readonly type: 'close'; readonly reason: EndReason }
  /** A log line in the session's context (`message` is nginx's text; `logAction` fills nginx's "while ..."). */
  | { readonly type: 'log'; readonly level: ActionLogLevel; readonly message: string }
  /**
   * The client named its login before the auth request (POP3 USER, SASL LOGIN's user name, a CRAM-MD5
   * answer): nginx shows it as `login: "..."` in every later log line of the session.
   */
  | { readonly type: 'login'; readonly login: Buffer }
  /** SMTP: look up the client's host name (resolver); the shell answers with `hostResolved`. */
  | { readonly type: 'resolveClientHost' }
  /** SMTP greeting delay: the shell calls `delayElapsed` after `ms`, unless the session ended first. */
  | { readonly type: 'delay'; readonly ms: number };

export interface Step<S> {
  readonly state: S;
  readonly actions: readonly Action[];
}

export interface FeedResult<S> extends Step<S> {
  /**
   * Bytes of `buf[start, end)` that are finished with (a whole command, or discarded input). The shell
   * drops them. `consumed === 0` with no actions means "need more bytes": the shell keeps the bytes and
   * calls `feed` again with the same `start` once more have arrived (the parser resumes where it was;
   * positions in its state are relative to `start`, so the shell may move the bytes to the front of its
   * buffer between calls).
   */
  readonly consumed: number;
}

/** What the auth service answered, reduced to what a client-side machine must act on. */
export type AuthFailure = {
  /** Auth-Status text, sent to the client as-is (after the protocol prefix). */
  readonly text: Buffer;
  /** SMTP only: Auth-Error-Code, e.g. `451 4.3.0`; null means the default `535 5.7.0`. */
  readonly smtpErrorCode: Buffer | null;
  /** true when Auth-Wait was positive: after the reply the session goes back to its auth state. */
  readonly retry: boolean;
};

/**
 * A protocol's pure pre-auth engine. `S` is its state type (immutable from the shell's point of view:
 * the shell only stores what a call returns), `C` its precomputed settings (see each protocol's
 * `makeSettings`).
 */
export interface ProtocolModule<S, C> {
  readonly name: ProtocolName;
  /** Start a session: initial state and the greeting (or, for SMTP, a resolve/delay first). */
  start(settings: C, env: SessionEnv): Step<S>;
  /** Offer buffered client bytes `buf[start, end)`; at most one command is handled per call. */
  feed(state: S, buf: Buffer, start: number, end: number, settings: C): FeedResult<S>;
  /**
   * The client buffer is full (`end - start === clientBufferBytes`) and `feed` still needs more:
   * nginx's "client sent too long command" path (reference 4.0.3).
   */
  overflow(state: S, buf: Buffer, start: number, end: number, settings: C): Step<S>;
  /** The auth service refused (reference 3.5.1). For a retry the shell calls this after the Auth-Wait delay. */
  authFailed(state: S, failure: AuthFailure, settings: C): Step<S>;
  /** STARTTLS handshake finished: the protocol restarts in its start state, with no new greeting. */
  tlsStarted(state: S, settings: C): Step<S>;
  /** SMTP only: the resolver finished (`[UNAVAILABLE]`, `[TEMPUNAVAIL]` or a verified name). */
  hostResolved?(state: S, host: Buffer, settings: C): Step<S>;
  /** SMTP only: the greeting delay elapsed. */
  delayElapsed?(state: S, settings: C): Step<S>;
  /**
   * nginx's "while ..." text for the session's current state (`in auth state`, `in delay pipelining
   * state`, ...), used for the `log` actions and for timeouts. Absent: always `in auth state`.
   */
  logAction?(state: S): string;
  /** The protocol's `internal server error` reply (reference 3.6), sent before closing. */
  readonly internalError: Buffer;
  /** Replies for client-certificate failures (reference 3.6). */
  readonly certificateError: Buffer;
  readonly noCertificate: Buffer;
}

/* ------------------------------------------------------------------------------------------------ */
/* Upstream login (reference 5.2–5.4): a pure dialogue per protocol, driven by the relay's connector. */

/** What the upstream login needs to know, beyond the protocol's own context. */
export interface UpstreamCredentials {
  /** Auth-User override or the client's login */
  readonly login: Buffer;
  /** Auth-Pass override or the client's password; null when none is known (e.g. CRAM-MD5 without Auth-Pass) */
  readonly password: Buffer | null;
}

export interface UpstreamLoginSettings {
  readonly serverName: string;
  /** SMTP `xclient on|off` */
  readonly xclient: boolean;
  /** SMTP `proxy_smtp_auth` */
  readonly smtpAuth: boolean;
  /** client address text for XCLIENT ADDR= (without `IPV6:` prefix; the machine adds it for v6) */
  readonly clientAddr: string;
  readonly clientIsIpv6: boolean;
  /** resolved client host name or `[UNAVAILABLE]`/`[TEMPUNAVAIL]` for XCLIENT NAME= */
  readonly clientHost: string;
}

export type UpstreamAction =
  /** Bytes for the backend (each a whole command; written with one write). */
  | { readonly type: 'send'; readonly data: Buffer; readonly phase: string }
  /** Login finished: `reply` goes to the client, then the relay starts. */
  | { readonly type: 'done'; readonly reply: Buffer }
  /**
   * The backend's reply was not the expected one (reference 5.4): `line` is the reply without its final
   * CRLF for the log line; `raw` is the whole reply for `proxy_pass_error_message on`.
   */
  | { readonly type: 'rejected'; readonly line: Buffer; readonly raw: Buffer }
  /** Internal failure without a backend reply to show (e.g. `no password available`). */
  | { readonly type: 'error'; readonly message: string; readonly phase: string };

export interface UpstreamStep<L> {
  readonly state: L;
  readonly actions: readonly UpstreamAction[];
  /** bytes of the offered reply buffer that were used */
  readonly consumed: number;
}

export interface UpstreamLoginModule<L> {
  /** Before any byte arrives (nothing to send yet: all three protocols wait for the greeting). */
  start(ctx: UpstreamLoginContext, creds: UpstreamCredentials, settings: UpstreamLoginSettings): L;
  /**
   * Offer the backend bytes `buf[start, end)`. Returns consumed 0 and no actions until a whole reply is
   * there (for SMTP: until the last line of a multi-line reply).
   */
  feed(state: L, buf: Buffer, start: number, end: number): UpstreamStep<L>;
  /** The nginx action text while waiting in this state, for timeout log lines (`reading response from upstream`). */
  phase(state: L): string;
}
