/**
 * The IMAP backend login, as a pure dialogue over the backend's bytes (nginx: ngx_mail_proxy_imap_handler
 * and ngx_mail_proxy_read_response, reference 5.2–5.4). The relay's connector owns the socket, the
 * `timeout` deadline and `proxy_pass_error_message`; this module says what to send and when the login
 * succeeded or failed.
 *
 * nginx's dialogue: `* OK` greeting → `<tag>LOGIN {n}` → `+` → `<login> {m}` → `+` → `<password>` →
 * `<tag>OK`, relaying the backend's final reply to the client. Beyond nginx:
 * - Q-18 relaxed: any number of untagged lines may precede the tagged OK (nginx tolerates one). They are
 *   relayed with it, as nginx relays its whole buffer.
 * - When the greeting's `[CAPABILITY ...]` lists LITERAL+ (RFC 7888), or LITERAL- and both literals are
 *   at most 4096 bytes, the whole LOGIN goes out in one write with non-synchronising literals, saving two
 *   round trips (ARCHITECTURE.md, "Where the time goes").
 * - With `forwardId` (default off, so nginx's exact dialogue by default) an `ID` command goes out with the
 *   LOGIN, carrying the client's own ID pairs plus `x-originating-ip`/`-port` and `x-connected-ip`/`-port`:
 *   Dovecot then logs and rate-limits by the real client address when postern is in its
 *   `login_trusted_networks`. Its reply is read and dropped; the client already had its answer.
 * - A reply line is complete at CRLF whatever its length (nginx waits for at least 4 bytes, so a bare
 *   `+` CRLF continuation would stall it until the deadline).
 *
 * Does not own: connecting, the PROXY header, timers, the relay, log lines (the shell writes nginx's
 * `upstream sent invalid response` text from a `rejected` action at the level pass_error_message implies).
 */

import { ProxyError } from '../../errors.js';
import { PAGE_SIZE } from '../../limits.js';
import type {
  UpstreamAction,
  UpstreamCredentials,
  UpstreamLoginContext,
  UpstreamLoginModule,
  UpstreamLoginSettings,
  UpstreamStep,
} from '../types.js';
import { buildForwardedIdParams } from './id-params.js';

/** RFC 7888 section 4: with LITERAL- a non-synchronising literal may carry at most 4096 bytes. */
const LITERAL_MINUS_MAX_BYTES = 4096;

/**
 * IMAP-only upstream login settings. All optional, so a plain `UpstreamLoginSettings` is valid: nginx's
 * behaviour with a page-sized proxy buffer.
 */
export interface ImapUpstreamExtras {
  /** `proxy_buffer`: a backend reply must fit in it (nginx: `upstream sent too long response line`). */
  readonly proxyBufferBytes?: number;
  /** Ours: send the client's ID plus the connection's addresses to the backend before LOGIN. */
  readonly forwardId?: boolean;
  /** the client's port, for `x-originating-port` */
  readonly clientPort?: number;
  /** the address and port the client connected to, for `x-connected-ip` / `x-connected-port` */
  readonly localAddr?: string;
  readonly localPort?: number;
}

export type ImapUpstreamLoginSettings = UpstreamLoginSettings & ImapUpstreamExtras;

/** The contract's module, with `start` taking the IMAP extras (a plain UpstreamLoginSettings still fits). */
export interface ImapUpstreamLoginModule extends UpstreamLoginModule<ImapLoginState> {
  start(ctx: UpstreamLoginContext, creds: UpstreamCredentials, settings: ImapUpstreamLoginSettings): ImapLoginState;
}

/** nginx's ngx_imap_state_e values used by the proxy module, minus the prefix. */
export type ImapLoginPhase = 'start' | 'login' | 'user' | 'passwd' | 'done';

export interface ImapLoginState {
  readonly phase: ImapLoginPhase;
  /** the client's tag with its trailing space; the backend's tagged OK is relayed to the client as is */
  readonly tag: Buffer;
  readonly login: Buffer;
  readonly password: Buffer | null;
  readonly clientId: Buffer | null;
  readonly settings: ImapUpstreamLoginSettings;
  readonly proxyBufferBytes: number;
  /** the tag of our ID command while its tagged reply has not been seen, else null */
  readonly idTag: Buffer | null;
  /** offset (from the caller's start) just past the ID reply: the client's reply starts there */
  readonly replyFrom: number;
  /** offset of the first line not yet examined */
  readonly lineFrom: number;
  /** bytes already searched for the end of the line at `lineFrom` */
  readonly searched: number;
  /** nginx's c->log->action while waiting here */
  readonly action: string;
}

const NO_ACTIONS: readonly UpstreamAction[] = Object.freeze([]);
const READING = 'reading response from upstream';
const SENDING_LOGIN = 'sending LOGIN command to upstream';
const SENDING_USER = 'sending user name to upstream';
const SENDING_PASSWORD = 'sending password to upstream';

