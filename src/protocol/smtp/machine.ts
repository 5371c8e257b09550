/**
 * The SMTP pre-auth state machine (nginx: ngx_mail_smtp_handler.c).
 *
 * Owns: the session start (client host lookup, `smtp_greeting_delay` and its pipelining refusal), what
 * each command does, nginx's replies byte for byte, the error counting of reference 4.0.4 (parse errors
 * count toward max_errors, handler rejections do not), `starttls only`, the SASL exchanges, the
 * `smtp_auth none` flow (MAIL stored, RCPT triggers the auth request), and the hand-over to the auth
 * service. Pure: bytes and outcomes in, state and Actions out.
 * Does not own I/O, DNS, timers or the client buffer (the session shell), nor SASL decoding (../sasl.ts).
 *
 * Deliberate differences from nginx (each marked `Ours:` below):
 * - Q-13 fixed: with `starttls only`, MAIL under `smtp_auth none` is refused before TLS with
 *   `530 5.7.0 Must issue a STARTTLS command first` (nginx relays unauthenticated mail in plaintext).
 * - Q-4 fixed: `AUTH EXTERNAL <initial response>` is refused unless `external` is enabled.
 * - STARTTLS also forgets the EHLO (esmtp) flag, not only HELO/MAIL/RCPT (RFC 3207 section 4.2).
 * - Log lines never carry credentials: the too-long-command text masks AUTH arguments and SASL lines,
 *   and the "client was rejected" texts stop at the first AUTH line. nginx also rewrites CR/LF to `_`
 *   in its buffer itself when logging; here only the log text is rewritten.
 * - The "client was rejected" text shows the input from the rejected MAIL on (nginx shows its whole
 *   buffer, which may still hold commands it already answered).
 */
import { info, reply, replyOnly, withLogin } from '../actions.js';
import type { Action, AuthFailure, AuthMethod, AuthRequest, FeedResult, SessionEnv, Step } from '../types.js';
import { makeSalt } from '../sasl.js';
import { isSaslExchange, saslBegin, saslContinue, saslPrompt, type SaslExchange, type SaslStep } from '../sasl-steps.js';
import { parseSmtp, SMTP_COMMAND, type SmtpCursor, type SmtpLine } from './parse.js';
import { SMTP_REPLY } from './replies.js';
import type { SmtpSettings } from './settings.js';

/** nginx's ngx_smtp_* mail states minus the prefix, plus ours for the waits the shell drives. */
export type SmtpPhase =
  /** ours: waiting for `hostResolved` (nginx: "in resolving client address/hostname") */
  | 'resolving'
  /** ours: waiting for `delayElapsed` (nginx: "in delay pipelining state") */
  | 'delay'
  | 'start'
  /** a SASL exchange: the next client line is its answer */
  | SaslExchange
  /** ours: an auth request is out; the shell holds client input until `authFailed` or the login */
  | 'authenticating'
  /** ours: STARTTLS accepted, waiting for `tlsStarted` */
  | 'starttls'
  /** ours: a close action was returned */
  | 'closed';

export interface SmtpState {
  readonly phase: SmtpPhase;
  readonly tls: boolean;
  /** parse-level errors so far (nginx's s->errors; survives STARTTLS and auth retries) */
  readonly errors: number;
  /** the HELO/EHLO argument, null before HELO/EHLO */
  readonly helo: Buffer | null;
  /** the client used EHLO (nginx's s->esmtp) */
  readonly esmtp: boolean;
  /** `smtp_auth none`: the MAIL command text, null before MAIL */
  readonly mailFrom: Buffer | null;
  /** the AUTH LOGIN user name while the password is awaited */
  readonly login: Buffer | null;
  /** the CRAM-MD5 salt with its CRLF, made at start when CRAM-MD5 is enabled */
  readonly salt: Buffer | null;
  readonly cursor: SmtpCursor | null;
}

type Result = FeedResult<SmtpState>;

const EMPTY: readonly Action[] = [];
const NO_BYTES = Buffer.alloc(0);

