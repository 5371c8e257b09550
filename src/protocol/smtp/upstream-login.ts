/**
 * The SMTP backend login (nginx: ngx_mail_proxy_smtp_handler, ngx_mail_proxy_read_response).
 *
 * Owns: the dialogue of reference 5.3 — greeting; EHLO/HELO with server_name; with `xclient on`,
 * `XCLIENT ADDR=… [LOGIN=…] NAME=…` and the client's own HELO/EHLO again; then MAIL/RCPT replay for the
 * `smtp_auth none` flow, or `AUTH PLAIN` for `proxy_smtp_auth`, or nothing — plus the reply checks of
 * reference 5.2 (multi-line replies are read to their last line) and nginx's action texts.
 * Does not own the socket, the deadline or the proxy_buffer limit: the relay's login driver feeds the
 * bytes, times out, and reports "upstream sent too long response line" when a reply outgrows its buffer.
 *
 * Every command keeps nginx's round trip: EHLO must end a pipelined group (RFC 2920 section 3.1) and
 * XCLIENT resets the backend's session (Postfix answers it with a new greeting), so neither may be
 * followed by more commands in the same write; MAIL+RCPT could be pipelined, but a rejected MAIL would
 * then still put a RCPT in front of the backend, which nginx never does.
 */
import type {
  UpstreamAction,
  UpstreamCredentials,
  UpstreamLoginContext,
  UpstreamLoginModule,
  UpstreamLoginSettings,
  UpstreamStep,
} from '../types.js';
import { awaitingReply, READING_UPSTREAM_REPLY, rejectedReply } from '../upstream-reply.js';
import { safeClientHost } from './host-name.js';
import { SMTP_REPLY } from './replies.js';
import { xtextEncode } from './xtext.js';

/** nginx's ngx_smtp_* proxy states: what we are waiting for the reply to. */
export type SmtpLoginPhase =
  | 'start' // the greeting
  | 'helo' // our EHLO/HELO, then done
  | 'heloXclient' // our EHLO, then XCLIENT
  | 'heloFrom' // our EHLO/HELO, then MAIL
  | 'heloAuth' // our EHLO/HELO, then AUTH PLAIN
  | 'xclient' // XCLIENT, then done
  | 'xclientFrom' // XCLIENT, then MAIL
  | 'xclientHelo' // XCLIENT, then the client's HELO/EHLO
  | 'xclientAuth' // XCLIENT, then AUTH PLAIN
  | 'authPlain' // AUTH PLAIN, then done
  | 'from' // MAIL, then RCPT
  | 'to'; // RCPT; its reply, whatever it is, goes to the client

export interface SmtpLoginState {
  readonly phase: SmtpLoginPhase;
  /** nginx's `c->log->action` while waiting here */
  readonly action: string;
  readonly ctx: Extract<UpstreamLoginContext, { protocol: 'smtp' }>;
  readonly creds: UpstreamCredentials;
  readonly settings: UpstreamLoginSettings;
}

export const SMTP_LOGIN_ACTION = {
  connecting: 'connecting to upstream',
  reading: READING_UPSTREAM_REPLY,
  helo: 'sending HELO/EHLO to upstream',
  xclient: 'sending XCLIENT to upstream',
  clientHelo: 'sending client HELO/EHLO to upstream',
  auth: 'sending AUTH to upstream',
  mailFrom: 'sending MAIL FROM to upstream',
  rcptTo: 'sending RCPT TO to upstream',
} as const;

const CR = 0x0d;
const LF = 0x0a;
const DASH = 0x2d;

/**
 * End (exclusive) of the first complete reply in `buf[start, end)`, or -1. A reply is at least 4 bytes
 * and ends with CRLF; when its 4th byte is `-` it is multi-line and runs to the first line whose 4th byte
 * is not `-` (nginx: ngx_mail_proxy_read_response waits for that last line).
 */
