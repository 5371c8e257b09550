/**
 * The POP3 pre-auth state machine (nginx: ngx_mail_pop3_handler.c, ngx_mail_pop3_auth_state).
 *
 * Owns: what each command does in each state, nginx's replies byte for byte, the error counting of
 * reference 4.0.4 (parse errors count toward max_errors, handler rejections do not), `starttls only`
 * gating, the SASL exchanges, and the hand-over to the auth service. Pure: bytes and outcomes in,
 * state and Actions out.
 * Does not own I/O, timers or the client buffer (the session shell), nor SASL decoding (../sasl.ts).
 *
 * Deliberate differences from nginx (each marked `Ours:` below):
 * - Q-15 fixed: a login or password holding CR, LF or NUL is refused with `-ERR invalid command` and an
 *   INFO log before it reaches auth_http or the backend (nginx would send it raw in USER/PASS).
 * - Q-4 fixed: `AUTH EXTERNAL <initial response>` is refused unless `external` is enabled.
 * - The too-long-command log masks the arguments of PASS, APOP and AUTH and SASL lines (credentials).
 */
import { info, reply, replyOnly, withLogin } from '../actions.js';
import type { Action, AuthFailure, AuthMethod, FeedResult, SessionEnv, Step } from '../types.js';
import { makeSalt } from '../sasl.js';
import { isSaslExchange, saslBegin, saslContinue, saslPrompt, type SaslExchange, type SaslStep } from '../sasl-steps.js';
import { parsePop3, POP3_COMMAND, type Pop3Command, type Pop3Cursor } from './parse.js';
import { POP3_REPLY } from './replies.js';
import type { Pop3Settings } from './settings.js';

/** nginx's ngx_pop3_* mail states minus the prefix, plus ours for the waits the shell drives. */
export type Pop3Phase =
  | 'start'
  | 'user'
  /** a SASL exchange: the next client line is its answer */
  | SaslExchange
  /** ours: an auth request is out; the shell holds client input until `authFailed` or the login */
  | 'authenticating'
  /** ours: STLS accepted, waiting for `tlsStarted` */
  | 'starttls'
  /** ours: a close action was returned */
  | 'closed';

export interface Pop3State {
  readonly phase: Pop3Phase;
  readonly tls: boolean;
  /** parse-level errors so far (nginx's s->errors; survives STLS and auth retries) */
  readonly errors: number;
  /** the USER name, or the AUTH LOGIN user name while the password is awaited */
  readonly login: Buffer | null;
  /** `<random.time@server_name>` CRLF when APOP or CRAM-MD5 is enabled, else null */
  readonly salt: Buffer | null;
  /** an unfinished line, or null */
  readonly cursor: Pop3Cursor | null;
}

type Result = FeedResult<Pop3State>;

const EMPTY: readonly Action[] = [];

function withPhase(s: Pop3State, phase: Pop3Phase, login: Buffer | null = s.login): Pop3State {
  return { phase, tls: s.tls, errors: s.errors, login, salt: s.salt, cursor: null };
}

/** Ours: bytes that would let a credential inject commands into the backend's POP3 session. */
export function hasLineBreakOrNul(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) {
    const c = b[i] as number;
    if (c === 0x0d || c === 0x0a || c === 0x00) return true;
  }
  return false;
}

const CREDENTIAL_LOG = 'client sent login or password with CR, LF or NUL';

/** A handler-level rejection: `-ERR invalid command`, back to `start`, not counted (reference 4.0.4). */
function rejected(s: Pop3State, consumed: number, log: string | null = null): Result {
  const state = withPhase(s, 'start', null);
  if (log === null) return replyOnly(state, POP3_REPLY.invalidCommand, consumed);
  return { state, actions: [info(log), reply(POP3_REPLY.invalidCommand)], consumed };
}

function authenticate(
  s: Pop3State,
  method: AuthMethod,
  login: Buffer,
  password: Buffer,
  consumed: number,
): Result {
  // Ours: refused before auth_http or the backend ever sees it.
  if (hasLineBreakOrNul(login) || hasLineBreakOrNul(password)) return rejected(s, consumed, CREDENTIAL_LOG);
  const salt = method === 'apop' || method === 'cram-md5' ? s.salt : null;
  return {
    state: withPhase(s, 'authenticating', null),
    actions: [
      {
        type: 'authenticate',
        request: { method, login, password, salt, smtpHelo: null, smtpFrom: null, smtpTo: null },
        upstream: { protocol: 'pop3' },
      },
    ],
    consumed,
  };
}

/** nginx: ngx_mail_starttls_only — refuses USER, APOP and AUTH until the connection is TLS. */
function starttlsOnly(s: Pop3State, settings: Pop3Settings): boolean {
  return !s.tls && settings.starttls === 'only';
}

function capa(s: Pop3State, settings: Pop3Settings): Buffer {
  if (!s.tls && settings.starttls === 'on') return settings.capaStarttls;
  if (!s.tls && settings.starttls === 'only') return settings.capaStarttlsOnly;
  return settings.capa;
}

