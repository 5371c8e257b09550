/**
 * The IMAP pre-auth state machine (nginx: ngx_mail_imap_auth_state and its command handlers in
 * ngx_mail_imap_handler.c): one command per `feed`, a typed command table, guards in a fixed order,
 * nginx's replies byte for byte, and `Action`s for everything that is not a reply.
 *
 * Owns: the session's pre-auth state (`ImapState`), error counting (reference 4.0.4), `starttls only`
 * gating, the SASL exchanges of AUTHENTICATE (reference 4.4), the auth request and what an auth failure
 * does, ID before login (ours). Does not own: bytes-to-tokens (parse.ts), reply strings (replies.ts),
 * sockets, timers, logging or TLS (the shell runs the actions).
 *
 * Deliberate differences from nginx:
 * - Q-4 fixed: `AUTHENTICATE EXTERNAL <initial response>` is refused unless `external` is enabled
 *   (nginx only gates the form without an initial response).
 * - A bad base64 user name in AUTHENTICATE LOGIN gets `<tag> BAD invalid command`; nginx sends the body
 *   without any tag (`BAD invalid command`), which no client can match to its command.
 * - `ID` is answered (`* ID NIL`, `<tag> OK completed`) and its parameters kept for the upstream login
 *   (forgotten again at STARTTLS); nginx answers `<tag> BAD invalid command`.
 * - The too-long-command log line masks what follows LOGIN/AUTHENTICATE and whole SASL lines, and shows
 *   control, 8-bit, `"` and `\` bytes as `\xHH`: nginx writes the raw buffer, password and CR LF included.
 */

import type {
  Action,
  AuthFailure,
  AuthRequest,
  FeedResult,
  SessionEnv,
  Step,
  UpstreamLoginContext,
} from '../types.js';
import { withLogin } from '../actions.js';
import { makeSalt } from '../sasl.js';
import {
  isSaslExchange,
  saslBegin,
  saslContinue,
  saslPrompt,
  type SaslExchange,
  type SaslPrompts,
  type SaslStep,
} from '../sasl-steps.js';
import { parseImapCommand, parsedTag, parsedVerb, type ImapParseState, type ImapVerb } from './parse.js';
import {
  BYE,
  CRLF,
  GREETING,
  ID_NIL,
  INVALID_COMMAND,
  LITERAL_NEXT,
  OK_COMPLETED,
  PASSWORD_NEXT,
  PLAIN_NEXT,
  USERNAME_NEXT,
  authFailedReply,
  tagged,
  untaggedThenOk,
} from './replies.js';
import type { ImapSettings } from './settings.js';

/**
 * nginx's ngx_imap_state_e minus its prefix, plus where a session waits on the shell:
 * `authHttp` (auth request out, input held), `startTls` (handshake running), `closed`.
 */
export type ImapMailState =
  | 'start'
  | SaslExchange
  | 'authHttp'
  | 'startTls'
  | 'closed';

export interface ImapState {
  readonly mailState: ImapMailState;
  /** the connection is TLS now (implicit, or after STARTTLS) */
  readonly tls: boolean;
  /** parse-level invalid commands so far (nginx: s->errors) */
  readonly errors: number;
  /** tag (with its space) of the AUTHENTICATE/LOGIN in progress or waiting on auth_http */
  readonly tag: Buffer | null;
  /** AUTHENTICATE LOGIN: the decoded user name between the two steps */
  readonly login: Buffer | null;
  /** `<random.time@server_name>` CRLF, made the first time CRAM-MD5 is asked for, then kept */
  readonly salt: Buffer | null;
  /** canonical ID parameters the client sent last (`NIL` or `("k" "v" ...)`), null if it sent none */
  readonly clientId: Buffer | null;
  /** the command being parsed; null between commands */
  readonly parse: ImapParseState | null;
  /** from SessionEnv, for the salt */
  readonly random: number;
  readonly unixTime: number;
}