interface Changes {
  readonly phase?: SmtpPhase;
  readonly tls?: boolean;
  readonly errors?: number;
  readonly helo?: Buffer | null;
  readonly esmtp?: boolean;
  readonly mailFrom?: Buffer | null;
  readonly login?: Buffer | null;
}

/** A new state; the parse cursor is always reset (the line it belonged to is finished). */
function next(s: SmtpState, c: Changes): SmtpState {
  return {
    phase: c.phase ?? s.phase,
    tls: c.tls ?? s.tls,
    errors: c.errors ?? s.errors,
    helo: c.helo === undefined ? s.helo : c.helo,
    esmtp: c.esmtp ?? s.esmtp,
    mailFrom: c.mailFrom === undefined ? s.mailFrom : c.mailFrom,
    login: c.login === undefined ? s.login : c.login,
    salt: s.salt,
    cursor: null,
  };
}

/** A handler-level rejection: `500 5.5.1 Invalid command`, back to `start`, not counted (reference 4.0.4). */
function rejected(s: SmtpState, consumed: number, log: string | null = null): Result {
  const state = next(s, { phase: 'start', login: null });
  if (log === null) return replyOnly(state, SMTP_REPLY.invalidCommand, consumed);
  return { state, actions: [info(log), reply(SMTP_REPLY.invalidCommand)], consumed };
}

function authenticate(s: SmtpState, request: AuthRequest, rcptTo: Buffer | null, consumed: number): Result {
  const none = request.method === 'none';
  return {
    state: next(s, { phase: 'authenticating', login: null }),
    actions: [
      {
        type: 'authenticate',
        request,
        upstream: {
          protocol: 'smtp',
          helo: s.helo ?? NO_BYTES,
          esmtp: s.esmtp,
          mailFrom: none ? s.mailFrom : null,
          rcptTo: none ? rcptTo : null,
        },
      },
    ],
    consumed,
  };
}

function saslLogin(s: SmtpState, method: AuthMethod, login: Buffer, password: Buffer, consumed: number): Result {
  const salt = method === 'cram-md5' ? s.salt : null;
  return authenticate(
    s,
    { method, login, password, salt, smtpHelo: null, smtpFrom: null, smtpTo: null },
    null,
    consumed,
  );
}

/** The rejected input for a log line: CR and LF shown as `_` (nginx), cut before any AUTH line (ours). */
export function rejectedText(buf: Buffer, start: number, end: number): string {
  let out = '';
  let lineStart = true;
  for (let i = start; i < end; i++) {
    const c = buf[i] as number;
    if (lineStart && end - i >= 4 && buf.toString('latin1', i, i + 4).toUpperCase() === 'AUTH') return `${out}AUTH ***`;
    lineStart = c === 0x0a;
    out += c === 0x0d || c === 0x0a ? '_' : String.fromCharCode(c);
  }
  return out;
}

function maskedCommand(buf: Buffer, start: number, end: number, sasl: boolean): string {
  if (sasl) return '***';
  if (end - start > 4 && buf[start + 4] === 0x20 && buf.toString('latin1', start, start + 4).toUpperCase() === 'AUTH') {
    return `${buf.toString('latin1', start, start + 5)}***`;
  }
  return buf.toString('latin1', start, end);
}

function ehloReply(s: SmtpState, settings: SmtpSettings): Buffer {
  if (!s.tls && settings.starttls === 'on') return settings.ehloStarttls;
  if (!s.tls && settings.starttls === 'only') return settings.ehloStarttlsOnly;
  return settings.ehlo;
}

/** nginx: ngx_mail_smtp_helo. */
function cmdHelo(s: SmtpState, ehlo: boolean, args: readonly Buffer[], consumed: number, st: SmtpSettings): Result {
  const name = args[0];
  if (args.length !== 1 || name === undefined) return replyOnly(next(s, {}), SMTP_REPLY.invalidArgument, consumed);
  // HELO keeps an earlier EHLO's esmtp flag, as nginx does; the backend then gets EHLO.
  const state = next(s, { helo: name, mailFrom: null, esmtp: ehlo || s.esmtp });
  return replyOnly(state, ehlo ? ehloReply(state, st) : st.helo, consumed);
}

