/**
 * The auth_http response, parsed by nginx's rules and reduced to an outcome (reference 3.4, 3.5;
 * nginx: ngx_mail_auth_http_ignore_status_line, ngx_mail_auth_http_parse_header_line,
 * ngx_mail_auth_http_process_headers).
 *
 * Owns: the resumable byte parser (status line skipped when the response starts with `HTTP/`, the
 * header-name charset, space-only trimming, LF or CRLF, a lone CR is an error), the header semantics
 * (case-insensitive names, later lines overwrite, `Auth-Status: OK` and `WAIT` never clear an earlier
 * error), the header size limit, the outcome checks in nginx's order with nginx's log texts, and, for
 * keep-alive, whether the connection can carry another request and how its body is delimited.
 * Does not own sockets, timers, retries or reading the body (body-reader.ts).
 *
 * Like nginx, the parser copies the response into one buffer of the limit's size (nginx: a fixed 1024
 * bytes) and keeps offsets into it; a response whose header block does not end inside it is refused.
 */
import { AUTH_HTTP_MAX_DRAIN_BYTES } from '../limits.js';
import type { AuthHttpErrorKind, AuthHttpResult, AuthProtocolName } from './types.js';
import { ATOI_ERROR, ngxAtoi, ngxParseAddr } from './nginx-parse.js';

export interface AuthResponseOptions {
  /** nginx's peer name for log texts: `127.0.0.1:9000` or `unix:/path` */
  readonly addrText: string;
  readonly protocol: AuthProtocolName;
  /**
   * The session has no password of its own for the backend (APOP, CRAM-MD5, EXTERNAL: nginx's
   * `s->passwd.data == NULL`). A success without Auth-Pass is then an error for IMAP and POP3.
   */
  readonly needPassword: boolean;
  /** the header block limit in bytes, status line included (`auth_http_max_response`; nginx: 1024) */
  readonly maxResponseBytes: number;
  /** also work out body framing and whether the connection can be reused */
  readonly keepalive: boolean;
}

/** How the body after the headers is delimited, for keep-alive reuse. */
export const BODY = {
  /** the connection cannot carry another request (no status line, `Connection: close`, unknown length...) */
  close: 0,
  /** no body: reusable right away */
  none: 1,
  /** `Content-Length` bytes follow */
  length: 2,
  /** a chunked body follows */
  chunked: 3,
} as const;
export type BodyKind = (typeof BODY)[keyof typeof BODY];


/**
 * Ours: the longest Auth-Wait we act on, in seconds: 2^31-1 ms is the most a Node timer can wait
 * (a larger delay fires after 1 ms), about 24.8 days. nginx takes any ngx_atoi value.
 */
export const AUTH_WAIT_MAX_SEC = Math.floor(0x7fffffff / 1000);

/** `parse()`/`feed()` return value while the header block is incomplete. */
export const NEED_MORE = -1;

// Parser states: the status line (nginx: ngx_mail_auth_http_ignore_status_line)...
const S_START = 0;
const S_H = 1;
const S_HT = 2;
const S_HTT = 3;
const S_HTTP = 4;
const S_SKIP = 5;
const S_SKIP_CR = 6;
// ...then header lines (nginx: ngx_mail_auth_http_parse_header_line).
const H_START = 10;
const H_NAME = 11;
const H_SPACE_BEFORE = 12;
const H_VALUE = 13;
const H_SPACE_AFTER = 14;
const H_ALMOST_DONE = 15;
const H_HEADER_ALMOST_DONE = 16;
const DONE = 20;

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;

// Transfer-Encoding seen: none, chunked last, something else last.
const TE_NONE = 0;
const TE_CHUNKED = 1;
const TE_OTHER = 2;

/**
 * One parser per auth connection, reused for every response on it (`reset` before each).
 * Feed bytes as they arrive; when `feed` returns ≥ 0 the header block is complete (or refused) and
 * `result` holds the outcome.
 */
export class AuthResponseParser {
  private buf: Buffer;
  private opts: AuthResponseOptions;
  private filled = 0;
  private pos = 0;
  private state = S_START;
  /** index of the status line's CR or LF; -1 when the response had none */
  private statusEnd = -1;
  private nameStart = 0;
  private nameEnd = 0;
  private valueStart = 0;
  private valueEnd = 0;