export function smtpReplyEnd(buf: Buffer, start: number, end: number): number {
  if (end - start < 4) return -1;
  // nginx looks at the 4th byte of what it has read to decide whether the reply is multi-line.
  const multi = buf[start + 3] === DASH;
  let lineStart = start;
  for (let i = start + 3; i < end; i++) {
    if (buf[i] !== LF || buf[i - 1] !== CR) continue;
    if (!multi) return i + 1;
    // A following line is the last one unless its 4th byte (before its CRLF) is `-`.
    if (lineStart !== start && !(lineStart + 3 < i - 1 && buf[lineStart + 3] === DASH)) return i + 1;
    lineStart = i + 1;
  }
  return -1;
}

function code(buf: Buffer, at: number, a: number, b: number, c: number): boolean {
  return buf[at] === a && buf[at + 1] === b && buf[at + 2] === c;
}

/** nginx's acceptance rule per state (reference 5.2). */
function accepted(phase: SmtpLoginPhase, buf: Buffer, at: number): boolean {
  switch (phase) {
    case 'start':
      return code(buf, at, 0x32, 0x32, 0x30); // 220
    case 'helo':
    case 'heloXclient':
    case 'heloFrom':
    case 'heloAuth':
    case 'from':
      return code(buf, at, 0x32, 0x35, 0x30); // 250
    case 'xclient':
    case 'xclientFrom':
    case 'xclientHelo':
    case 'xclientAuth':
      // Postfix answers XCLIENT with a new 220 greeting; others with 250.
      return code(buf, at, 0x32, 0x32, 0x30) || code(buf, at, 0x32, 0x35, 0x30);
    case 'authPlain':
      return code(buf, at, 0x32, 0x33, 0x35); // 235
    case 'to':
      return true;
  }
}

function line(...parts: (string | Buffer)[]): Buffer {
  const bufs = parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : p));
  bufs.push(SMTP_REPLY.crlf);
  return Buffer.concat(bufs);
}

function to(s: SmtpLoginState, phase: SmtpLoginPhase, action: string): SmtpLoginState {
  return { phase, action, ctx: s.ctx, creds: s.creds, settings: s.settings };
}

function reading(s: SmtpLoginState): SmtpLoginState {
  return to(s, s.phase, SMTP_LOGIN_ACTION.reading);
}

function send(s: SmtpLoginState, phase: SmtpLoginPhase, action: string, data: Buffer, consumed: number): UpstreamStep<SmtpLoginState> {
  return { state: to(s, phase, action), actions: [{ type: 'send', data, phase: action }], consumed };
}

function noneFlow(s: SmtpLoginState): boolean {
  return s.ctx.mailFrom !== null && s.ctx.rcptTo !== null;
}

/** Where to go after the server's EHLO/HELO (or the client's) was accepted, without XCLIENT to send. */
function afterHelo(s: SmtpLoginState): SmtpLoginPhase {
  if (noneFlow(s)) return 'heloFrom';
  if (s.settings.smtpAuth) return 'heloAuth';
  return 'helo';
}

function done(s: SmtpLoginState, reply: Buffer, consumed: number): UpstreamStep<SmtpLoginState> {
  const action: UpstreamAction = { type: 'done', reply };
  return { state: reading(s), actions: [action], consumed };
}

/** `XCLIENT ADDR=[IPV6:]<addr>[ LOGIN=<xtext>] NAME=<host>` (nginx ≥ 1.29.2 encodes LOGIN as xtext). */
function xclientLine(s: SmtpLoginState): Buffer {
  const parts: (string | Buffer)[] = ['XCLIENT ADDR=', s.settings.clientIsIpv6 ? 'IPV6:' : '', s.settings.clientAddr];
  if (s.creds.login.length > 0 && !s.settings.smtpAuth) parts.push(' LOGIN=', xtextEncode(s.creds.login));
  // Ours: a name that is not a valid host name never reaches the line, whoever produced it.
  parts.push(' NAME=', safeClientHost(s.settings.clientHost));
  return line(...parts);
}