const NO_ACTIONS: readonly Action[] = Object.freeze([]);
const LITERAL_NEXT_ACTIONS: readonly Action[] = Object.freeze([{ type: 'reply', data: LITERAL_NEXT }]);
const TOO_MANY_ERRORS_LOG: Action = { type: 'log', level: 'info', message: 'client sent too many invalid commands' };

/** A parsed command as the handlers see it. */
interface Command {
  readonly consumed: number;
  readonly tag: Buffer | null;
  readonly args: readonly Buffer[];
  readonly id: Buffer | null;
}

type Handler = (state: ImapState, cmd: Command, settings: ImapSettings) => FeedResult<ImapState>;

/** One row per verb (wildduck's descriptor): the gates nginx applies before the handler runs. */
interface CommandSpec {
  /** refused before TLS under `starttls only` (nginx: ngx_mail_starttls_only) */
  readonly loginCommand: boolean;
  readonly minArgs: number;
  readonly maxArgs: number;
  readonly handle: Handler;
}

/* ------------------------------------------------------------------------------------------------ */

export function start(_settings: ImapSettings, env: SessionEnv): Step<ImapState> {
  const state: ImapState = {
    mailState: 'start',
    tls: env.tls,
    errors: 0,
    tag: null,
    login: null,
    salt: null,
    clientId: null,
    parse: null,
    random: env.random,
    unixTime: env.unixTime,
  };
  return { state, actions: [{ type: 'reply', data: GREETING }] };
}

function acceptsInput(s: ImapMailState): boolean {
  return s !== 'authHttp' && s !== 'startTls' && s !== 'closed';
}

export function feed(
  state: ImapState,
  buf: Buffer,
  start: number,
  end: number,
  settings: ImapSettings,
): FeedResult<ImapState> {
  // Guard 1: nothing is read while the shell works for us (auth request, TLS handshake) or after close.
  if (!acceptsInput(state.mailState) || end <= start) return { state, actions: NO_ACTIONS, consumed: 0 };
  const sasl = state.mailState !== 'start';
  const r = parseImapCommand(state.parse, sasl, buf, start, end);
  switch (r.kind) {
    case 'incomplete':
      return { state: { ...state, parse: r.state }, actions: NO_ACTIONS, consumed: 0 };
    case 'literal':
      // nginx: NGX_IMAP_NEXT. Bytes stay buffered; the literal must fit the buffer with its line.
      return { state: { ...state, parse: r.state }, actions: LITERAL_NEXT_ACTIONS, consumed: 0 };
    case 'invalid':
      // Guard 2: parse-level errors count toward max_errors.
      return parseError(state, sasl ? state.tag : r.tag, r.quit, r.consumed, settings);
    case 'command':
      return sasl ? saslLine(state, r, settings) : command(state, r.verb, r, settings);
  }
}

/** nginx: ngx_mail_read_command's NGX_MAIL_PARSE_INVALID_COMMAND branch, then the invalid reply. */
function parseError(
  state: ImapState,
  tag: Buffer | null,
  quit: boolean,
  consumed: number,
  settings: ImapSettings,
): FeedResult<ImapState> {
  const errors = state.errors + 1;
  const reply: Action = { type: 'reply', data: tagged(tag, INVALID_COMMAND) };
  const back = reset(state, 'start');
  if (errors >= settings.maxErrors) {
    return {
      state: { ...back, errors, mailState: 'closed' },
      actions: [TOO_MANY_ERRORS_LOG, reply, { type: 'close', reason: 'tooManyErrors' }],
      consumed,
    };
  }
  if (quit) {
    return { state: { ...back, errors, mailState: 'closed' }, actions: [reply, { type: 'close', reason: 'rejected' }], consumed };
  }
  return { state: { ...back, errors }, actions: [reply], consumed };
}

/** A semantic rejection by a handler: same reply, not counted, exchange dropped (reference 4.0.4, Q-10). */
function rejected(state: ImapState, tag: Buffer | null, consumed: number, log: string | null): FeedResult<ImapState> {
  const reply: Action = { type: 'reply', data: tagged(tag, INVALID_COMMAND) };
  return {
    state: reset(state, 'start'),
    actions: log === null ? [reply] : [{ type: 'log', level: 'info', message: log }, reply],
    consumed,
  };
}

