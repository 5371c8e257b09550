/**
 * One connection of the fake backend: CRLF framing, literal/data skipping, and write backpressure, for
 * the per-protocol dialogues (backend-imap.ts, backend-pop3.ts, backend-smtp.ts).
 *
 * Owns: reading lines (without their CRLF) and handing them to the dialogue one at a time, skipping
 * counted bytes (IMAP literals) and SMTP DATA up to `CRLF.CRLF`, and holding input while a large reply
 * has not drained. Does not own what a command means. Built for speed over strictness: this is the
 * backend the bench measures proxies against, so it must cost as little CPU per session as possible.
 */
import type { Socket } from 'node:net';

/** What a dialogue does with a connection's input. */
export interface DialogueSession {
  /** One command line, without CRLF. The buffer is only valid during the call. */
  line(line: Buffer): void;
  /** SMTP: the DATA terminator was seen. */
  dataEnd?(): void;
}

/** The longest line kept while waiting for its CRLF; a peer that sends more is dropped. */
const MAX_LINE_BYTES = 64 * 1024;
const TERM = Buffer.from('\r\n.\r\n', 'latin1');

/**
 * Looks for `CRLF.CRLF` in `chunk[from..]` when the bytes before it already end with the first
 * `matched` bytes of it. Returns the index just past the terminator, or -1 and the new partial match.
 */
export function scanDataEnd(chunk: Buffer, from: number, matched: number): { end: number; matched: number } {
  if (matched > 0) {
    let m = matched;
    let i = from;
    while (i < chunk.length && m < TERM.length && chunk[i] === TERM[m]) {
      m++;
      i++;
    }
    if (m === TERM.length) return { end: i, matched: 0 };
    if (i === chunk.length) return { end: -1, matched: m };
    // A mismatch: TERM's only suffix that is also its prefix is CRLF, which a search from `from` finds.
  }
  const idx = chunk.indexOf(TERM, from);
  if (idx >= 0) return { end: idx + TERM.length, matched: 0 };
  for (let k = Math.min(TERM.length - 1, chunk.length - from); k > 0; k--) {
    if (chunk.compare(TERM, 0, k, chunk.length - k, chunk.length) === 0) return { end: -1, matched: k };
  }
  return { end: -1, matched: 0 };
}

export class BackendConn {
  readonly socket: Socket;
  session: DialogueSession | null = null;
  private pending: Buffer | null = null;
  private skipLeft = 0;
  /** partial-match length of CRLF.CRLF while in DATA, or -1 when not in DATA */
  private dataMatched = -1;
  private blocked = false;
  private ended = false;

  constructor(socket: Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', this.onData);
    socket.on('drain', this.onDrain);
    socket.on('error', () => {
      socket.destroy();
    });
  }

  write(data: Buffer): void {
    if (this.ended) return;
    if (!this.socket.write(data)) this.blocked = true;
  }

  /** Reply and close (LOGOUT, QUIT). */
  end(data: Buffer): void {
    if (this.ended) return;
    this.ended = true;
    this.socket.end(data);
  }

  /** Skip the next `n` bytes (an IMAP literal's content). */
  skip(n: number): void {
    this.skipLeft = n;
  }

  /** Enter SMTP DATA: bytes are skipped up to CRLF.CRLF, then `dataEnd()` is called. */
  enterData(): void {
    // The DATA command's own CRLF counts: a message of only ".\r\n" ends at once.
    this.dataMatched = 2;
  }

  private readonly onDrain = (): void => {
    if (!this.blocked) return;
    this.blocked = false;
    this.socket.resume();
    this.process();
  };

  private readonly onData = (chunk: Buffer): void => {
    this.pending = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
    this.process();
  };

  private process(): void {
    while (this.pending !== null && !this.blocked && !this.ended) {
      const buf = this.pending;
      let at: number;
      if (this.skipLeft > 0) {
        const n = Math.min(this.skipLeft, buf.length);
        this.skipLeft -= n;
        at = n;
      } else if (this.dataMatched >= 0) {
        const r = scanDataEnd(buf, 0, this.dataMatched);
        if (r.end < 0) {
          this.dataMatched = r.matched;
          at = buf.length;
        } else {
          this.dataMatched = -1;
          at = r.end;
          this.session?.dataEnd?.();
        }
      } else {
        const lf = buf.indexOf(0x0a);
        if (lf < 0) {
          if (buf.length > MAX_LINE_BYTES) this.socket.destroy();
          return;
        }
        const lineEnd = lf > 0 && buf[lf - 1] === 0x0d ? lf - 1 : lf;
        at = lf + 1;
        this.session?.line(buf.subarray(0, lineEnd));
      }
      this.pending = at >= buf.length ? null : buf.subarray(at);
    }
    if (this.blocked) this.socket.pause();
  }
}