  // What the headers said (offsets into buf; -1 = absent).
  private errStart = -1;
  private errEnd = -1;
  private hasErr = false;
  private waitFlag = false;
  private sleepSec = 0;
  private addrStart = -1;
  private addrEnd = -1;
  private portStart = -1;
  private portEnd = -1;
  private userStart = -1;
  private userEnd = -1;
  private passStart = -1;
  private passEnd = -1;
  private codeStart = -1;
  private codeEnd = -1;
  // Framing headers (keep-alive only).
  private connClose = false;
  private connKeepAlive = false;
  /** -1 none, -2 invalid or conflicting */
  private contentLength = -1;
  private te = TE_NONE;

  /** The outcome, once `feed` returned ≥ 0. */
  result: AuthHttpResult | null = null;
  /** After the outcome: how the body is delimited (BODY.close unless keep-alive applies). */
  bodyKind: BodyKind = BODY.close;
  /** With BODY.length: the body's size. */
  bodyLength = 0;
  /** Response bytes that arrived for this response so far (header bytes only). */
  get receivedBytes(): number {
    return this.filled;
  }

  constructor(options: AuthResponseOptions) {
    this.opts = options;
    this.buf = Buffer.allocUnsafe(options.maxResponseBytes);
  }

  /** Start a new response. The buffer is kept when the limit did not change. */
  reset(options: AuthResponseOptions): void {
    if (options.maxResponseBytes !== this.buf.length) this.buf = Buffer.allocUnsafe(options.maxResponseBytes);
    this.opts = options;
    this.filled = 0;
    this.pos = 0;
    this.state = S_START;
    this.statusEnd = -1;
    this.errStart = -1;
    this.errEnd = -1;
    this.hasErr = false;
    this.waitFlag = false;
    this.sleepSec = 0;
    this.addrStart = -1;
    this.addrEnd = -1;
    this.portStart = -1;
    this.portEnd = -1;
    this.userStart = -1;
    this.userEnd = -1;
    this.passStart = -1;
    this.passEnd = -1;
    this.codeStart = -1;
    this.codeEnd = -1;
    this.connClose = false;
    this.connKeepAlive = false;
    this.contentLength = -1;
    this.te = TE_NONE;
    this.result = null;
    this.bodyKind = BODY.close;
    this.bodyLength = 0;
  }

  /**
   * Offer response bytes `chunk[start, end)`. Returns NEED_MORE, or, once `result` is set, the number
   * of bytes of this chunk that belonged to the header block (through the blank line; bytes after it are
   * the body) or, for a refused response, through the offending byte. Never throws on input.
   */
  feed(chunk: Buffer, start: number, end: number): number {
    if (this.result !== null) return 0;
    const before = this.filled;
    const n = Math.min(end - start, this.buf.length - before);
    chunk.copy(this.buf, before, start, start + n);
    this.filled = before + n;
    // done: bytes through the blank line; refused: bytes through the offending one
    if (this.run()) return (this.state === DONE ? this.pos : this.pos + 1) - before;
    if (this.filled === this.buf.length) {
      // Q-5 fix: nginx fails silently here (its recv() gets no room and reads 0); we say why.
      this.fail(
        'tooBig',
        `auth http server ${this.opts.addrText} sent too big header (more than ${this.buf.length} bytes, see auth_http_max_response)`,
      );
      return n;
    }
    return NEED_MORE;
  }

  /** Outcome of a connection closed before the header block ended (nginx logs nothing here). */
  closedEarly(): AuthHttpResult {
    return errorResult('closed', `auth http server ${this.opts.addrText} prematurely closed connection`);
  }

  private fail(kind: AuthHttpErrorKind, message: string): void {
    this.result = errorResult(kind, message);
    this.bodyKind = BODY.close;
  }

