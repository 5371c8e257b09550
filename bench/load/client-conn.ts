/**
 * A load client's connection: connect (plain or TLS), read CRLF lines, skip counted bytes, read a
 * POP3 multi-line body to its end, upgrade with STARTTLS, wait for the server to close.
 *
 * Owns: buffering and the one pending read. Reads that can be served from what has arrived return
 * without waiting for the socket. Failures (timeout, reset, early close) reject the pending read with
 * a `LoadError` naming the cause, so the lane can count errors by cause. Does not own any dialogue
 * (dialogues.ts) or timing (task.ts).
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { scanDataEnd } from '../servers/backend-conn.js';

/** A failure with a short cause used as its error bucket (`timeout`, `closed`, `ECONNRESET`, `reply`). */
export class LoadError extends Error {
  constructor(
    readonly bucket: string,
    message: string,
  ) {
    super(message);
  }
}

interface Waiter {
  resolve: () => void;
  reject: (e: Error) => void;
}

/** TLS client options for the bench: self-signed test certificates, optional resumption. */
export function clientTlsOptions(session: Buffer | null): ConnectionOptions {
  return {
    rejectUnauthorized: false,
    servername: 'localhost',
    ...(session === null ? {} : { session }),
  };
}

export class ClientConn {
  socket: Socket;
  bytesIn = 0;
  bytesOut = 0;
  /** the TLS session of this connection (for resumption), once the server sent one */
  tlsSession: Buffer | null = null;
  private pending: Buffer | null = null;
  private waiter: Waiter | null = null;
  private failure: LoadError | null = null;
  private eof = false;
  private closedFlag = false;
  private closeWaiter: (() => void) | null = null;

  private constructor(socket: Socket) {
    this.socket = socket;
    this.attach(socket);
  }

