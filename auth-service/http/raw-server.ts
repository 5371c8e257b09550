/**
 * The auth_http listener on node:net: HTTP/1.0 (what nginx, and postern with `auth_http_keepalive 0`,
 * send: one request per connection) and HTTP/1.1 with keep-alive.
 *
 * Why this exists beside uws-server.ts: the uWebSockets.js build we ship (20.30, the npm alias in
 * package.json) only recognises a request line ending in exactly ` HTTP/1.1`; anything else — an
 * HTTP/1.0 request included — is never answered and the connection hangs until uWS's idle timeout
 * (checked on this machine; docs/auth-service.md has the transcript). uWS cannot be given another
 * socket, and two servers cannot split one port by HTTP version, so nginx-compatible clients get this
 * listener, which parses the little HTTP auth_http uses with a pure parser (request-head.ts).
 *
 * Owns: per-connection buffering with a size limit, a deadline for a complete head (slow-loris), the
 * keep-alive idle timeout, sequential answering of pipelined requests, and response framing (HTTP/1.0:
 * answer then close; HTTP/1.1: Content-Length: 0, keep the connection unless `Connection: close`).
 * Refusals (bad head, wrong path, a body) get a failure answer and a close; nothing throws.
 */
import net from 'node:net';
import type { HeaderPair } from '../core/answer.js';
import type { WireHeaders } from '../core/query.js';
import { parseHead, type RequestHead } from './request-head.js';
import type { Responder } from './respond.js';

export interface RawServerOptions {
  readonly host: string;
  readonly port: number;
  /** the request path to answer (`/auth`); others get a failure */
  readonly path: string;
  readonly maxHeadBytes: number;
  readonly maxHeaders: number;
  /** from the first byte of a request to its blank line */
  readonly headerTimeoutMs: number;
  /** idle time allowed between HTTP/1.1 requests */
  readonly keepaliveTimeoutMs: number;
}

const EMPTY: Buffer = Buffer.alloc(0);

function frame(version: '1.0' | '1.1', status: string, pairs: readonly HeaderPair[], keep: boolean): Buffer {
  const parts: Buffer[] = [Buffer.from(`HTTP/${version} ${status}\r\n`, 'latin1')];
  for (const [name, value] of pairs) {
    parts.push(Buffer.from(`${name}: `, 'latin1'));
    parts.push(typeof value === 'string' ? Buffer.from(value, 'utf8') : value);
    parts.push(Buffer.from('\r\n', 'latin1'));
  }
  if (version === '1.1') parts.push(Buffer.from(keep ? 'Content-Length: 0\r\n\r\n' : 'Content-Length: 0\r\nConnection: close\r\n\r\n', 'latin1'));
  else parts.push(Buffer.from('\r\n', 'latin1'));
  return Buffer.concat(parts);
}

function wireFrom(head: RequestHead): WireHeaders {
  const h = head.headers;
  const s = (k: string): string => h.get(k) ?? '';
  return {
    method: s('auth-method'),
    user: Buffer.from(s('auth-user'), 'latin1'),
    pass: Buffer.from(s('auth-pass'), 'latin1'),
    salt: s('auth-salt'),
    protocol: s('auth-protocol'),
    attempt: s('auth-login-attempt'),
    clientIp: s('client-ip'),
    sslVerify: s('auth-ssl-verify'),
    sslSubject: s('auth-ssl-subject'),
    sslFingerprint: s('auth-ssl-fingerprint'),
    smtpTo: s('auth-smtp-to'),
  };
}

export class RawServer {
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();
  readonly #opts: RawServerOptions;
  readonly #responder: Responder;
  /** requests answered (both versions) */
  requests = 0;

  constructor(opts: RawServerOptions, responder: Responder) {
    this.#opts = opts;
    this.#responder = responder;
    this.#server = net.createServer({ noDelay: true }, (socket) => {
      this.#serve(socket);
    });
  }

  listen(): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen({ host: this.#opts.host, port: this.#opts.port, backlog: 1024 }, () => {
        this.#server.off('error', reject);
        const a = this.#server.address() as net.AddressInfo;
        resolve({ host: a.address, port: a.port });
      });
    });
  }

  #serve(socket: net.Socket): void {
    this.#sockets.add(socket);
    let buf: Buffer = EMPTY;
    let busy = false;
    let closed = false;
    const o = this.#opts;
    let timer: NodeJS.Timeout | null = null;
    const arm = (ms: number): void => {
      if (timer !== null) clearTimeout(timer);
      timer = setTimeout(() => socket.destroy(), ms);
    };
    const disarm = (): void => {
      if (timer !== null) clearTimeout(timer);
      timer = null;
    };
    arm(o.headerTimeoutMs);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      disarm();
      this.#sockets.delete(socket);
    });

    const refuse = (reason: string, version: '1.0' | '1.1', status: string): void => {
      disarm();
      busy = true;
      socket.end(frame(version, status, this.#responder.refuse(reason, socket.remoteAddress ?? null), false));
    };

    const next = (): void => {
      if (busy || closed) return;
      const r = parseHead(buf, buf.length, { maxBytes: o.maxHeadBytes, maxHeaders: o.maxHeaders });
      if (r.type === 'incomplete') {
        if (buf.length > 0) arm(o.headerTimeoutMs);
        return;
      }
      if (r.type === 'invalid') {
        refuse(r.reason, '1.0', '400 Bad Request');
        return;
      }
      const head = r.head;
      buf = buf.subarray(head.length);
      const h = head.headers;
      const qmark = head.target.indexOf('?');
      const path = qmark < 0 ? head.target : head.target.slice(0, qmark);
      if (head.method !== 'GET') { refuse(`method ${head.method}`, head.version, '405 Method Not Allowed'); return; }
      if (path !== o.path) { refuse(`path ${path}`, head.version, '404 Not Found'); return; }
      if ((h.get('content-length') ?? '0') !== '0' || h.has('transfer-encoding'))
        { refuse('request with a body', head.version, '400 Bad Request'); return; }
      const keep = head.version === '1.1' && (h.get('connection') ?? '').toLowerCase() !== 'close';
      busy = true;
      disarm();
      void this.#responder.answer(wireFrom(head)).then((pairs) => {
        this.requests++;
        if (closed) return;
        const bytes = frame(head.version, '200 OK', pairs, keep);
        if (!keep) {
          socket.end(bytes);
          return;
        }
        socket.write(bytes);
        busy = false;
        arm(buf.length > 0 ? o.headerTimeoutMs : o.keepaliveTimeoutMs);
        next();
      });
    };

    socket.on('data', (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      if (buf.length > o.maxHeadBytes * 2) {
        // pipelined flood or a huge head: stop buffering
        if (!busy) refuse('request head too large', '1.0', '400 Bad Request');
        else socket.destroy();
        return;
      }
      next();
    });
  }

  get connections(): number {
    return this.#sockets.size;
  }

  /** Stops listening and closes every connection. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => {
        resolve();
      });
      for (const s of this.#sockets) s.destroy();
    });
  }
}