function authPlainLine(login: Buffer, password: Buffer): Buffer {
  const raw = Buffer.allocUnsafe(login.length + password.length + 2);
  raw[0] = 0;
  login.copy(raw, 1);
  raw[login.length + 1] = 0;
  password.copy(raw, login.length + 2);
  return line('AUTH PLAIN ', raw.toString('base64'));
}

/** After an accepted reply in `s.phase`: the next command, or the end. */
function advance(s: SmtpLoginState, reply: Buffer, consumed: number): UpstreamStep<SmtpLoginState> {
  const A = SMTP_LOGIN_ACTION;
  switch (s.phase) {
    case 'start': {
      const verb = s.ctx.esmtp || s.settings.xclient ? 'EHLO ' : 'HELO ';
      const phase = s.settings.xclient ? 'heloXclient' : afterHelo(s);
      return send(s, phase, A.helo, line(verb, Buffer.from(s.settings.serverName, 'utf8')), consumed);
    }
    case 'heloXclient': {
      let phase: SmtpLoginPhase;
      if (s.ctx.helo.length > 0) phase = 'xclientHelo';
      else if (noneFlow(s)) phase = 'xclientFrom';
      else if (s.settings.smtpAuth) phase = 'xclientAuth';
      else phase = 'xclient';
      return send(s, phase, A.xclient, xclientLine(s), consumed);
    }
    case 'xclientHelo':
      return send(s, afterHelo(s), A.clientHelo, line(s.ctx.esmtp ? 'EHLO ' : 'HELO ', s.ctx.helo), consumed);
    case 'heloAuth':
    case 'xclientAuth': {
      if (s.creds.password === null) {
        const error: UpstreamAction = { type: 'error', message: 'no password available', phase: A.auth };
        return { state: to(s, s.phase, A.auth), actions: [error], consumed };
      }
      return send(s, 'authPlain', A.auth, authPlainLine(s.creds.login, s.creds.password), consumed);
    }
    case 'heloFrom':
    case 'xclientFrom':
      return send(s, 'from', A.mailFrom, line(s.ctx.mailFrom ?? Buffer.alloc(0)), consumed);
    case 'from':
      return send(s, 'to', A.rcptTo, line(s.ctx.rcptTo ?? Buffer.alloc(0)), consumed);
    case 'to':
      // The backend's answer to the client's RCPT is the client's answer.
      return done(s, reply, consumed);
    case 'helo':
    case 'xclient':
    case 'authPlain':
      // The backend's reply is dropped; the proxy itself tells the client its AUTH succeeded.
      return done(s, SMTP_REPLY.authOk, consumed);
  }
}

export const smtpUpstreamLogin: UpstreamLoginModule<SmtpLoginState> = {
  start(ctx: UpstreamLoginContext, creds: UpstreamCredentials, settings: UpstreamLoginSettings): SmtpLoginState {
    const smtp: SmtpLoginState['ctx'] =
      ctx.protocol === 'smtp' ? ctx : { protocol: 'smtp', helo: Buffer.alloc(0), esmtp: false, mailFrom: null, rcptTo: null };
    return { phase: 'start', action: SMTP_LOGIN_ACTION.connecting, ctx: smtp, creds, settings };
  },

  feed(s: SmtpLoginState, buf: Buffer, start: number, end: number): UpstreamStep<SmtpLoginState> {
    const replyEnd = smtpReplyEnd(buf, start, end);
    if (replyEnd === -1) return awaitingReply(s, start, end, reading);
    const consumed = replyEnd - start;
    const raw = Buffer.from(buf.subarray(start, replyEnd));
    if (!accepted(s.phase, buf, start)) return { state: reading(s), actions: [rejectedReply(raw)], consumed };
    return advance(s, raw, consumed);
  },

  phase(s: SmtpLoginState): string {
    return s.action;
  },
};