function cmdUser(s: Pop3State, args: readonly Buffer[], consumed: number, settings: Pop3Settings): Result {
  const name = args[0];
  if (starttlsOnly(s, settings) || args.length !== 1 || name === undefined) return rejected(s, consumed);
  if (hasLineBreakOrNul(name)) return rejected(s, consumed, CREDENTIAL_LOG);
  return withLogin(replyOnly(withPhase(s, 'user', name), POP3_REPLY.ok, consumed), name);
}

function cmdPass(s: Pop3State, args: readonly Buffer[], consumed: number): Result {
  const password = args[0];
  if (args.length !== 1 || password === undefined || s.login === null) return rejected(s, consumed);
  return authenticate(s, 'plain', s.login, password, consumed);
}

function cmdApop(s: Pop3State, args: readonly Buffer[], consumed: number, settings: Pop3Settings): Result {
  const [name, digest] = args;
  if (starttlsOnly(s, settings) || args.length !== 2 || name === undefined || digest === undefined) {
    return rejected(s, consumed);
  }
  if (!settings.apopEnabled) return rejected(s, consumed);
  return authenticate(s, 'apop', name, digest, consumed);
}

function cmdAuth(s: Pop3State, args: readonly Buffer[], consumed: number, settings: Pop3Settings): Result {
  if (starttlsOnly(s, settings)) return rejected(s, consumed);
  if (args.length === 0) return replyOnly(withPhase(s, s.phase), settings.authListing, consumed);
  return saslOutcome(s, saslBegin(args, settings.cramMd5Enabled, settings.externalEnabled), consumed);
}

/** A SASL step in POP3 terms: the next prompt, the auth request, or `-ERR invalid command`. */
function saslOutcome(s: Pop3State, step: SaslStep, consumed: number): Result {
  switch (step.kind) {
    case 'continue': {
      // CRAM-MD5 challenges with the greeting's salt.
      const prompt = saslPrompt(POP3_REPLY, step.exchange, s.salt);
      if (prompt === null) return rejected(s, consumed);
      return withLogin(replyOnly(withPhase(s, step.exchange, step.login), prompt, consumed), step.login);
    }
    case 'credentials':
      return authenticate(s, step.method, step.login, step.password, consumed);
    case 'refused':
      return withLogin(rejected(s, consumed, step.log), step.login);
  }
}

function cmdStls(s: Pop3State, consumed: number, settings: Pop3Settings): Result {
  if (s.tls || settings.starttls === 'off') return rejected(s, consumed);
  // The shell flushes `+OK`, drops every byte buffered behind STLS (CVE-2014-3556) and upgrades.
  return { state: withPhase(s, 'starttls', null), actions: [reply(POP3_REPLY.ok), { type: 'startTls' }], consumed };
}

function quit(s: Pop3State, consumed: number): Result {
  return {
    state: withPhase(s, 'closed', null),
    actions: [reply(POP3_REPLY.ok), { type: 'close', reason: 'quit' }],
    consumed,
  };
}

/** nginx: the `ngx_pop3_start` branch of ngx_mail_pop3_auth_state. */
function inStart(s: Pop3State, cmd: Pop3Command, args: readonly Buffer[], consumed: number, st: Pop3Settings): Result {
  switch (cmd) {
    case POP3_COMMAND.user:
      return cmdUser(s, args, consumed, st);
    case POP3_COMMAND.capa:
      return replyOnly(withPhase(s, s.phase), capa(s, st), consumed);
    case POP3_COMMAND.apop:
      return cmdApop(s, args, consumed, st);
    case POP3_COMMAND.auth:
      return cmdAuth(s, args, consumed, st);
    case POP3_COMMAND.quit:
      return quit(s, consumed);
    case POP3_COMMAND.noop:
      return replyOnly(withPhase(s, s.phase), POP3_REPLY.ok, consumed);
    case POP3_COMMAND.stls:
      return cmdStls(s, consumed, st);
    case POP3_COMMAND.pass:
      return rejected(s, consumed);
  }
}

/** nginx: the `ngx_pop3_user` branch; anything but PASS, CAPA, NOOP and QUIT goes back to `start`. */
function inUser(s: Pop3State, cmd: Pop3Command, args: readonly Buffer[], consumed: number, st: Pop3Settings): Result {
  switch (cmd) {
    case POP3_COMMAND.pass:
      return cmdPass(s, args, consumed);
    case POP3_COMMAND.capa:
      // Q-12 mirrored: the plain list, never STLS, in this state.
      return replyOnly(withPhase(s, s.phase), st.capa, consumed);
    case POP3_COMMAND.quit:
      return quit(s, consumed);
    case POP3_COMMAND.noop:
      return replyOnly(withPhase(s, s.phase), POP3_REPLY.ok, consumed);
    case POP3_COMMAND.user:
    case POP3_COMMAND.apop:
    case POP3_COMMAND.auth:
    case POP3_COMMAND.stls:
      return rejected(s, consumed);
  }
}