function reset(state: ImapState, mailState: ImapMailState): ImapState {
  return { ...state, mailState, tag: null, login: null, parse: null };
}

function startTlsOnly(state: ImapState, settings: ImapSettings): boolean {
  return !state.tls && settings.starttls === 'only';
}

function command(state: ImapState, verb: ImapVerb | null, cmd: Command, settings: ImapSettings): FeedResult<ImapState> {
  // The parser only returns known verbs in command mode; anything else would be a bug, answered as invalid.
  if (verb === null) return rejected(state, cmd.tag, cmd.consumed, null);
  const spec = COMMANDS[verb];
  // Guard 3: `starttls only` refuses LOGIN and AUTHENTICATE before TLS (checked first, as nginx does).
  if (spec.loginCommand && startTlsOnly(state, settings)) return rejected(state, cmd.tag, cmd.consumed, null);
  // Guard 4: argument count.
  if (cmd.args.length < spec.minArgs || cmd.args.length > spec.maxArgs) {
    return rejected(state, cmd.tag, cmd.consumed, null);
  }
  return spec.handle(state, cmd, settings);
}

function reply(state: ImapState, data: Buffer, consumed: number): FeedResult<ImapState> {
  return { state: reset(state, 'start'), actions: [{ type: 'reply', data }], consumed };
}

/* ---- command handlers (nginx: ngx_mail_imap_*) ---------------------------------------------------- */

function handleNoop(state: ImapState, cmd: Command): FeedResult<ImapState> {
  return reply(state, tagged(cmd.tag, OK_COMPLETED), cmd.consumed);
}

/** nginx: ngx_mail_imap_capability. */
function handleCapability(state: ImapState, cmd: Command, settings: ImapSettings): FeedResult<ImapState> {
  let line = settings.capability;
  if (!state.tls && settings.starttls === 'on') line = settings.starttlsCapability;
  else if (!state.tls && settings.starttls === 'only') line = settings.starttlsOnlyCapability;
  return reply(state, untaggedThenOk(line, cmd.tag), cmd.consumed);
}

function handleLogout(state: ImapState, cmd: Command): FeedResult<ImapState> {
  return {
    state: reset(state, 'closed'),
    actions: [
      { type: 'reply', data: untaggedThenOk(BYE, cmd.tag) },
      { type: 'close', reason: 'quit' },
    ],
    consumed: cmd.consumed,
  };
}

/** nginx: ngx_mail_imap_starttls. The shell drops buffered plaintext (CVE-2014-3556) and calls tlsStarted. */
function handleStartTls(state: ImapState, cmd: Command, settings: ImapSettings): FeedResult<ImapState> {
  if (state.tls || settings.starttls === 'off') return rejected(state, cmd.tag, cmd.consumed, null);
  return {
    state: reset(state, 'startTls'),
    actions: [{ type: 'reply', data: tagged(cmd.tag, OK_COMPLETED) }, { type: 'startTls' }],
    consumed: cmd.consumed,
  };
}

/** nginx: ngx_mail_imap_login. An empty user name is refused; an empty password is not. */
function handleLogin(state: ImapState, cmd: Command): FeedResult<ImapState> {
  const [login, password] = cmd.args as readonly [Buffer, Buffer];
  if (login.length === 0) return rejected(state, cmd.tag, cmd.consumed, null);
  return authenticate(state, cmd.tag, plainRequest(login, password), cmd.consumed);
}

/** Ours (RFC 2971): answer NIL and remember what the client sent, for forwarding at upstream login. */
function handleId(state: ImapState, cmd: Command): FeedResult<ImapState> {
  if (cmd.id === null) return rejected(state, cmd.tag, cmd.consumed, null);
  return {
    state: { ...reset(state, 'start'), clientId: cmd.id },
    actions: [{ type: 'reply', data: untaggedThenOk(ID_NIL, cmd.tag) }],
    consumed: cmd.consumed,
  };
}