  /** Parse buf[pos, filled); true once `result` is set. */
  private run(): boolean {
    const buf = this.buf;
    const filled = this.filled;
    let state = this.state;
    let p = this.pos;
    while (p < filled) {
      const ch = buf[p] as number;
      switch (state) {
        // "HTTP/": anything else means there is no status line (nginx: goto next).
        case S_START:
        case S_H:
        case S_HT:
        case S_HTT:
        case S_HTTP: {
          if (ch === HTTP_SLASH[state]) {
            state = state === S_HTTP ? S_SKIP : state + 1;
            break;
          }
          // nginx: parse header lines from the first byte of the response.
          p = 0;
          state = H_START;
          continue;
        }
        case S_SKIP:
          if (ch === CR) state = S_SKIP_CR;
          else if (ch === LF) {
            this.statusEnd = p;
            state = H_START;
          }
          break;
        case S_SKIP_CR:
          if (ch !== LF) {
            this.fail('invalid', `auth http server ${this.opts.addrText} sent invalid response`);
            this.state = state;
            this.pos = p;
            return true;
          }
          this.statusEnd = p - 1;
          state = H_START;
          break;

        case H_START:
          if (ch === CR) {
            state = H_HEADER_ALMOST_DONE;
            break;
          }
          if (ch === LF) {
            this.state = DONE;
            this.pos = p + 1;
            this.finish();
            return true;
          }
          this.nameStart = p;
          state = H_NAME;
          if (!isAlnum(ch)) {
            this.invalidHeader(p);
            return true;
          }
          break;
        case H_NAME:
          if (isAlnum(ch) || ch === 0x2d) break;
          if (ch === 0x3a) {
            this.nameEnd = p;
            state = H_SPACE_BEFORE;
            break;
          }
          if (ch === CR) {
            // nginx: a name without a colon is a header with an empty value
            this.nameEnd = this.valueStart = this.valueEnd = p;
            state = H_ALMOST_DONE;
            break;
          }
          if (ch === LF) {
            this.nameEnd = this.valueStart = this.valueEnd = p;
            this.header();
            state = H_START;
            break;
          }
          {
            this.invalidHeader(p);
            return true;
          }
        case H_SPACE_BEFORE:
          if (ch === SP) break;
          if (ch === CR) {
            this.valueStart = this.valueEnd = p;
            state = H_ALMOST_DONE;
            break;
          }
          if (ch === LF) {
            this.valueStart = this.valueEnd = p;
            this.header();
            state = H_START;
            break;
          }
          this.valueStart = p;
          state = H_VALUE;
          break;
        case H_VALUE:
          // only the space is trimmed: a TAB is part of the value
          if (ch === SP) {
            this.valueEnd = p;
            state = H_SPACE_AFTER;
          } else if (ch === CR) {
            this.valueEnd = p;
            state = H_ALMOST_DONE;
          } else if (ch === LF) {
            this.valueEnd = p;
            this.header();
            state = H_START;
          }
          break;
        case H_SPACE_AFTER:
          if (ch === SP) break;
          if (ch === CR) state = H_ALMOST_DONE;
          else if (ch === LF) {
            this.header();
            state = H_START;
          } else state = H_VALUE;
          break;
        case H_ALMOST_DONE:
          if (ch !== LF) {
            this.invalidHeader(p);
            return true;
          }
          this.header();
          state = H_START;
          break;
        case H_HEADER_ALMOST_DONE:
          if (ch !== LF) {
            this.invalidHeader(p);
            return true;
          }
          this.state = DONE;
          this.pos = p + 1;
          this.finish();
          return true;
        default:
          return true;
      }
      p++;
    }
    this.state = state;
    this.pos = p;
    return false;
  }

  private invalidHeader(p: number): void {
    this.pos = p;
    this.fail('invalid', `auth http server ${this.opts.addrText} sent invalid header in response`);
  }

