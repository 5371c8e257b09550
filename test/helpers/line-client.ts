/**
 * A raw TCP/TLS client for transcript tests: send exact bytes, expect exact bytes or a pattern, with
 * every wait bounded.
 *
 * Owns: connecting (plain or implicit TLS), buffering what the server sends, `expect` / `readLine` /
 * `readUntil` / `readBytes` / `expectSilence` / `waitClosed`, the client side of a STARTTLS upgrade,
 * and a transcript of both directions for failure messages.
 * Does not own: protocol knowledge (tests write the dialogue) or servers (fake-upstream.ts).
 *
 * Strings passed to `send`/`expect` are converted byte for byte (latin1), so "\r\n" is CRLF and
 * nothing is re-encoded.
 */
import assert from 'node:assert/strict';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';

/** Default deadline of each wait. */
export const DEFAULT_WAIT_MS = 5_000;

export interface LineClientOptions {
  readonly port: number;
  readonly host?: string;
  /** Implicit TLS: `true` (no certificate check) or tls.connect options. */
  readonly tls?: boolean | ConnectionOptions;
  /** Default deadline for waits (default 5 s). */
  readonly timeoutMs?: number;
}

export interface WaitOpts {
  readonly timeoutMs?: number;
}

function show(b: Buffer | string): string {
  const s = typeof b === 'string' ? b : b.toString('latin1');
  const shown = JSON.stringify(
    s.length > 2000 ? `${s.slice(0, 1000)}…(${s.length - 2000} more)…${s.slice(-1000)}` : s,
  );
  return shown;
}

function toBuf(data: string | Buffer): Buffer {
  return typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
}

export class LineClient {
  socket: Socket | TLSSocket;
  /** Set when the connection is closed (by the peer, by reset, or by us). */
  closed = false;
  /** The socket error that ended the connection, if any (e.g. ECONNRESET). */
  error: NodeJS.ErrnoException | null = null;

  #buf: Buffer = Buffer.alloc(0);
  readonly #waiters = new Set<() => void>();
  readonly #log: string[] = [];
  readonly #defaultWaitMs: number;

  constructor(socket: Socket | TLSSocket, defaultWaitMs: number) {
    this.socket = socket;
    this.#defaultWaitMs = defaultWaitMs;
    this.#attach(socket);
  }