/** nginx: ngx_mail_imap_authenticate with ngx_mail_auth_parse. */
function handleAuthenticate(state: ImapState, cmd: Command, settings: ImapSettings): FeedResult<ImapState> {
  const step = saslBegin(cmd.args, settings.auth.cramMd5, settings.auth.external);
  return saslOutcome(state, cmd.tag, step, cmd.consumed, settings);
}

/** The continuation prompts, `+ ` and the rest (nginx: imap_username, imap_password, imap_plain_next). */
const SASL_PROMPTS: SaslPrompts = {
  username: USERNAME_NEXT,
  password: PASSWORD_NEXT,
  next: PLAIN_NEXT,
  continuationPrefix: Buffer.from('+ ', 'latin1'),
  crlf: CRLF,
};

/** A SASL step in IMAP terms: the next `+` prompt, the auth request, or `<tag> BAD invalid command`. */
function saslOutcome(
  state: ImapState,
  tag: Buffer | null,
  step: SaslStep,
  consumed: number,
  settings: ImapSettings,
): FeedResult<ImapState> {
  switch (step.kind) {
    case 'continue': {
      // nginx: IMAP makes the salt the first time CRAM-MD5 is asked for, then keeps it.
      const s =
        step.exchange === 'authCramMd5' && state.salt === null
          ? { ...state, salt: makeSalt(state.random, state.unixTime, settings.serverName) }
          : state;
      const prompt = saslPrompt(SASL_PROMPTS, step.exchange, s.salt);
      if (prompt === null) return rejected(state, tag, consumed, null);
      return withLogin(continueSasl(s, step.exchange, tag, step.login, prompt, consumed), step.login);
    }
    case 'credentials': {
      const salt = step.method === 'cram-md5' ? state.salt : null;
      const request: AuthRequest = {
        method: step.method,
        login: step.login,
        password: step.password,
        salt,
        smtpHelo: null,
        smtpFrom: null,
        smtpTo: null,
      };
      return authenticate(state, tag, request, consumed);
    }
    case 'refused':
      return withLogin(rejected(state, tag, consumed, step.log), step.login);
  }
}

function continueSasl(
  state: ImapState,
  next: ImapMailState,
  tag: Buffer | null,
  login: Buffer | null,
  prompt: Buffer,
  consumed: number,
): FeedResult<ImapState> {
  return {
    state: { ...state, mailState: next, tag, login, parse: null },
    actions: [{ type: 'reply', data: prompt }],
    consumed,
  };
}

/** One client line of a SASL exchange; only its first argument is used (reference 4.4). */
function saslLine(state: ImapState, cmd: Command, settings: ImapSettings): FeedResult<ImapState> {
  if (!isSaslExchange(state.mailState)) return rejected(state, state.tag, cmd.consumed, null);
  const step = saslContinue(state.mailState, cmd.args, state.login);
  return saslOutcome(state, state.tag, step, cmd.consumed, settings);
}

function plainRequest(login: Buffer, password: Buffer): AuthRequest {
  return { method: 'plain', login, password, salt: null, smtpHelo: null, smtpFrom: null, smtpTo: null };
}

/** nginx: ngx_mail_auth. The client's further input is held by the shell until `authFailed` or success. */
function authenticate(state: ImapState, tag: Buffer | null, request: AuthRequest, consumed: number): FeedResult<ImapState> {
  const upstream: UpstreamLoginContext = { protocol: 'imap', tag: tag ?? Buffer.alloc(0), clientId: state.clientId };
  return {
    state: { ...state, mailState: 'authHttp', tag, login: null, parse: null },
    actions: [{ type: 'authenticate', request, upstream }],
    consumed,
  };
}

