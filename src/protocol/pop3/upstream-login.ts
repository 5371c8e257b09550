/**
 * The POP3 backend login (nginx: ngx_mail_proxy_pop3_handler): greeting, `USER`, `PASS`, each answered
 * with `+OK`; the last `+OK` line is the client's success reply.
 *
 * Owns: the dialogue, the reply checks of reference 5.2 (a reply is complete at a CRLF once it holds at
 * least 4 bytes; it is accepted when it starts with `+OK`), and nginx's action texts for log lines.
 * Does not own the socket, the deadline or the proxy_buffer limit: the relay's login driver feeds the
 * bytes, times out, and reports "upstream sent too long response line" when a reply outgrows its buffer.
 *
 * Ours (Q-15 fixed): a login or password holding CR, LF or NUL is never written to the backend; the
 * login ends with an `error` action instead (nginx sends USER/PASS raw, which allows command injection).
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
import { hasLineBreakOrNul } from './machine.js';

/** nginx's ngx_pop3_* proxy states: waiting for the greeting, the reply to USER, the reply to PASS. */
export type Pop3LoginPhase = 'start' | 'user' | 'passwd';

export interface Pop3LoginState {
  readonly phase: Pop3LoginPhase;
  readonly login: Buffer;
  readonly password: Buffer | null;
  /** nginx's `c->log->action` while waiting here */
  readonly action: string;
}

export const POP3_LOGIN_ACTION = {
  connecting: 'connecting to upstream',
  reading: READING_UPSTREAM_REPLY,
  user: 'sending user name to upstream',
  password: 'sending password to upstream',
} as const;

const CR = 0x0d;
const LF = 0x0a;

/**
 * End (exclusive) of the first complete reply in `buf[start, end)`, or -1. nginx reads until the buffer
 * holds at least 4 bytes and ends with CRLF (ngx_mail_proxy_read_response); a reply here is the bytes
 * up to the first CRLF that makes it at least 4 bytes long.
 */
export function pop3ReplyEnd(buf: Buffer, start: number, end: number): number {
  for (let i = start + 3; i < end; i++) {
    if (buf[i] === LF && buf[i - 1] === CR) return i + 1;
  }
  return -1;
}

function isOk(buf: Buffer, at: number): boolean {
  return buf[at] === 0x2b && buf[at + 1] === 0x4f && buf[at + 2] === 0x4b; // "+OK"
}

function state(s: Pop3LoginState, phase: Pop3LoginPhase, action: string): Pop3LoginState {
  return { phase, login: s.login, password: s.password, action };
}

function reading(s: Pop3LoginState): Pop3LoginState {
  return state(s, s.phase, POP3_LOGIN_ACTION.reading);
}

function command(verb: string, arg: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + arg.length + 2);
  out.write(verb, 0, 'latin1');
  out[4] = 0x20;
  arg.copy(out, 5);
  out[out.length - 2] = CR;
  out[out.length - 1] = LF;
  return out;
}

export const pop3UpstreamLogin: UpstreamLoginModule<Pop3LoginState> = {
  start(_ctx: UpstreamLoginContext, creds: UpstreamCredentials, _settings: UpstreamLoginSettings): Pop3LoginState {
    return { phase: 'start', login: creds.login, password: creds.password, action: POP3_LOGIN_ACTION.connecting };
  },

  feed(s: Pop3LoginState, buf: Buffer, start: number, end: number): UpstreamStep<Pop3LoginState> {
    const replyEnd = pop3ReplyEnd(buf, start, end);
    if (replyEnd === -1) return awaitingReply(s, start, end, reading);
    const consumed = replyEnd - start;
    if (!isOk(buf, start)) {
      return { state: reading(s), actions: [rejectedReply(Buffer.from(buf.subarray(start, replyEnd)))], consumed };
    }
    switch (s.phase) {
      case 'start': {
        // Ours: checked here, where nginx would write USER.
        if (hasLineBreakOrNul(s.login) || (s.password !== null && hasLineBreakOrNul(s.password))) {
          const error: UpstreamAction = {
            type: 'error',
            message: 'login or password with CR, LF or NUL not sent to upstream',
            phase: POP3_LOGIN_ACTION.user,
          };
          return { state: state(s, s.phase, POP3_LOGIN_ACTION.user), actions: [error], consumed };
        }
        const send: UpstreamAction = { type: 'send', data: command('USER', s.login), phase: POP3_LOGIN_ACTION.user };
        return { state: state(s, 'user', POP3_LOGIN_ACTION.user), actions: [send], consumed };
      }
      case 'user': {
        if (s.password === null) {
          // The auth layer refuses a missing password first ("did not send password"); never send PASS without one.
          const error: UpstreamAction = { type: 'error', message: 'no password available', phase: POP3_LOGIN_ACTION.password };
          return { state: state(s, s.phase, POP3_LOGIN_ACTION.password), actions: [error], consumed };
        }
        const send: UpstreamAction = { type: 'send', data: command('PASS', s.password), phase: POP3_LOGIN_ACTION.password };
        return { state: state(s, 'passwd', POP3_LOGIN_ACTION.password), actions: [send], consumed };
      }
      case 'passwd': {
        const done: UpstreamAction = { type: 'done', reply: Buffer.from(buf.subarray(start, replyEnd)) };
        return { state: reading(s), actions: [done], consumed };
      }
    }
  },

  phase(s: Pop3LoginState): string {
    return s.action;
  },
};