  #attach(socket: Socket | TLSSocket): void {
    // Every wait has its own timer; an open socket alone must not keep a finished test file alive.
    socket.unref();
    socket.on('data', (b: Buffer) => {
      this.#buf = this.#buf.length === 0 ? b : Buffer.concat([this.#buf, b]);
      this.#log.push(`S: ${show(b)}`);
      this.#wake();
    });
    socket.on('error', (err: Error) => {
      this.error ??= err;
      this.#log.push(`!: ${err.message}`);
    });
    socket.on('close', () => {
      this.closed = true;
      this.#log.push('!: closed');
      this.#wake();
    });
  }

  #wake(): void {
    for (const w of [...this.#waiters]) w();
  }

  /**
   * Waits until `check` returns a value (not undefined); rejects at the deadline or when the
   * connection closes first. `check` may throw to fail at once.
   */
  #waitUntil<T>(check: () => T | undefined, what: string, timeoutMs: number | undefined): Promise<T> {
    const ms = timeoutMs ?? this.#defaultWaitMs;
    return new Promise<T>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(run);
      };
      const fail = (why: string): void => {
        done();
        reject(new Error(`${why} waiting for ${what}; unread: ${show(this.#buf)}\n${this.transcript()}`));
      };
      const run = (): void => {
        let v: T | undefined;
        try {
          v = check();
        } catch (err) {
          done();
          reject(err instanceof Error ? err : new Error(String(err)));
          return;
        }
        if (v !== undefined) {
          done();
          resolve(v);
        } else if (this.closed) {
          fail(`connection closed${this.error ? ` (${this.error.message})` : ''}`);
        }
      };
      const timer = setTimeout(() => {
        fail(`timed out after ${ms} ms`);
      }, ms);
      this.#waiters.add(run);
      run();
    });
  }

  #take(n: number): Buffer {
    const out = this.#buf.subarray(0, n);
    this.#buf = this.#buf.subarray(n);
    return out;
  }

  /** Writes bytes (strings are latin1). */
  send(data: string | Buffer): void {
    const b = toBuf(data);
    this.#log.push(`C: ${show(b)}`);
    this.socket.write(b);
  }

  /** Bytes received and not read yet. */
  pending(): Buffer {
    return this.#buf;
  }

  /**
   * Exact bytes: the next bytes must equal `pattern` (fails as soon as one differs).
   * RegExp: the next complete line (with its CRLF/LF, as latin1) must match; fails at once if it
   * does not. Returns the bytes consumed. To skip lines, use `skipUntil`.
   */
  expect(pattern: string | Buffer | RegExp, opts: WaitOpts = {}): Promise<Buffer> {
    if (pattern instanceof RegExp) {
      return this.#waitUntil(
        () => {
          const nl = this.#buf.indexOf(0x0a);
          if (nl === -1) return undefined;
          const line = this.#buf.subarray(0, nl + 1);
          if (!pattern.test(line.toString('latin1'))) {
            throw new Error(
              `expected a line matching ${String(pattern)}\n     got ${show(line)}\n${this.transcript()}`,
            );
          }
          return this.#take(nl + 1);
        },
        `a line matching ${String(pattern)}`,
        opts.timeoutMs,
      );
    }
    const want = toBuf(pattern);
    return this.#waitUntil(
      () => {
        const n = Math.min(want.length, this.#buf.length);
        if (!this.#buf.subarray(0, n).equals(want.subarray(0, n))) {
          throw new Error(
            `expected ${show(want)}\n     got ${show(this.#buf.subarray(0, Math.max(n, Math.min(this.#buf.length, want.length + 80))))}\n${this.transcript()}`,
          );
        }
        return this.#buf.length >= want.length ? this.#take(want.length) : undefined;
      },
      show(want),
      opts.timeoutMs,
    );
  }

  /**
   * Reads whole lines until one matches `pattern` (tested with its line ending, as latin1); returns
   * every line read, the matching one last.
   */
  skipUntil(pattern: RegExp, opts: WaitOpts = {}): Promise<Buffer> {
    return this.#waitUntil(
      () => {
        let start = 0;
        for (;;) {
          const nl = this.#buf.indexOf(0x0a, start);
          if (nl === -1) return undefined;
          if (pattern.test(this.#buf.subarray(start, nl + 1).toString('latin1'))) return this.#take(nl + 1);
          start = nl + 1;
        }
      },
      `a line matching ${String(pattern)}`,
      opts.timeoutMs,
    );
  }

  /** The next line, including its LF (and CR). */
  readLine(opts: WaitOpts = {}): Promise<Buffer> {
    return this.#waitUntil(
      () => {
        const nl = this.#buf.indexOf(0x0a);
        return nl === -1 ? undefined : this.#take(nl + 1);
      },
      'a line',
      opts.timeoutMs,
    );
  }

  /** Everything up to and including `delim` (bytes, or the end of a RegExp match on latin1 text). */
  readUntil(delim: string | Buffer | RegExp, opts: WaitOpts = {}): Promise<Buffer> {
    if (delim instanceof RegExp) {
      return this.#waitUntil(
        () => {
          const m = delim.exec(this.#buf.toString('latin1'));
          return m ? this.#take(m.index + m[0].length) : undefined;
        },
        String(delim),
        opts.timeoutMs,
      );
    }
    const d = toBuf(delim);
    return this.#waitUntil(
      () => {
        const i = this.#buf.indexOf(d);
        return i === -1 ? undefined : this.#take(i + d.length);
      },
      show(d),
      opts.timeoutMs,
    );
  }

  /** Exactly `n` bytes. */
  readBytes(n: number, opts: WaitOpts = {}): Promise<Buffer> {
    return this.#waitUntil(
      () => (this.#buf.length >= n ? this.#take(n) : undefined),
      `${n} bytes`,
      opts.timeoutMs,
    );
  }

  /**
   * Asserts that nothing arrives (and the connection stays open) for `ms`. Use a short `ms`: it
   * proves only that the peer stayed quiet that long.
   */
  async expectSilence(ms: number): Promise<void> {
    const before = this.#buf.length;
    await new Promise((r) => setTimeout(r, ms));
    assert.equal(this.#buf.length, before, `expected silence, got ${show(this.#buf.subarray(before))}`);
    assert.equal(this.closed, false, 'expected silence, but the connection closed');
  }

  /** Waits for the peer to close (FIN or reset); returns the unread bytes. */
  async waitClosed(opts: WaitOpts = {}): Promise<Buffer> {
    await new Promise<void>((resolve, reject) => {
      const ms = opts.timeoutMs ?? this.#defaultWaitMs;
      const check = (): void => {
        if (!this.closed) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(
          new Error(
            `timed out after ${ms} ms waiting for the peer to close; unread: ${show(this.#buf)}\n${this.transcript()}`,
          ),
        );
      }, ms);
      this.#waiters.add(check);
      check();
    });
    return this.#take(this.#buf.length);
  }

  /**
   * Upgrades this connection to TLS (call after the server's STARTTLS/STLS go-ahead was read).
   * Fails if unread plaintext is pending: a server must not send anything after its go-ahead.
   */
  async starttls(opts: ConnectionOptions = {}): Promise<void> {
    if (this.#buf.length > 0)
      throw new Error(`plaintext pending before the TLS handshake: ${show(this.#buf)}`);
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    const secure = tlsConnect({ socket: plain, rejectUnauthorized: false, ...opts });
    this.socket = secure;
    this.#log.push('!: starttls');
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`TLS handshake timed out\n${this.transcript()}`));
      }, this.#defaultWaitMs);
      secure.once('secureConnect', () => {
        clearTimeout(timer);
        resolve();
      });
      secure.once('error', (err: Error) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    this.#attach(secure);
  }

  /** Everything sent (C:) and received (S:) so far, one chunk per line. */
  transcript(): string {
    return this.#log.join('\n');
  }

  /** Half-closes our side (FIN). */
  end(): void {
    this.socket.end();
  }

  /** Closes the connection now. */
  destroy(): void {
    this.socket.destroy();
  }
}

/** Opens a connection and resolves once it is established (and, with `tls`, the handshake is done). */
export function connectLine(opts: LineClientOptions): Promise<LineClient> {
  const host = opts.host ?? '127.0.0.1';
  const ms = opts.timeoutMs ?? DEFAULT_WAIT_MS;
  return new Promise((resolve, reject) => {
    const tlsOpts: ConnectionOptions | null =
      opts.tls === undefined || opts.tls === false
        ? null
        : { rejectUnauthorized: false, ...(opts.tls === true ? {} : opts.tls) };
    const socket = tlsOpts
      ? tlsConnect({ host, port: opts.port, ...tlsOpts })
      : netConnect({ host, port: opts.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connect to ${host}:${opts.port} timed out after ${ms} ms`));
    }, ms);
    const onError = (err: Error): void => {
      clearTimeout(timer);
      reject(err);
    };
    socket.once('error', onError);
    socket.once(tlsOpts ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve(new LineClient(socket, ms));
    });
  });
}