/** nginx: ngx_mail_smtp_auth. */
function cmdAuth(s: SmtpState, args: readonly Buffer[], consumed: number, st: SmtpSettings): Result {
  if (!s.tls && st.starttls === 'only') return rejected(s, consumed);
  if (args.length === 0) return replyOnly(next(s, {}), SMTP_REPLY.invalidArgument, consumed);
  return saslOutcome(s, saslBegin(args, st.cramMd5Enabled, st.externalEnabled), consumed);
}

/** A SASL step in SMTP terms: the next `334` prompt, the auth request, or `500 5.5.1 Invalid command`. */
function saslOutcome(s: SmtpState, step: SaslStep, consumed: number): Result {
  switch (step.kind) {
    case 'continue': {
      // CRAM-MD5 challenges with the salt made at session start.
      const prompt = saslPrompt(SMTP_REPLY, step.exchange, s.salt);
      if (prompt === null) return rejected(s, consumed);
      return withLogin(replyOnly(next(s, { phase: step.exchange, login: step.login }), prompt, consumed), step.login);
    }
    case 'credentials':
      return saslLogin(s, step.method, step.login, step.password, consumed);
    case 'refused':
      return withLogin(rejected(s, consumed, step.log), step.login);
  }
}

/** nginx: ngx_mail_smtp_mail. */
function cmdMail(s: SmtpState, line: SmtpLine, buf: Buffer, start: number, end: number, st: SmtpSettings): Result {
  const { args, text, consumed } = line;
  if (!st.noneEnabled) {
    return {
      state: next(s, {}),
      actions: [info(`client was rejected: "${rejectedText(buf, start, end)}"`), reply(SMTP_REPLY.authRequired)],
      consumed,
    };
  }
  // Ours (Q-13 fixed): `starttls only` means no mail at all before TLS.
  if (!s.tls && st.starttls === 'only') return replyOnly(next(s, {}), SMTP_REPLY.starttlsRequired, consumed);
  if (s.mailFrom !== null) return replyOnly(next(s, {}), SMTP_REPLY.badSequence, consumed);
  if (args.length === 0 || text === null) return replyOnly(next(s, {}), SMTP_REPLY.invalidArgument, consumed);
  // nginx 1.29.1 (CVE-2025-53859): MAIL forgets any login and password left from an AUTH attempt.
  return replyOnly(next(s, { mailFrom: text, login: null }), SMTP_REPLY.ok, consumed);
}

/** nginx: ngx_mail_smtp_rcpt; the first RCPT after MAIL asks the auth service (method `none`). */
function cmdRcpt(s: SmtpState, args: readonly Buffer[], text: Buffer | null, consumed: number): Result {
  if (s.mailFrom === null) return replyOnly(next(s, {}), SMTP_REPLY.badSequence, consumed);
  if (args.length === 0 || text === null) return replyOnly(next(s, {}), SMTP_REPLY.invalidArgument, consumed);
  return authenticate(
    s,
    {
      method: 'none',
      login: NO_BYTES,
      password: NO_BYTES,
      salt: null,
      smtpHelo: s.helo ?? NO_BYTES,
      smtpFrom: s.mailFrom,
      smtpTo: text,
    },
    text,
    consumed,
  );
}

/** nginx: ngx_mail_smtp_starttls; RFC 3207 4.2: everything learnt before TLS is forgotten. */
function cmdStarttls(s: SmtpState, consumed: number, st: SmtpSettings): Result {
  if (s.tls || st.starttls === 'off') return rejected(s, consumed);
  return {
    state: next(s, { phase: 'starttls', helo: null, esmtp: false, mailFrom: null, login: null }),
    // The shell flushes the reply, drops every byte buffered behind STARTTLS, then upgrades.
    actions: [reply(SMTP_REPLY.starttls), { type: 'startTls' }],
    consumed,
  };
}

