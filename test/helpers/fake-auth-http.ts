/**
 * A scripted auth_http service for tests, on 127.0.0.1:0 or a unix socket. Raw TCP, no HTTP library,
 * so a test controls every byte of the answer and sees every byte of the request.
 *
 * Owns: recording requests (exact bytes and parsed header lines, per connection), answering each one
 * from a script, counting connections, and cleaning up. Does not own any auth logic: a test says what
 * to answer.
 *
 * API
 *   const auth = await startFakeAuthHttp({ script?, unixPath? });   // default script: ok('127.0.0.1', 143)
 *   auth.port, auth.host            TCP listener (port 0 for a unix socket)
 *   auth.unixPath                   the socket path, or null
 *   auth.addrText                   nginx's peer name: `127.0.0.1:<port>` or `unix:<path>`
 *   auth.url                        for an nginx/postern config: `http://127.0.0.1:<port>/auth`, `unix:<path>:/auth`
 *   auth.config(uri = '/auth')      an AuthHttpConfig for AuthHttpClient
 *   auth.script = …                 replace the script at any time
 *   auth.requests                   FakeAuthRequest[] in arrival order
 *   auth.connections                connections accepted so far; auth.openConnections: still open
 *   await auth.waitForRequests(n, timeoutMs = 5000)
 *   auth.closeIdle()                close, from the server side, connections waiting for their next request
 *   await auth.close()              stop listening, destroy every connection, remove the socket file
 *
 * A script is a function `(req) => reply` (may return a Promise) or an array of replies used in order
 * from the next request on (the last one repeats). Replies — build them with the helpers below:
 *   ok(server, port, extra?)        `Auth-Status: OK`, Auth-Server, Auth-Port, extra header pairs
 *   fail(text, { wait?, code? })    an error status, optional Auth-Wait and Auth-Error-Code
 *   wait(sec?)                      `Auth-Status: WAIT`, with Auth-Wait when sec is given
 *   respond({ statusLine?, headers, body?, keepAlive?, chunked?, delayMs? })
 *       statusLine: null sends no status line; default `HTTP/1.x 200 OK`.
 *       keepAlive: 'auto' (default) keeps the connection open when the request asks for it (HTTP/1.1, or
 *       HTTP/1.0 with `Connection: keep-alive`) and adds Content-Length (or chunked framing) and the
 *       Connection header that goes with it; true/false force it. A closing reply ends the connection
 *       after the bytes, as nginx's auth scripts behind nginx do.
 *   raw(data, { then?, gapMs?, delayMs? })   exact bytes (a string, a Buffer, or an array of pieces
 *       written `gapMs` apart), then 'close' (default), 'keep' or 'reset'
 *   hang()                          read the request, never answer, keep the connection open
 *   closeConn()                     close right after reading the request, without answering
 *   reset()                         reset (RST) the connection after reading the request
 */
import net from 'node:net';
import { rmSync } from 'node:fs';
import type { AuthHttpConfig } from '../../src/config/types.js';

export interface FakeAuthRequest {
  /** the request head exactly as received, through the blank line */
  readonly raw: Buffer;
  /** e.g. `GET /auth HTTP/1.0` */
  readonly requestLine: string;
  /** header lines in order, as sent (values are not percent-decoded) */
  readonly headers: readonly (readonly [string, string])[];
  /** which connection (1-based, in accept order) */
  readonly connection: number;
  /** 1 for the first request on its connection */
  readonly seqOnConnection: number;
  /** Date.now() when the head was complete */
  readonly receivedAt: number;
  /** the first header of that name, case-insensitive */
  header(name: string): string | undefined;
}

export type FakeAuthReply =
  | {
      readonly kind: 'respond';
      readonly statusLine?: string | null;
      readonly headers: readonly (readonly [string, string])[];
      readonly body?: string | Buffer;
      readonly keepAlive?: boolean | 'auto';
      readonly chunked?: boolean;
      readonly delayMs?: number;
    }
  | {
      readonly kind: 'raw';
      readonly data: string | Buffer | readonly (string | Buffer)[];
      readonly then?: 'close' | 'keep' | 'reset';
      readonly gapMs?: number;
      readonly delayMs?: number;
    }
  | { readonly kind: 'hang' }
  | { readonly kind: 'close' }
  | { readonly kind: 'reset' };