const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');
const CRLF = latin1('\r\n');

export function start(
  ctx: UpstreamLoginContext,
  creds: UpstreamCredentials,
  settings: ImapUpstreamLoginSettings,
): ImapLoginState {
  if (ctx.protocol !== 'imap') {
    throw new ProxyError('ERR_INTERNAL', 'imap upstream login started for another protocol', {
      details: { protocol: ctx.protocol },
    });
  }
  return {
    phase: 'start',
    tag: ctx.tag,
    login: creds.login,
    password: creds.password,
    clientId: ctx.clientId ?? null,
    settings,
    proxyBufferBytes: settings.proxyBufferBytes ?? PAGE_SIZE,
    idTag: null,
    replyFrom: 0,
    lineFrom: 0,
    searched: 0,
    // nginx sets this in ngx_mail_proxy_init and keeps it until the first backend bytes are read.
    action: 'connecting to upstream',
  };
}

export function phase(state: ImapLoginState): string {
  return state.action;
}

/** Offset just past the CRLF ending the line that starts at `from`, or -1 (bare LF does not end it). */
function lineEnd(buf: Buffer, start: number, from: number, searchFrom: number, len: number): number {
  for (let k = Math.max(from + 1, searchFrom); k < len; k++) {
    if (buf[start + k] === 0x0a && buf[start + k - 1] === 0x0d) return k + 1;
  }
  return -1;
}

function startsWith(buf: Buffer, at: number, end: number, prefix: Buffer): boolean {
  if (end - at < prefix.length) return false;
  return buf.compare(prefix, 0, prefix.length, at, at + prefix.length) === 0;
}

function startsWithAscii(buf: Buffer, at: number, end: number, prefix: string): boolean {
  if (end - at < prefix.length) return false;
  for (let k = 0; k < prefix.length; k++) if (buf[at + k] !== prefix.charCodeAt(k)) return false;
  return true;
}

/**
 * Whether the greeting line offers LITERAL+ or LITERAL- in a `[CAPABILITY ...]` response code
 * right after `* OK ` (RFC 3501 section 7.1, RFC 7888).
 */
export function greetingLiteralSupport(buf: Buffer, from: number, to: number): 'plus' | 'minus' | 'none' {
  const text = buf.toString('latin1', from, to).toUpperCase();
  if (!text.startsWith('* OK [CAPABILITY ')) return 'none';
  const close = text.indexOf(']');
  const caps = text.slice('* OK [CAPABILITY '.length, close === -1 ? undefined : close).split(' ');
  if (caps.includes('LITERAL+')) return 'plus';
  if (caps.includes('LITERAL-')) return 'minus';
  return 'none';
}

function idCommand(state: ImapLoginState, idTag: Buffer): Buffer {
  const s = state.settings;
  const params = buildForwardedIdParams(state.clientId, {
    clientAddr: s.clientAddr,
    clientPort: s.clientPort,
    localAddr: s.localAddr,
    localPort: s.localPort,
  });
  return Buffer.concat([idTag, latin1('ID '), params, CRLF]);
}

/** What goes out once the greeting is accepted, and the phase that waits for its answer. */
function afterGreeting(
  state: ImapLoginState,
  password: Buffer,
  literals: 'plus' | 'minus' | 'none',
): { data: Buffer; next: ImapLoginPhase; idTag: Buffer | null } {
  const idTag = state.settings.forwardId === true ? Buffer.concat([state.tag.subarray(0, -1), latin1('.id ')]) : null;
  const parts: Buffer[] = idTag === null ? [] : [idCommand(state, idTag)];
  const noSync =
    literals === 'plus' ||
    (literals === 'minus' && state.login.length <= LITERAL_MINUS_MAX_BYTES && password.length <= LITERAL_MINUS_MAX_BYTES);
  if (noSync) {
    parts.push(
      state.tag,
      latin1(`LOGIN {${String(state.login.length)}+}\r\n`),
      state.login,
      latin1(` {${String(password.length)}+}\r\n`),
      password,
      CRLF,
    );
    return { data: Buffer.concat(parts), next: 'passwd', idTag };
  }
  // nginx: "%VLOGIN {%uz}" CRLF, the tag keeping its space
  parts.push(state.tag, latin1(`LOGIN {${String(state.login.length)}}\r\n`));
  return { data: Buffer.concat(parts), next: 'login', idTag };
}

function tooLong(state: ImapLoginState, buf: Buffer, start: number, len: number): UpstreamStep<ImapLoginState> {
  // nginx overwrites the buffer's last byte with NUL and prints up to it.
  const shown = buf.toString('latin1', start, start + Math.min(len, state.proxyBufferBytes) - 1);
  return {
    state: { ...state, phase: 'done', action: READING },
    actions: [{ type: 'error', message: `upstream sent too long response line: "${shown}"`, phase: READING }],
    consumed: 0,
  };
}

