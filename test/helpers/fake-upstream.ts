/**
 * A scripted IMAP / POP3 / SMTP backend on 127.0.0.1:0 for fault injection.
 *
 * Owns: the listening server, one `FakeConnection` per client (framing: lines, IMAP literals, SMTP
 * DATA), what it received (raw bytes, commands, logins, PROXY header, SMTP messages), and the faults:
 * never greet, a custom (bad) greeting, reject every login, hang or close after login, stay silent,
 * reset the connection after N bytes were sent, and a per-command hook for anything else.
 * Does not own: the protocol replies (fake-upstream-dialogues.ts) or clients (line-client.ts).
 *
 * Usage:
 *   const up = await startFakeUpstream({ flavour: 'imap', users: { alice: 'secret' } });
 *   … point the proxy at up.port …
 *   assert.deepEqual(up.connections[0]!.logins, [{ user: 'alice', pass: 'secret' }]);
 *   await up.close();
 */
import { createServer, type Server, type Socket } from 'node:net';
import {
  dialogueFor,
  type Command,
  type Dialogue,
  type DialogueConn,
  type DialogueOptions,
  type Flavour,
} from './fake-upstream-dialogues.js';
import { makeMessage } from './mailbox.js';
import { waitFor } from './proc.js';

export type { Command, Flavour };

export interface FakeUpstreamOptions extends DialogueOptions {
  readonly flavour: Flavour;
  /** Greeting bytes (default: the flavour's normal greeting); `null`: never greet. */
  readonly greeting?: string | Buffer | null;
  /** Accepted credentials (default: any user with any password). */
  readonly users?: Readonly<Record<string, string>>;
  /** Reject every login (IMAP LOGIN/AUTHENTICATE, POP3 PASS/AUTH, SMTP AUTH). */
  readonly rejectLogin?: boolean;
  /** After a successful login: keep serving (default), never answer again, or close at once. */
  readonly afterLogin?: 'serve' | 'hang' | 'close';
  /** Greet, then never answer anything. */
  readonly silent?: boolean;
  /** Reset (RST) the connection once this many bytes were sent to the client (greeting included). */
  readonly resetAfterBytes?: number;
  /** The message served by IMAP FETCH / POP3 RETR (default: a small fixed message). */
  readonly message?: Buffer;
  /** Shorthand for `message: makeMessage({ sizeBytes: messageBytes, seed: 'fake-upstream' })`. */
  readonly messageBytes?: number;
  /** IMAP: the capability list (default `IMAP4rev1 LITERAL+ SASL-IR ID AUTH=PLAIN`). */
  readonly imapCapabilities?: string;
  /** SMTP: EHLO keywords after the host line (default PIPELINING, SIZE, XCLIENT…, AUTH PLAIN LOGIN, 8BITMIME, ENHANCEDSTATUSCODES). */
  readonly ehloKeywords?: readonly string[];
  /** SMTP: the reply to XCLIENT (default: a new 220 greeting, as Postfix does). */
  readonly xclientReply?: string;
  /** Wait for a PROXY protocol header (v1 or v2) before greeting. Without it a header is still recognised and recorded. */
  readonly proxyProtocol?: boolean;
  /**
   * Called for every complete command before the default handling. Return bytes to send instead,
   * `null` to send nothing (call `conn.close()` / `conn.reset()` / `conn.hang()` for faults), or
   * undefined for the default reply.
   */
  readonly onCommand?: (cmd: Command, conn: FakeConnection) => string | Buffer | null | undefined;
}

const PROXY_V2_SIG = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const DATA_END = Buffer.from('\r\n.\r\n');

/** One client connection to the fake backend. */
export class FakeConnection implements DialogueConn {
  readonly id: number;
  readonly socket: Socket;
  /** Every byte received (PROXY header included). */
  received: Buffer = Buffer.alloc(0);
  /** Complete commands in arrival order. */
  readonly commands: Command[] = [];
  /** Credentials presented, accepted or not. */
  readonly logins: { user: string; pass: string }[] = [];
  /** SMTP messages (after DATA), dot-unstuffed, with CRLF line endings, without the final ".". */
  readonly messages: Buffer[] = [];
  /** The PROXY protocol header, if one arrived first. */
  proxyHeader: Buffer | null = null;
  loggedIn = false;
  /** Bytes sent to the client so far. */
  sentBytes = 0;
  closed = false;
  /** Free-form state for `onCommand` hooks and dialogues. */
  readonly state: Record<string, unknown> = {};