/** The `respond` reply, so tests can spread a helper's result and change a field (`{ ...ok(…), delayMs: 500 }`). */
export type FakeAuthRespond = Extract<FakeAuthReply, { kind: 'respond' }>;

export type FakeAuthScript =
  ((req: FakeAuthRequest) => FakeAuthReply | Promise<FakeAuthReply>) | readonly FakeAuthReply[];

export function ok(
  server: string,
  port: number,
  extra: readonly (readonly [string, string])[] = [],
): FakeAuthRespond {
  return {
    kind: 'respond',
    headers: [['Auth-Status', 'OK'], ['Auth-Server', server], ['Auth-Port', String(port)], ...extra],
  };
}

export function fail(text: string, opts: { wait?: number; code?: string } = {}): FakeAuthRespond {
  const headers: [string, string][] = [['Auth-Status', text]];
  if (opts.wait !== undefined) headers.push(['Auth-Wait', String(opts.wait)]);
  if (opts.code !== undefined) headers.push(['Auth-Error-Code', opts.code]);
  return { kind: 'respond', headers };
}

export function wait(sec?: number): FakeAuthRespond {
  const headers: [string, string][] = [['Auth-Status', 'WAIT']];
  if (sec !== undefined) headers.push(['Auth-Wait', String(sec)]);
  return { kind: 'respond', headers };
}

export function respond(r: Omit<FakeAuthRespond, 'kind'>): FakeAuthRespond {
  return { kind: 'respond', ...r };
}

export function raw(
  data: string | Buffer | readonly (string | Buffer)[],
  opts: { then?: 'close' | 'keep' | 'reset'; gapMs?: number; delayMs?: number } = {},
): FakeAuthReply {
  return { kind: 'raw', data, ...opts };
}

export function hang(): FakeAuthReply {
  return { kind: 'hang' };
}

export function closeConn(): FakeAuthReply {
  return { kind: 'close' };
}

export function reset(): FakeAuthReply {
  return { kind: 'reset' };
}

/** Percent-decode an Auth-User/Auth-Pass value the way an auth service must (reference 3.2). */
export function pctDecode(value: string): Buffer {
  const src = Buffer.from(value, 'latin1');
  const out: number[] = [];
  for (let i = 0; i < src.length; i++) {
    const b = src[i]!;
    if (b === 0x25 && i + 2 < src.length && /^[0-9A-Fa-f]{2}$/.test(src.toString('latin1', i + 1, i + 3))) {
      out.push(parseInt(src.toString('latin1', i + 1, i + 3), 16));
      i += 2;
    } else out.push(b);
  }
  return Buffer.from(out);
}

export interface FakeAuthHttp {
  readonly host: string;
  readonly port: number;
  readonly unixPath: string | null;
  readonly addrText: string;
  readonly url: string;
  script: FakeAuthScript;
  readonly requests: readonly FakeAuthRequest[];
  readonly connections: number;
  readonly openConnections: number;
  config(uri?: string): AuthHttpConfig;
  waitForRequests(n: number, timeoutMs?: number): Promise<void>;
  closeIdle(): void;
  close(): Promise<void>;
}

const MAX_HEAD_BYTES = 64 * 1024;

interface ConnState {
  readonly id: number;
  readonly socket: net.Socket;
  buf: Buffer;
  seq: number;
  busy: boolean;
  done: boolean;
}