function rejected(
  state: ImapLoginState,
  buf: Buffer,
  start: number,
  logFrom: number,
  lineStop: number,
  replyFrom: number,
): UpstreamStep<ImapLoginState> {
  return {
    state: { ...state, phase: 'done', action: READING },
    actions: [
      {
        type: 'rejected',
        line: Buffer.from(buf.subarray(logFrom, lineStop - 2)),
        raw: Buffer.from(buf.subarray(start + replyFrom, lineStop)),
      },
    ],
    consumed: lineStop - start,
  };
}

function sent(
  state: ImapLoginState,
  data: Buffer,
  next: ImapLoginPhase,
  action: string,
  idTag: Buffer | null,
  consumed: number,
): UpstreamStep<ImapLoginState> {
  return {
    state: { ...state, phase: next, idTag, replyFrom: 0, lineFrom: 0, searched: 0, action },
    actions: [{ type: 'send', data, phase: action }],
    consumed,
  };
}

/**
 * Offers backend bytes `buf[start, end)`. Until a whole reply is there: consumed 0, no actions. A reply
 * is consumed through its last CRLF; bytes after a `done` reply belong to the relay (the shell forwards
 * them to the client after `done.reply`).
 */
export function feed(state: ImapLoginState, buf: Buffer, start: number, end: number): UpstreamStep<ImapLoginState> {
  if (state.phase === 'done') return { state, actions: NO_ACTIONS, consumed: 0 };
  const len = end - start;
  let idTag = state.idTag;
  let replyFrom = state.replyFrom;
  let from = state.lineFrom;
  let searchFrom = state.searched;

  for (;;) {
    const stop = lineEnd(buf, start, from, searchFrom, len);
    if (stop < 0) break;
    // nginx: the whole reply must fit in proxy_buffer
    if (stop > state.proxyBufferBytes) return tooLong(state, buf, start, len);
    const ls = start + from;
    const le = start + stop;

    if (idTag !== null) {
      // Our ID's untagged `* ID ...` and tagged completion (OK, NO or BAD alike) are dropped.
      if (startsWith(buf, ls, le, idTag)) {
        idTag = null;
        replyFrom = stop;
      }
      from = stop;
      searchFrom = stop;
      continue;
    }

    switch (state.phase) {
      case 'start': {
        // nginx: "* OK" (a PREAUTH or BYE greeting is an error)
        if (!startsWithAscii(buf, ls, le, '* OK')) return rejected(state, buf, start, ls, le, replyFrom);
        if (state.password === null) {
          return {
            state: { ...state, phase: 'done', action: SENDING_LOGIN },
            actions: [{ type: 'error', message: 'no password available', phase: SENDING_LOGIN }],
            consumed: stop,
          };
        }
        const next = afterGreeting(state, state.password, greetingLiteralSupport(buf, ls, le));
        return sent(state, next.data, next.next, SENDING_LOGIN, next.idTag, stop);
      }
      case 'login':
        if (buf[ls] !== 0x2b /* + */) return rejected(state, buf, start, ls, le, replyFrom);
        // nginx: "%V {%uz}" CRLF
        return sent(
          state,
          Buffer.concat([state.login, latin1(` {${String(state.password?.length ?? 0)}}\r\n`)]),
          'user',
          SENDING_USER,
          null,
          stop,
        );
      case 'user':
        if (buf[ls] !== 0x2b /* + */) return rejected(state, buf, start, ls, le, replyFrom);
        return sent(state, Buffer.concat([state.password ?? Buffer.alloc(0), CRLF]), 'passwd', SENDING_PASSWORD, null, stop);
      case 'passwd': {
        // Q-18 relaxed: untagged lines (`* CAPABILITY ...`) before the tagged completion are skipped.
        if (startsWithAscii(buf, ls, le, '* ')) {
          from = stop;
          searchFrom = stop;
          continue;
        }
        if (startsWith(buf, ls, le, state.tag)) {
          const at = ls + state.tag.length;
          if (startsWithAscii(buf, at, le, 'OK')) {
            return {
              state: { ...state, phase: 'done', action: '' },
              actions: [{ type: 'done', reply: Buffer.from(buf.subarray(start + replyFrom, le)) }],
              consumed: stop,
            };
          }
          // nginx logs the reply from just past the tag
          return rejected(state, buf, start, at, le, replyFrom);
        }
        return rejected(state, buf, start, ls, le, replyFrom);
      }
    }
  }

  if (len >= state.proxyBufferBytes) return tooLong(state, buf, start, len);
  return {
    state: {
      ...state,
      idTag,
      replyFrom,
      lineFrom: from,
      searched: Math.max(len, from),
      // nginx: ngx_mail_proxy_read_response sets this on every read
      action: len > 0 ? READING : state.action,
    },
    actions: NO_ACTIONS,
    consumed: 0,
  };
}