  /**
   * Connects (TLS when `tls` is given) within `timeoutMs`; rejects with the connect error's code as
   * the cause.
   */
  static open(
    host: string,
    port: number,
    tls: ConnectionOptions | null,
    timeoutMs: number,
  ): Promise<ClientConn> {
    return new Promise((resolve, reject) => {
      const socket: Socket =
        tls === null ? netConnect({ host, port, noDelay: true }) : tlsConnect({ host, port, ...tls });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new LoadError('connect timeout', `no connection within ${timeoutMs} ms`));
      }, timeoutMs);
      const onError = (err: NodeJS.ErrnoException): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(new LoadError(`connect ${err.code ?? 'error'}`, err.message));
      };
      socket.once('error', onError);
      socket.once(tls === null ? 'connect' : 'secureConnect', () => {
        clearTimeout(timer);
        socket.removeListener('error', onError);
        if (tls !== null) socket.setNoDelay(true);
        resolve(new ClientConn(socket));
      });
    });
  }

  private attach(s: Socket): void {
    s.on('data', this.onData);
    s.on('end', this.onEnd);
    s.on('error', this.onError);
    s.on('close', this.onClose);
    if ('getSession' in s) (s as TLSSocket).on('session', this.onSession);
  }

  private detach(s: Socket): void {
    s.removeListener('data', this.onData);
    s.removeListener('end', this.onEnd);
    s.removeListener('error', this.onError);
    s.removeListener('close', this.onClose);
  }

  private sessionWaiter: (() => void) | null = null;

  private readonly onSession = (session: Buffer): void => {
    this.tlsSession = session;
    const w = this.sessionWaiter;
    this.sessionWaiter = null;
    w?.();
  };

  /**
   * Waits until the server's TLS session (a TLS 1.3 ticket, sent after the handshake) has arrived,
   * the connection closed, or `timeoutMs` passed; true when there is a session to resume with. A
   * client that wants to resume keeps reading until the ticket comes: a server may write its
   * greeting before its tickets.
   */
  waitForSession(timeoutMs: number): Promise<boolean> {
    if (this.tlsSession !== null || this.closedFlag) return Promise.resolve(this.tlsSession !== null);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.sessionWaiter = null;
        resolve(this.tlsSession !== null);
      };
      const timer = setTimeout(done, timeoutMs);
      this.sessionWaiter = done;
    });
  }

  private readonly onData = (chunk: Buffer): void => {
    this.bytesIn += chunk.length;
    this.pending = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
    this.wake();
  };

  private readonly onEnd = (): void => {
    this.eof = true;
    this.wake();
  };

  private readonly onError = (err: NodeJS.ErrnoException): void => {
    this.fail(new LoadError(err.code ?? 'error', err.message));
  };

  private readonly onClose = (): void => {
    this.closedFlag = true;
    this.eof = true;
    this.wake();
    const sw = this.sessionWaiter;
    this.sessionWaiter = null;
    sw?.();
    const w = this.closeWaiter;
    this.closeWaiter = null;
    w?.();
  };

  private wake(): void {
    const w = this.waiter;
    if (w === null) return;
    this.waiter = null;
    if (this.failure !== null) w.reject(this.failure);
    else w.resolve();
  }

  /** Ends the connection with an error: the pending read rejects with it. */
  fail(err: LoadError): void {
    this.failure ??= err;
    this.socket.destroy();
    this.wake();
  }

  private more(): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.eof) return Promise.reject(new LoadError('closed', 'server closed the connection'));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  write(data: Buffer | string): void {
    const b = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    this.bytesOut += b.length;
    this.socket.write(b);
  }

  /** Writes and resolves once the socket's buffer has drained (large uploads). */
  writeDrained(data: Buffer): Promise<void> {
    this.bytesOut += data.length;
    if (this.socket.write(data)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onDrain = (): void => {
        this.socket.removeListener('close', onClose);
        resolve();
      };
      const onClose = (): void => {
        this.socket.removeListener('drain', onDrain);
        reject(this.failure ?? new LoadError('closed', 'closed while sending'));
      };
      this.socket.once('drain', onDrain);
      this.socket.once('close', onClose);
    });
  }

  /** The next line without its CRLF (valid until the next read). */
  async line(): Promise<Buffer> {
    for (;;) {
      const p = this.pending;
      if (p !== null) {
        const lf = p.indexOf(0x0a);
        if (lf >= 0) {
          this.pending = lf + 1 === p.length ? null : p.subarray(lf + 1);
          return p.subarray(0, lf > 0 && p[lf - 1] === 0x0d ? lf - 1 : lf);
        }
      }
      await this.more();
    }
  }

  /** Consumes exactly `n` bytes without keeping them (an IMAP literal). */
  async skip(n: number): Promise<void> {
    let left = n;
    for (;;) {
      const p = this.pending;
      if (p !== null) {
        if (p.length > left) {
          this.pending = p.subarray(left);
          return;
        }
        left -= p.length;
        this.pending = null;
        if (left === 0) return;
      }
      await this.more();
    }
  }

  /** Consumes a POP3 multi-line body up to and including its `.` line (right after the status line). */
  async dotBody(): Promise<void> {
    let matched = 2; // the status line's CRLF
    for (;;) {
      const p = this.pending;
      if (p !== null) {
        const r = scanDataEnd(p, 0, matched);
        if (r.end >= 0) {
          this.pending = r.end === p.length ? null : p.subarray(r.end);
          return;
        }
        matched = r.matched;
        this.pending = null;
      }
      await this.more();
    }
  }

  /** STARTTLS/STLS: replaces the socket by a TLS socket over it once the handshake is done. */
  async startTls(tls: ConnectionOptions): Promise<void> {
    const plain = this.socket;
    this.detach(plain);
    this.pending = null;
    const secure = await new Promise<TLSSocket>((resolve, reject) => {
      const s = tlsConnect({ socket: plain, ...tls });
      const onError = (err: NodeJS.ErrnoException): void => {
        s.destroy();
        reject(new LoadError(`tls ${err.code ?? 'error'}`, err.message));
      };
      s.once('error', onError);
      s.once('secureConnect', () => {
        s.removeListener('error', onError);
        resolve(s);
      });
    });
    this.socket = secure;
    this.attach(secure);
  }

  /** Half-closes and resolves when the connection is fully closed (the server closes its side). */
  endAndWaitClose(): Promise<void> {
    if (this.closedFlag) return Promise.resolve();
    this.socket.end();
    return new Promise((resolve) => {
      this.closeWaiter = resolve;
    });
  }

  destroy(): void {
    this.socket.destroy();
  }

  get reused(): boolean {
    return 'isSessionReused' in this.socket && (this.socket as TLSSocket).isSessionReused();
  }
}