/** A command in the start state; `buf[start, end)` is the input it came from, for the rejection log line. */
function inStart(s: SmtpState, line: SmtpLine, buf: Buffer, start: number, end: number, st: SmtpSettings): Result {
  const { args, text, consumed } = line;
  switch (line.command) {
    case SMTP_COMMAND.helo:
      return cmdHelo(s, false, args, consumed, st);
    case SMTP_COMMAND.ehlo:
      return cmdHelo(s, true, args, consumed, st);
    case SMTP_COMMAND.auth:
      return cmdAuth(s, args, consumed, st);
    case SMTP_COMMAND.quit:
      return {
        state: next(s, { phase: 'closed' }),
        actions: [reply(SMTP_REPLY.bye), { type: 'close', reason: 'quit' }],
        consumed,
      };
    case SMTP_COMMAND.mail:
      return cmdMail(s, line, buf, start, end, st);
    case SMTP_COMMAND.rcpt:
      return cmdRcpt(s, args, text, consumed);
    case SMTP_COMMAND.rset:
      return replyOnly(next(s, { mailFrom: null }), SMTP_REPLY.ok, consumed);
    case SMTP_COMMAND.noop:
      return replyOnly(next(s, {}), SMTP_REPLY.ok, consumed);
    case SMTP_COMMAND.starttls:
      return cmdStarttls(s, consumed, st);
    case SMTP_COMMAND.vrfy:
    case SMTP_COMMAND.expn:
    case SMTP_COMMAND.help:
      return rejected(s, consumed);
  }
}

function greetOrDelay(s: SmtpState, settings: SmtpSettings): Step<SmtpState> {
  if (settings.greetingDelayMs > 0) {
    return { state: next(s, { phase: 'delay' }), actions: [{ type: 'delay', ms: settings.greetingDelayMs }] };
  }
  return { state: next(s, { phase: 'start' }), actions: [reply(settings.greeting)] };
}

/**
 * Start a session (nginx: ngx_mail_smtp_init_session): a client host lookup first when a resolver is
 * configured, then the greeting or the greeting delay. With a delay, the shell arms the client
 * `timeout` only after `delayElapsed` (nginx arms it when the greeting is sent).
 */
export function smtpStart(settings: SmtpSettings, env: SessionEnv): Step<SmtpState> {
  const s: SmtpState = {
    phase: 'resolving',
    tls: env.tls,
    errors: 0,
    helo: null,
    esmtp: false,
    mailFrom: null,
    login: null,
    salt: settings.cramMd5Enabled ? makeSalt(env.random, env.unixTime, settings.serverName) : null,
    cursor: null,
  };
  if (settings.resolver) return { state: s, actions: [{ type: 'resolveClientHost' }] };
  return greetOrDelay(s, settings);
}

/**
 * The lookup finished. The name itself goes to auth_http (Client-Host) and XCLIENT (NAME=) through the
 * shell; this machine only moves on to the greeting.
 */
export function smtpHostResolved(state: SmtpState, _host: Buffer, settings: SmtpSettings): Step<SmtpState> {
  if (state.phase !== 'resolving') return { state, actions: EMPTY };
  return greetOrDelay(state, settings);
}

export function smtpDelayElapsed(state: SmtpState, settings: SmtpSettings): Step<SmtpState> {
  if (state.phase !== 'delay') return { state, actions: EMPTY };
  return { state: next(state, { phase: 'start' }), actions: [reply(settings.greeting)] };
}