export async function startFakeAuthHttp(
  opts: { script?: FakeAuthScript; unixPath?: string } = {},
): Promise<FakeAuthHttp> {
  const requests: FakeAuthRequest[] = [];
  const conns = new Set<ConnState>();
  const timers = new Set<NodeJS.Timeout>();
  let accepted = 0;
  let script: FakeAuthScript = opts.script ?? [ok('127.0.0.1', 143)];
  /** requests that came before the current script was set: an array script starts at its first reply */
  let scriptBase = 0;
  let waiters: (() => void)[] = [];

  const later = (ms: number, fn: () => void): void => {
    // every timer is tracked so close() can cancel what is still pending
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const pick = async (req: FakeAuthRequest): Promise<FakeAuthReply> => {
    if (typeof script === 'function') return script(req);
    const list = script;
    if (list.length === 0) return ok('127.0.0.1', 143);
    return list[Math.min(requests.length - 1 - scriptBase, list.length - 1)]!;
  };

  const finishConn = (c: ConnState, how: 'close' | 'keep' | 'reset'): void => {
    if (how === 'keep') {
      c.busy = false;
      next(c);
      return;
    }
    c.done = true;
    if (how === 'reset') c.socket.resetAndDestroy();
    else c.socket.end();
  };

  const writePieces = (c: ConnState, pieces: readonly Buffer[], gapMs: number, then: () => void): void => {
    let i = 0;
    const step = (): void => {
      if (c.socket.destroyed) return;
      const piece = pieces[i++];
      if (piece === undefined) {
        then();
        return;
      }
      c.socket.write(piece);
      if (i < pieces.length && gapMs > 0) later(gapMs, step);
      else step();
    };
    step();
  };

  const answer = (c: ConnState, req: FakeAuthRequest, reply: FakeAuthReply): void => {
    if (c.socket.destroyed) return;
    switch (reply.kind) {
      case 'hang':
        return;
      case 'close':
        finishConn(c, 'close');
        return;
      case 'reset':
        finishConn(c, 'reset');
        return;
      case 'raw': {
        const list =
          typeof reply.data === 'string' || Buffer.isBuffer(reply.data) ? [reply.data] : reply.data;
        const pieces = list.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : p));
        const go = (): void => {
          writePieces(c, pieces, reply.gapMs ?? 0, () => {
            finishConn(c, reply.then ?? 'close');
          });
        };
        if ((reply.delayMs ?? 0) > 0) later(reply.delayMs ?? 0, go);
        else go();
        return;
      }
      case 'respond': {
        const http11 = req.requestLine.endsWith('HTTP/1.1');
        const conn = (req.header('Connection') ?? '').toLowerCase();
        const wants = http11 ? !conn.includes('close') : conn.includes('keep-alive');
        const keep = reply.keepAlive === undefined || reply.keepAlive === 'auto' ? wants : reply.keepAlive;
        const body = reply.body === undefined ? Buffer.alloc(0) : Buffer.from(reply.body);
        const has = (n: string): boolean => reply.headers.some(([k]) => k.toLowerCase() === n);
        let head = '';
        const statusLine =
          reply.statusLine === undefined ? `HTTP/1.${http11 ? '1' : '0'} 200 OK` : reply.statusLine;
        if (statusLine !== null) head += `${statusLine}\r\n`;
        for (const [k, v] of reply.headers) head += `${k}: ${v}\r\n`;
        let payload = body;
        if (reply.chunked === true) {
          if (!has('transfer-encoding')) head += 'Transfer-Encoding: chunked\r\n';
          payload = Buffer.concat([
            body.length > 0 ? Buffer.from(`${body.length.toString(16)}\r\n`) : Buffer.alloc(0),
            body,
            body.length > 0 ? Buffer.from('\r\n') : Buffer.alloc(0),
            Buffer.from('0\r\n\r\n'),
          ]);
        } else if (keep && !has('content-length')) head += `Content-Length: ${body.length}\r\n`;
        if (keep && !http11 && !has('connection')) head += 'Connection: keep-alive\r\n';
        if (!keep && http11 && !has('connection')) head += 'Connection: close\r\n';
        const bytes = Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), payload]);
        const go = (): void => {
          if (c.socket.destroyed) return;
          c.socket.write(bytes);
          finishConn(c, keep ? 'keep' : 'close');
        };
        if ((reply.delayMs ?? 0) > 0) later(reply.delayMs ?? 0, go);
        else go();
        return;
      }
    }
  };

  /** Take the next complete request head off the connection's buffer, if any, and answer it. */
  const next = (c: ConnState): void => {
    if (c.busy || c.done) return;
    const end = c.buf.indexOf('\r\n\r\n');
    if (end < 0) {
      if (c.buf.length > MAX_HEAD_BYTES) c.socket.destroy();
      return;
    }
    const head = c.buf.subarray(0, end + 4);
    c.buf = c.buf.subarray(end + 4);
    c.busy = true;
    c.seq++;
    const lines = head.toString('latin1', 0, end).split('\r\n');
    const headers = lines.slice(1).map((l): [string, string] => {
      const i = l.indexOf(':');
      return i < 0 ? [l, ''] : [l.slice(0, i), l.slice(i + 1).replace(/^ +/, '')];
    });
    const req: FakeAuthRequest = {
      raw: Buffer.from(head),
      requestLine: lines[0] ?? '',
      headers,
      connection: c.id,
      seqOnConnection: c.seq,
      receivedAt: Date.now(),
      header(name: string): string | undefined {
        const l = name.toLowerCase();
        return headers.find(([k]) => k.toLowerCase() === l)?.[1];
      },
    };
    requests.push(req);
    const ws = waiters;
    waiters = [];
    for (const w of ws) w();
    pick(req).then(
      (reply) => {
        answer(c, req, reply);
      },
      () => {
        c.socket.destroy();
      },
    );
  };

  const server = net.createServer((socket) => {
    accepted++;
    const c: ConnState = { id: accepted, socket, buf: Buffer.alloc(0), seq: 0, busy: false, done: false };
    conns.add(c);
    socket.on('data', (d) => {
      c.buf = c.buf.length === 0 ? d : Buffer.concat([c.buf, d]);
      next(c);
    });
    socket.on('error', () => {
      /* the client may reset us; nothing to do */
    });
    socket.on('close', () => {
      conns.delete(c);
    });
  });

  const unixPath = opts.unixPath ?? null;
  if (unixPath !== null) rmSync(unixPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (unixPath !== null) server.listen(unixPath, resolve);
    else server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  const port = unixPath === null && address !== null && typeof address === 'object' ? address.port : 0;
  const addrText = unixPath === null ? `127.0.0.1:${port}` : `unix:${unixPath}`;

  const fake: FakeAuthHttp = {
    host: '127.0.0.1',
    port,
    unixPath,
    addrText,
    url: unixPath === null ? `http://127.0.0.1:${port}/auth` : `unix:${unixPath}:/auth`,
    get script(): FakeAuthScript {
      return script;
    },
    set script(s: FakeAuthScript) {
      script = s;
      scriptBase = requests.length;
    },
    requests,
    get connections(): number {
      return accepted;
    },
    get openConnections(): number {
      return conns.size;
    },
    config(uri = '/auth'): AuthHttpConfig {
      return {
        url: fake.url,
        address:
          unixPath === null ? { kind: 'tcp', host: '127.0.0.1', port } : { kind: 'unix', path: unixPath },
        addrText,
        hostHeader: unixPath === null ? '127.0.0.1' : 'localhost',
        uri,
      };
    },
    waitForRequests(n: number, timeoutMs = 5000): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        if (requests.length >= n) {
          resolve();
          return;
        }
        const timer = setTimeout(() => {
          timers.delete(timer);
          reject(new Error(`fake auth: ${requests.length} of ${n} requests after ${timeoutMs} ms`));
        }, timeoutMs);
        timers.add(timer);
        const check = (): void => {
          if (requests.length < n) {
            waiters.push(check);
            return;
          }
          clearTimeout(timer);
          timers.delete(timer);
          resolve();
        };
        waiters.push(check);
      });
    },
    closeIdle(): void {
      for (const c of conns) {
        if (!c.busy && c.seq > 0) {
          c.done = true;
          c.socket.end();
        }
      }
    },
    async close(): Promise<void> {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const c of conns) c.socket.destroy();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
      if (unixPath !== null) rmSync(unixPath, { force: true });
    },
  };
  return fake;
}