const COMMANDS: { readonly [V in ImapVerb]: CommandSpec } = {
  noop: { loginCommand: false, minArgs: 0, maxArgs: 3, handle: handleNoop },
  capability: { loginCommand: false, minArgs: 0, maxArgs: 3, handle: handleCapability },
  logout: { loginCommand: false, minArgs: 0, maxArgs: 3, handle: handleLogout },
  starttls: { loginCommand: false, minArgs: 0, maxArgs: 3, handle: handleStartTls },
  login: { loginCommand: true, minArgs: 2, maxArgs: 2, handle: handleLogin },
  authenticate: { loginCommand: true, minArgs: 1, maxArgs: 3, handle: handleAuthenticate },
  // ID's parameter list is not an argument (the parser keeps it apart); handleId checks it is there.
  id: { loginCommand: false, minArgs: 0, maxArgs: 0, handle: handleId },
};

/* ---- outcomes from the shell ---------------------------------------------------------------------- */

/**
 * nginx: ngx_mail_read_command's "too long command" path. Not counted toward max_errors; always quits.
 */
export function overflow(state: ImapState, buf: Buffer, start: number, end: number): Step<ImapState> {
  const sasl = state.mailState !== 'start';
  let ps: ImapParseState | null = state.parse;
  if (acceptsInput(state.mailState)) {
    const r = parseImapCommand(state.parse, sasl, buf, start, end);
    if (r.kind === 'incomplete' || r.kind === 'literal') ps = r.state;
  }
  const tag = sasl ? state.tag : ps === null ? null : parsedTag(ps, buf, start);
  return {
    state: reset(state, 'closed'),
    actions: [
      { type: 'log', level: 'info', message: `client sent too long command "${tooLongText(buf, start, end, ps, sasl)}"` },
      { type: 'reply', data: tagged(tag, INVALID_COMMAND) },
      { type: 'close', reason: 'tooLong' },
    ],
  };
}

/** The buffer for the too-long log line, with credentials masked (see the file header). */
function tooLongText(buf: Buffer, start: number, end: number, ps: ImapParseState | null, sasl: boolean): string {
  if (sasl) return '***';
  const verb = ps === null ? null : parsedVerb(ps);
  if (ps !== null && (verb === 'login' || verb === 'authenticate')) {
    // cmdStart + verb length + its terminating space
    const keep = ps.cmdStart + (verb === 'login' ? 5 : 12) + 1;
    return `${logText(buf, start, start + keep)}***`;
  }
  return logText(buf, start, end);
}

/**
 * Client bytes for a log line: control bytes, DEL, 8-bit bytes, `"` and `\` as `\xHH`, as the session
 * shell shows logins (worker/session-log.ts). A too long command can hold a literal's CR LF, which
 * nginx writes raw, letting a client forge log lines.
 */
function logText(buf: Buffer, start: number, end: number): string {
  let out = '';
  for (let i = start; i < end; i++) {
    const c = buf[i] as number;
    out += c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c ? `\\x${c.toString(16).padStart(2, '0')}` : String.fromCharCode(c);
  }
  return out;
}

/** nginx: the auth_http error branch for IMAP (`<tag> NO <text>`), then close or back to the start. */
export function authFailed(state: ImapState, failure: AuthFailure): Step<ImapState> {
  const data = authFailedReply(state.tag, failure.text);
  if (failure.retry) {
    // nginx: ngx_mail_auth_sleep_handler — mail_state 0, the client may try again; salt and errors stay.
    return { state: reset(state, 'start'), actions: [{ type: 'reply', data }] };
  }
  return {
    state: reset(state, 'closed'),
    actions: [
      { type: 'reply', data },
      { type: 'close', reason: 'authFailed' },
    ],
  };
}

/**
 * nginx: ngx_mail_starttls_handler → init_protocol: the start state, no new greeting. Ours: ID parameters
 * sent in plaintext are forgotten, since anyone on the path could have injected them (as SMTP forgets
 * HELO after STARTTLS, RFC 3207 section 4.2).
 */
export function tlsStarted(state: ImapState): Step<ImapState> {
  return { state: { ...reset(state, 'start'), tls: true, clientId: null }, actions: NO_ACTIONS };
}