  /** One complete header line: nameStart..nameEnd, valueStart..valueEnd. */
  private header(): void {
    const buf = this.buf;
    const ns = this.nameStart;
    const vs = this.valueStart;
    const ve = this.valueEnd;
    switch (this.nameEnd - ns) {
      case 9:
        if (nameIs(buf, ns, 'auth-port')) {
          this.portStart = vs;
          this.portEnd = ve;
        } else if (nameIs(buf, ns, 'auth-user')) {
          this.userStart = vs;
          this.userEnd = ve;
        } else if (nameIs(buf, ns, 'auth-pass')) {
          this.passStart = vs;
          this.passEnd = ve;
        } else if (nameIs(buf, ns, 'auth-wait')) {
          // nginx: a value ngx_atoi refuses is ignored and an earlier valid one stays
          const n = ngxAtoi(buf, vs, ve);
          if (n !== ATOI_ERROR) this.sleepSec = n;
        }
        return;
      case 11:
        if (nameIs(buf, ns, 'auth-status')) this.status(vs, ve);
        else if (nameIs(buf, ns, 'auth-server')) {
          this.addrStart = vs;
          this.addrEnd = ve;
        }
        return;
      case 15:
        if (nameIs(buf, ns, 'auth-error-code')) {
          this.codeStart = vs;
          this.codeEnd = ve;
        }
        return;
      case 10:
        if (this.opts.keepalive && nameIs(buf, ns, 'connection')) this.connection(vs, ve);
        return;
      case 14:
        if (this.opts.keepalive && nameIs(buf, ns, 'content-length')) {
          const n = ngxAtoi(buf, vs, ve);
          if (n === ATOI_ERROR || (this.contentLength !== -1 && this.contentLength !== n))
            this.contentLength = -2;
          else this.contentLength = n;
        }
        return;
      case 17:
        if (this.opts.keepalive && nameIs(buf, ns, 'transfer-encoding')) {
          this.te = lastTokenIs(buf, vs, ve, 'chunked') ? TE_CHUNKED : TE_OTHER;
        }
        return;
      default:
        return;
    }
  }

  /** nginx: Auth-Status — exactly `OK` and `WAIT` are special (case-sensitive); any other value is the error. */
  private status(vs: number, ve: number): void {
    const buf = this.buf;
    const len = ve - vs;
    if (len === 2 && buf[vs] === 0x4f && buf[vs + 1] === 0x4b) return;
    if (
      len === 4 &&
      buf[vs] === 0x57 &&
      buf[vs + 1] === 0x41 &&
      buf[vs + 2] === 0x49 &&
      buf[vs + 3] === 0x54
    ) {
      this.waitFlag = true;
      return;
    }
    this.errStart = vs;
    this.errEnd = ve;
    // nginx: IMAP and POP3 build the reply right away, so even an empty text is an error; SMTP keeps
    // the bare value and checks its length at the end, so an empty value there clears an earlier error.
    this.hasErr = this.opts.protocol === 'smtp' ? len > 0 : true;
  }

  private connection(vs: number, ve: number): void {
    const buf = this.buf;
    let i = vs;
    while (i < ve) {
      while (i < ve && (buf[i] === SP || buf[i] === 0x09 || buf[i] === 0x2c)) i++;
      const ts = i;
      while (i < ve && buf[i] !== 0x2c) i++;
      let te = i;
      while (te > ts && (buf[te - 1] === SP || buf[te - 1] === 0x09)) te--;
      if (te - ts === 5 && nameIs(buf, ts, 'close')) this.connClose = true;
      else if (te - ts === 10 && nameIs(buf, ts, 'keep-alive')) this.connKeepAlive = true;
    }
  }

  /** nginx: the checks at the end of the header block, in its order (reference 3.5). */
  private finish(): void {
    const buf = this.buf;
    const addr = this.opts.addrText;
    if (this.opts.keepalive) this.framing();
    if (this.hasErr) {
      this.result = {
        type: 'fail',
        text: copy(buf, this.errStart, this.errEnd),
        // nginx: an empty Auth-Error-Code means the default 535 5.7.0
        errorCode: this.codeEnd > this.codeStart ? copy(buf, this.codeStart, this.codeEnd) : null,
        waitSec: Math.min(this.sleepSec, AUTH_WAIT_MAX_SEC),
      };
      return;
    }
    if (this.waitFlag) {
      this.result = { type: 'wait', waitSec: Math.min(this.sleepSec, AUTH_WAIT_MAX_SEC) };
      return;
    }
    if (this.addrEnd <= this.addrStart || this.portEnd <= this.portStart) {
      this.result = errorResult('noServer', `auth http server ${addr} did not send server or port`);
      return;
    }
    if (this.opts.protocol !== 'smtp' && this.opts.needPassword && this.passStart < 0) {
      this.result = errorResult('noPassword', `auth http server ${addr} did not send password`);
      return;
    }
    const parsed = ngxParseAddr(buf, this.addrStart, this.addrEnd);
    const addrText = buf.toString('utf8', this.addrStart, this.addrEnd);
    if (parsed === null) {
      this.result = errorResult(
        'badServer',
        `auth http server ${addr} sent invalid server address:"${addrText}"`,
      );
      return;
    }
    const port = ngxAtoi(buf, this.portStart, this.portEnd);
    const portText = buf.toString('utf8', this.portStart, this.portEnd);
    if (port < 1 || port > 65535) {
      this.result = errorResult('badPort', `auth http server ${addr} sent invalid server port:"${portText}"`);
      return;
    }
    this.result = {
      type: 'ok',
      server: parsed.text,
      port,
      // nginx: the raw texts joined by a colon, no brackets for IPv6
      upstreamText: `${addrText}:${portText}`,
      user: this.userStart < 0 ? null : copy(buf, this.userStart, this.userEnd),
      pass: this.passStart < 0 ? null : copy(buf, this.passStart, this.passEnd),
    };
  }