  #buf: Buffer = Buffer.alloc(0);
  #mode: 'proxy' | 'line' | 'data' = 'line';
  #literalLeft = 0;
  #parts: Buffer[] = [];
  #continuation: ((line: Buffer) => void) | null = null;
  #hung = false;
  #resetting = false;
  readonly #opts: FakeUpstreamOptions;
  readonly #dialogue: Dialogue;

  constructor(id: number, socket: Socket, opts: FakeUpstreamOptions) {
    this.id = id;
    this.socket = socket;
    this.#opts = opts;
    this.#dialogue = dialogueFor(opts);
    socket.on('error', () => undefined);
    socket.on('close', () => (this.closed = true));
    socket.unref();
    socket.on('data', (b: Buffer) => {
      this.received = Buffer.concat([this.received, b]);
      this.#buf = Buffer.concat([this.#buf, b]);
      this.#pump();
    });
    if (opts.proxyProtocol) this.#mode = 'proxy';
    else this.#greet();
  }

  #greet(): void {
    const g = this.#opts.greeting === undefined ? this.#dialogue.greeting : this.#opts.greeting;
    if (g !== null) this.send(g);
  }

  /** Sends bytes, honouring `resetAfterBytes`. */
  send(data: string | Buffer): void {
    if (this.closed || this.socket.destroyed || this.#resetting) return;
    let b = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    const limit = this.#opts.resetAfterBytes;
    if (limit !== undefined && this.sentBytes + b.length >= limit) {
      b = b.subarray(0, Math.max(0, limit - this.sentBytes));
      this.sentBytes += b.length;
      this.#resetting = true;
      // A short pause before the RST lets the peer read the bytes first: on loopback a reset that
      // overtakes them (or the peer's connect) would make the byte count meaningless.
      this.socket.write(b, () =>
        setTimeout(() => {
          this.reset();
        }, 20),
      );
      return;
    }
    this.sentBytes += b.length;
    this.socket.write(b);
  }

  /** Ends the connection with FIN after pending writes. */
  close(): void {
    this.socket.end();
  }

  /** Ends the connection with RST. */
  reset(): void {
    this.socket.resetAndDestroy();
  }

  /** Stops answering for the rest of the connection. */
  hang(): void {
    this.#hung = true;
  }

  /** The next line goes to `fn` instead of the command parser (SASL continuations). */
  onNextLine(fn: (line: Buffer) => void): void {
    this.#continuation = fn;
  }

  /** Switches to SMTP DATA mode: bytes up to CRLF.CRLF become a message. */
  readData(): void {
    this.#mode = 'data';
  }

  #pump(): void {
    for (let guard = 0; guard < 100_000 && !this.socket.destroyed; guard++) {
      if (this.#mode === 'proxy') {
        const h = this.#takeProxyHeader();
        if (h === 'partial') return;
        if (h === 'none') {
          // Not a PROXY header although one is required: behave like a strict backend.
          this.reset();
          return;
        }
        this.#mode = 'line';
        this.#greet();
        continue;
      }
      if (this.received.length === this.#buf.length && this.proxyHeader === null) {
        // Nothing consumed yet: a PROXY header sent to a backend that does not require one is still recorded.
        const h = this.#takeProxyHeader();
        if (h === 'partial') return;
        if (h === 'taken') continue;
      }
      if (this.#mode === 'data') {
        const end = this.#buf.indexOf(DATA_END);
        // A message that is empty ends at the first ".\r\n" right after DATA's 354.
        const empty = this.#buf.subarray(0, 3).equals(Buffer.from('.\r\n'));
        if (end === -1 && !empty) return;
        const body = empty ? Buffer.alloc(0) : Buffer.from(this.#buf.subarray(0, end + 2));
        this.#buf = this.#buf.subarray(empty ? 3 : end + DATA_END.length);
        this.#mode = 'line';
        this.messages.push(unstuff(body));
        if (!this.#hung) this.#dialogue.onDataEnd(this);
        continue;
      }
      if (this.#literalLeft > 0) {
        if (this.#buf.length < this.#literalLeft) return;
        this.#parts.push(this.#buf.subarray(0, this.#literalLeft));
        this.#buf = this.#buf.subarray(this.#literalLeft);
        this.#literalLeft = 0;
        continue;
      }
      const nl = this.#buf.indexOf(0x0a);
      if (nl === -1) return;
      const line = this.#buf.subarray(0, nl + 1);
      this.#buf = this.#buf.subarray(nl + 1);
      if (this.#continuation) {
        const fn = this.#continuation;
        this.#continuation = null;
        fn(stripEol(line));
        continue;
      }
      this.#parts.push(line);
      const lit = this.#opts.flavour === 'imap' ? /\{(\d+)(\+?)\}\r?\n$/.exec(line.toString('latin1')) : null;
      if (lit) {
        this.#literalLeft = Number(lit[1]);
        if (lit[2] !== '+' && !this.#hung) this.send('+ Ready for literal data\r\n');
        continue;
      }
      const raw = Buffer.concat(this.#parts);
      this.#parts = [];
      this.#command(raw);
    }
  }

  #takeProxyHeader(): 'taken' | 'partial' | 'none' {
    const b = this.#buf;
    const v1 = Buffer.from('PROXY ');
    if (b.subarray(0, 6).equals(v1.subarray(0, Math.min(6, b.length)))) {
      const nl = b.indexOf(0x0a);
      // A v1 header is at most 107 bytes (haproxy's proxy-protocol.txt 2.1).
      if (nl === -1) return b.length < 108 ? 'partial' : 'none';
      this.proxyHeader = Buffer.from(b.subarray(0, nl + 1));
      this.#buf = b.subarray(nl + 1);
      return 'taken';
    }
    if (b.subarray(0, 12).equals(PROXY_V2_SIG.subarray(0, Math.min(12, b.length)))) {
      if (b.length < 16) return 'partial';
      const len = 16 + b.readUInt16BE(14);
      if (b.length < len) return 'partial';
      this.proxyHeader = Buffer.from(b.subarray(0, len));
      this.#buf = b.subarray(len);
      return 'taken';
    }
    return 'none';
  }

  #command(raw: Buffer): void {
    const cmd = this.#dialogue.parse(raw);
    this.commands.push(cmd);
    if (this.#hung || this.#opts.silent === true) return;
    const hook = this.#opts.onCommand?.(cmd, this);
    if (hook === null) return;
    if (hook !== undefined) {
      this.send(hook);
      return;
    }
    this.#dialogue.handle(cmd, this);
  }

  /** Records a login attempt and applies `users` / `rejectLogin` / `afterLogin`; returns whether it succeeded. */
  login(user: string, pass: string): boolean {
    this.logins.push({ user, pass });
    const users = this.#opts.users;
    const ok = this.#opts.rejectLogin !== true && (users === undefined || users[user] === pass);
    if (ok) this.loggedIn = true;
    return ok;
  }

  /** Applies `afterLogin` once the success reply was sent. */
  afterLogin(): void {
    if (this.#opts.afterLogin === 'hang') this.hang();
    else if (this.#opts.afterLogin === 'close') this.close();
  }
}

function stripEol(line: Buffer): Buffer {
  let end = line.length;
  if (end > 0 && line[end - 1] === 0x0a) end--;
  if (end > 0 && line[end - 1] === 0x0d) end--;
  return line.subarray(0, end);
}

function unstuff(body: Buffer): Buffer {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    if (body[i] === 0x2e && (i === 0 || body[i - 1] === 0x0a)) {
      out.push(body.subarray(start, i));
      start = i + 1;
    }
  }
  out.push(body.subarray(start));
  return Buffer.concat(out);
}

export interface FakeUpstream {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** Every connection so far, in accept order. */
  readonly connections: FakeConnection[];
  /** Waits until at least `n` connections were accepted; returns the n-th. */
  waitForConnection(n?: number, opts?: { timeoutMs?: number }): Promise<FakeConnection>;
  /** Closes the listener and destroys every connection. */
  close(): Promise<void>;
}

/** Starts a fake backend on 127.0.0.1:0. Call `close()` in `after()`. */
export function startFakeUpstream(options: FakeUpstreamOptions): Promise<FakeUpstream> {
  // Built once here, not per connection: a 10 MiB message takes a moment to generate.
  const opts: FakeUpstreamOptions =
    options.message === undefined && options.messageBytes !== undefined
      ? { ...options, message: makeMessage({ sizeBytes: options.messageBytes, seed: 'fake-upstream' }) }
      : options;
  const connections: FakeConnection[] = [];
  const server: Server = createServer((socket) => {
    connections.push(new FakeConnection(connections.length + 1, socket, opts));
  });
  server.unref();
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const addr = server.address();
      if (addr === null || typeof addr === 'string') {
        reject(new Error('fake upstream: no TCP address'));
        return;
      }
      resolve({
        host: '127.0.0.1',
        port: addr.port,
        connections,
        waitForConnection: (n = 1, o) =>
          waitFor(() => connections[n - 1], {
            timeoutMs: o?.timeoutMs ?? 5_000,
            what: `connection #${n} to the fake upstream`,
            intervalMs: 5,
          }),
        close: () =>
          new Promise<void>((r) => {
            for (const c of connections) c.socket.destroy();
            server.close(() => {
              r();
            });
          }),
      });
    });
  });
}