/** The greeting; with APOP or CRAM-MD5 enabled it carries the session's salt (nginx: ngx_mail_pop3_init_session). */
export function pop3Start(settings: Pop3Settings, env: SessionEnv): Step<Pop3State> {
  const salt = settings.needsSalt ? makeSalt(env.random, env.unixTime, settings.serverName) : null;
  const greeting = salt === null ? POP3_REPLY.greeting : Buffer.concat([POP3_REPLY.greetingSaltPrefix, salt]);
  return {
    state: { phase: 'start', tls: env.tls, errors: 0, login: null, salt, cursor: null },
    actions: [reply(greeting)],
  };
}

export function pop3Feed(state: Pop3State, buf: Buffer, start: number, end: number, settings: Pop3Settings): Result {
  if (state.phase === 'closed') return { state, actions: EMPTY, consumed: end - start };
  // The shell holds input while an auth request or a TLS upgrade is pending; nothing is read here.
  if (state.phase === 'authenticating' || state.phase === 'starttls') return { state, actions: EMPTY, consumed: 0 };
  const parsed = parsePop3(buf, start, end, state.cursor, isSaslExchange(state.phase));
  switch (parsed.kind) {
    case 'incomplete':
      return {
        state: { phase: state.phase, tls: state.tls, errors: state.errors, login: state.login, salt: state.salt, cursor: parsed.cursor },
        actions: EMPTY,
        consumed: 0,
      };
    case 'invalid': {
      // nginx: ngx_mail_read_command counts parse errors; at max_errors it quits after the reply.
      const errors = state.errors + 1;
      const next: Pop3State = { phase: 'start', tls: state.tls, errors, login: null, salt: state.salt, cursor: null };
      if (errors >= settings.maxErrors) {
        return {
          state: { ...next, phase: 'closed' },
          actions: [
            info('client sent too many invalid commands'),
            reply(POP3_REPLY.invalidCommand),
            { type: 'close', reason: 'tooManyErrors' },
          ],
          consumed: parsed.consumed,
        };
      }
      return replyOnly(next, POP3_REPLY.invalidCommand, parsed.consumed);
    }
    case 'command':
      break;
  }
  const s = state.cursor === null ? state : { ...state, cursor: null };
  // A SASL continuation line; nginx uses only its first space-delimited token.
  if (isSaslExchange(s.phase)) return saslOutcome(s, saslContinue(s.phase, parsed.args, s.login), parsed.consumed);
  if (s.phase === 'user') return inUser(s, parsed.command, parsed.args, parsed.consumed, settings);
  return inStart(s, parsed.command, parsed.args, parsed.consumed, settings);
}

/** nginx's credential-bearing verbs, whose arguments never reach a log line here. */
function maskedCommand(buf: Buffer, start: number, end: number, sasl: boolean): string {
  if (sasl) return '***';
  if (end - start > 4 && buf[start + 4] === 0x20) {
    const verb = buf.toString('latin1', start, start + 4).toUpperCase();
    if (verb === 'PASS' || verb === 'APOP' || verb === 'AUTH') return `${buf.toString('latin1', start, start + 5)}***`;
  }
  return buf.toString('latin1', start, end);
}

/** The buffer filled before a line ended (nginx: "client sent too long command", not counted, quit). */
export function pop3Overflow(state: Pop3State, buf: Buffer, start: number, end: number): Step<Pop3State> {
  if (state.phase === 'closed' || state.phase === 'authenticating' || state.phase === 'starttls') {
    return { state, actions: EMPTY };
  }
  const text = maskedCommand(buf, start, end, isSaslExchange(state.phase));
  return {
    state: { ...state, phase: 'closed', cursor: null },
    actions: [
      info(`client sent too long command "${text}"`),
      reply(POP3_REPLY.invalidCommand),
      { type: 'close', reason: 'tooLong' },
    ],
  };
}

/** nginx: the error branch of ngx_mail_auth_http_process_headers — `-ERR <text>`, then close or retry. */
export function pop3AuthFailed(state: Pop3State, failure: AuthFailure): Step<Pop3State> {
  const data = Buffer.concat([POP3_REPLY.errPrefix, failure.text, POP3_REPLY.crlf]);
  if (failure.retry) {
    return { state: withPhase(state, 'start', null), actions: [reply(data)] };
  }
  return { state: withPhase(state, 'closed', null), actions: [reply(data), { type: 'close', reason: 'authFailed' }] };
}

/** After STLS: the start state again, with no new greeting (nginx: ngx_mail_pop3_init_protocol). */
export function pop3TlsStarted(state: Pop3State): Step<Pop3State> {
  return { state: { phase: 'start', tls: true, errors: state.errors, login: null, salt: state.salt, cursor: null }, actions: EMPTY };
}

/**
 * nginx's `c->log->action` for a session in this state, the "while …" of its log lines (reference 7.2);
 * for the shell's timeout and auth lines.
 */
export function pop3LogAction(state: Pop3State): string {
  if (state.phase === 'authenticating') return 'in http auth state';
  if (state.phase === 'starttls') return 'in starttls state';
  return 'in auth state';
}
