/**
 * Finds the end of an auth_http response body so a keep-alive connection can carry the next request.
 *
 * Owns: skipping a `Content-Length` body or a chunked body (RFC 9112 section 7.1: size lines with
 * optional extensions, data, the last chunk, trailer lines), with the bytes bounded. Ours: nginx never
 * reads the body (it closes the connection after the headers). The body's content is never looked at.
 * Does not own deciding whether a connection is reusable (response.ts) or any socket handling.
 */
import { AUTH_HTTP_MAX_DRAIN_BYTES, BODY, type BodyKind } from './response.js';

/** `feed` while the body is incomplete. */
export const BODY_MORE = -1;
/** `feed` on a malformed chunked body or one over the drain limit: drop the connection. */
export const BODY_BAD = -2;

const C_SIZE_START = 0;
const C_SIZE = 1;
const C_EXT = 2;
const C_SIZE_LF = 3;
const C_DATA = 4;
const C_DATA_CR = 5;
const C_DATA_LF = 6;
const C_TRAILER_START = 7;
const C_TRAILER_LINE = 8;
const C_TRAILER_LF = 9;
const C_END_LF = 10;

const CR = 0x0d;
const LF = 0x0a;

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

/** One per connection, reset per response. */
export class BodyReader {
  private kind: BodyKind = BODY.none;
  /** bytes left of a Content-Length body or of the current chunk */
  private remaining = 0;
  private state = C_SIZE_START;
  private total = 0;

  reset(kind: BodyKind, length: number): void {
    this.kind = kind;
    this.remaining = kind === BODY.length ? length : 0;
    this.state = C_SIZE_START;
    this.total = 0;
  }

  /**
   * Offer bytes `chunk[start, end)` that follow the headers. Returns BODY_MORE, BODY_BAD, or the number
   * of bytes the body used from this chunk (the body is complete; bytes after it are not ours).
   */
  feed(chunk: Buffer, start: number, end: number): number {
    if (this.kind === BODY.none) return 0;
    if (this.kind === BODY.length) {
      const take = Math.min(this.remaining, end - start);
      this.remaining -= take;
      return this.remaining === 0 ? take : BODY_MORE;
    }
    if (this.kind !== BODY.chunked) return BODY_BAD;
    let p = start;
    while (p < end) {
      if (this.state === C_DATA) {
        const take = Math.min(this.remaining, end - p);
        this.remaining -= take;
        this.total += take;
        p += take;
        if (this.remaining === 0) this.state = C_DATA_CR;
        if (this.total > AUTH_HTTP_MAX_DRAIN_BYTES) return BODY_BAD;
        continue;
      }
      const ch = chunk[p] as number;
      if (++this.total > AUTH_HTTP_MAX_DRAIN_BYTES) return BODY_BAD;
      switch (this.state) {
        case C_SIZE_START: {
          const h = hexValue(ch);
          if (h < 0) return BODY_BAD;
          this.remaining = h;
          this.state = C_SIZE;
          break;
        }
        case C_SIZE: {
          const h = hexValue(ch);
          if (h >= 0) {
            this.remaining = this.remaining * 16 + h;
            if (this.remaining > AUTH_HTTP_MAX_DRAIN_BYTES) return BODY_BAD;
          } else if (ch === 0x3b || ch === 0x20 || ch === 0x09) this.state = C_EXT;
          else if (ch === CR) this.state = C_SIZE_LF;
          else if (ch === LF) this.afterSize();
          else return BODY_BAD;
          break;
        }
        case C_EXT:
          if (ch === CR) this.state = C_SIZE_LF;
          else if (ch === LF) this.afterSize();
          break;
        case C_SIZE_LF:
          if (ch !== LF) return BODY_BAD;
          this.afterSize();
          break;
        case C_DATA_CR:
          if (ch === CR) this.state = C_DATA_LF;
          else if (ch === LF) this.state = C_SIZE_START;
          else return BODY_BAD;
          break;
        case C_DATA_LF:
          if (ch !== LF) return BODY_BAD;
          this.state = C_SIZE_START;
          break;
        case C_TRAILER_START:
          if (ch === CR) this.state = C_END_LF;
          else if (ch === LF) return p + 1 - start;
          else this.state = C_TRAILER_LINE;
          break;
        case C_TRAILER_LINE:
          if (ch === CR) this.state = C_TRAILER_LF;
          else if (ch === LF) this.state = C_TRAILER_START;
          break;
        case C_TRAILER_LF:
          if (ch !== LF) return BODY_BAD;
          this.state = C_TRAILER_START;
          break;
        case C_END_LF:
          if (ch !== LF) return BODY_BAD;
          return p + 1 - start;
        default:
          return BODY_BAD;
      }
      p++;
    }
    return BODY_MORE;
  }

  private afterSize(): void {
    this.state = this.remaining === 0 ? C_TRAILER_START : C_DATA;
  }
}