export function smtpFeed(state: SmtpState, buf: Buffer, start: number, end: number, settings: SmtpSettings): Result {
  if (state.phase === 'closed') return { state, actions: EMPTY, consumed: end - start };
  // Input waits while the host is looked up, an auth request is out or TLS is being set up.
  if (state.phase === 'resolving' || state.phase === 'authenticating' || state.phase === 'starttls') {
    return { state, actions: EMPTY, consumed: 0 };
  }
  if (state.phase === 'delay') {
    // nginx: ngx_mail_smtp_invalid_pipelining — anything before the greeting is refused.
    if (end === start) return { state, actions: EMPTY, consumed: 0 };
    return {
      state: next(state, { phase: 'closed' }),
      actions: [
        info(`client was rejected before greeting: "${rejectedText(buf, start, end)}"`),
        reply(SMTP_REPLY.invalidPipelining),
        { type: 'close', reason: 'rejected' },
      ],
      consumed: end - start,
    };
  }
  const parsed = parseSmtp(buf, start, end, state.cursor, isSaslExchange(state.phase));
  switch (parsed.kind) {
    case 'incomplete':
      return { state: { ...state, cursor: parsed.cursor }, actions: EMPTY, consumed: 0 };
    case 'invalid': {
      // nginx: ngx_mail_read_command counts parse errors; at max_errors it quits after the reply.
      const errors = state.errors + 1;
      if (errors >= settings.maxErrors) {
        return {
          state: next(state, { phase: 'closed', errors, login: null }),
          actions: [
            info('client sent too many invalid commands'),
            reply(SMTP_REPLY.invalidCommand),
            { type: 'close', reason: 'tooManyErrors' },
          ],
          consumed: parsed.consumed,
        };
      }
      return replyOnly(next(state, { phase: 'start', errors, login: null }), SMTP_REPLY.invalidCommand, parsed.consumed);
    }
    case 'command':
      break;
  }
  // A SASL continuation line; nginx uses only its first space-delimited token.
  if (isSaslExchange(state.phase)) {
    return saslOutcome(state, saslContinue(state.phase, parsed.args, state.login), parsed.consumed);
  }
  return inStart(state, parsed, buf, start, end, settings);
}

/** The buffer filled before a line ended (nginx: "client sent too long command", not counted, quit). */
export function smtpOverflow(state: SmtpState, buf: Buffer, start: number, end: number): Step<SmtpState> {
  if (state.phase !== 'start' && !isSaslExchange(state.phase)) return { state, actions: EMPTY };
  const text = maskedCommand(buf, start, end, isSaslExchange(state.phase));
  return {
    state: next(state, { phase: 'closed', login: null }),
    actions: [
      info(`client sent too long command "${text}"`),
      reply(SMTP_REPLY.invalidCommand),
      { type: 'close', reason: 'tooLong' },
    ],
  };
}

/**
 * nginx: the error branch of ngx_mail_auth_http_process_headers — `<Auth-Error-Code or 535 5.7.0> <text>`,
 * then close, or (Auth-Wait) back to `start` keeping HELO and MAIL, so another RCPT may follow.
 */
export function smtpAuthFailed(state: SmtpState, failure: AuthFailure): Step<SmtpState> {
  const code = failure.smtpErrorCode ?? SMTP_REPLY.defaultAuthErrorCode;
  const data = Buffer.concat([code, SMTP_REPLY.space, failure.text, SMTP_REPLY.crlf]);
  if (failure.retry) return { state: next(state, { phase: 'start', login: null }), actions: [reply(data)] };
  return {
    state: next(state, { phase: 'closed', login: null }),
    actions: [reply(data), { type: 'close', reason: 'authFailed' }],
  };
}

/** After STARTTLS: the start state again, no new greeting; the client must EHLO again. */
export function smtpTlsStarted(state: SmtpState): Step<SmtpState> {
  return {
    state: next(state, { phase: 'start', tls: true, helo: null, esmtp: false, mailFrom: null, login: null }),
    actions: EMPTY,
  };
}

/**
 * nginx's `c->log->action` for a session in this state, the "while …" of its log lines (reference 7.2);
 * for the shell's timeout and auth lines. (The lookup's own lines carry their action in ClientHostResult.)
 */
export function smtpLogAction(state: SmtpState): string {
  if (state.phase === 'resolving') return 'in resolving client address';
  if (state.phase === 'delay') return 'in delay pipelining state';
  if (state.phase === 'authenticating') return 'in http auth state';
  if (state.phase === 'starttls') return 'in starttls state';
  return 'in auth state';
}