  /** Keep-alive: can the connection carry another request, and where does this body end? */
  private framing(): void {
    this.bodyKind = BODY.close;
    const buf = this.buf;
    const se = this.statusEnd;
    // "HTTP/1.x NNN": without a status line there is no framing to trust.
    if (se < 12 || buf[5] !== 0x31 || buf[6] !== 0x2e || buf[8] !== SP) return;
    const minor = (buf[7] as number) - 0x30;
    const code = ngxAtoi(buf, 9, 12);
    if (minor < 0 || minor > 9 || code < 200 || (se > 12 && buf[12] !== SP)) return;
    const persistent = !this.connClose && (minor >= 1 || this.connKeepAlive);
    if (!persistent) return;
    if (code === 204 || code === 304) {
      this.bodyKind = BODY.none;
      return;
    }
    if (this.te === TE_CHUNKED) {
      this.bodyKind = BODY.chunked;
      return;
    }
    if (this.te === TE_OTHER || this.contentLength < 0 || this.contentLength > AUTH_HTTP_MAX_DRAIN_BYTES)
      return;
    if (this.contentLength === 0) this.bodyKind = BODY.none;
    else {
      this.bodyKind = BODY.length;
      this.bodyLength = this.contentLength;
    }
  }
}

// The expected byte in each of the status states S_START..S_HTTP.
const HTTP_SLASH = [0x48, 0x54, 0x54, 0x50, 0x2f];

function isAlnum(ch: number): boolean {
  const l = ch | 0x20;
  return (l >= 0x61 && l <= 0x7a) || (ch >= 0x30 && ch <= 0x39);
}

/** Case-insensitive compare of buf at `start` with a lowercase literal of letters, digits and `-`. */
function nameIs(buf: Buffer, start: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    if (((buf[start + i] as number) | 0x20) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

function lastTokenIs(buf: Buffer, vs: number, ve: number, lower: string): boolean {
  let e = ve;
  while (e > vs && (buf[e - 1] === SP || buf[e - 1] === 0x09)) e--;
  let s = e;
  while (s > vs && buf[s - 1] !== 0x2c && buf[s - 1] !== SP && buf[s - 1] !== 0x09) s--;
  return e - s === lower.length && nameIs(buf, s, lower);
}

function copy(buf: Buffer, start: number, end: number): Buffer {
  const out = Buffer.allocUnsafe(end - start);
  buf.copy(out, 0, start, end);
  return out;
}

function errorResult(kind: AuthHttpErrorKind, message: string): AuthHttpResult {
  return { type: 'error', message, level: 'error', kind };
}

/** Parse a complete response in one call (tests, tools). Bytes after the header block are ignored. */
export function parseAuthResponse(
  bytes: Buffer,
  options: AuthResponseOptions,
): {
  readonly result: AuthHttpResult;
  readonly headerBytes: number;
  readonly bodyKind: BodyKind;
  readonly bodyLength: number;
} {
  const parser = new AuthResponseParser(options);
  const n = parser.feed(bytes, 0, bytes.length);
  const result = parser.result ?? parser.closedEarly();
  return {
    result,
    headerBytes: n === NEED_MORE ? bytes.length : n,
    bodyKind: parser.bodyKind,
    bodyLength: parser.bodyLength,
  };
}

// moved to src/limits.ts; re-exported for the modules that import them from here
export { AUTH_HTTP_MAX_DRAIN_BYTES };
