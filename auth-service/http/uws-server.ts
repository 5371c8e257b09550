/**
 * The auth_http listener on uWebSockets.js: HTTP/1.1 with keep-alive, the fast path for postern with
 * `auth_http_keepalive N` (its request line then says HTTP/1.1, docs/auth-http.md).
 *
 * Two limits of this uWS build (checked on this machine), both served by the node:net listener:
 * - it never answers HTTP/1.0 (raw-server.ts explains);
 * - `getHeader` returns one char per byte (so we read values as latin1), but the parser trims trailing
 *   bytes ≥ 0x80 off a value as if they were spaces (it compares signed chars with 33): a password
 *   that ends in a non-ASCII character reaches us shortened and fails. Such bytes elsewhere survive.
 * Host is required on HTTP/1.1 requests (a request without one is never answered); postern and curl
 * always send it.
 *
 * Owns: the uWS app, copying the headers out before the handler returns (uWS reuses the request
 * object), abort tracking, and writing the answer corked in one syscall.
 */
import uws from 'uWebSockets.js';
import type { HeaderPair } from '../core/answer.js';
import type { WireHeaders } from '../core/query.js';
import type { Responder } from './respond.js';

export interface UwsServerOptions {
  readonly host: string;
  readonly port: number;
  readonly path: string;
}

function wireFrom(req: uws.HttpRequest): WireHeaders {
  return {
    method: req.getHeader('auth-method'),
    user: Buffer.from(req.getHeader('auth-user'), 'latin1'),
    pass: Buffer.from(req.getHeader('auth-pass'), 'latin1'),
    salt: req.getHeader('auth-salt'),
    protocol: req.getHeader('auth-protocol'),
    attempt: req.getHeader('auth-login-attempt'),
    clientIp: req.getHeader('client-ip'),
    sslVerify: req.getHeader('auth-ssl-verify'),
    sslSubject: req.getHeader('auth-ssl-subject'),
    sslFingerprint: req.getHeader('auth-ssl-fingerprint'),
    smtpTo: req.getHeader('auth-smtp-to'),
  };
}

function write(res: uws.HttpResponse, status: string, pairs: readonly HeaderPair[]): void {
  res.cork(() => {
    res.writeStatus(status);
    for (const [name, value] of pairs) res.writeHeader(name, value);
    res.end();
  });
}

export class UwsServer {
  readonly #app: uws.TemplatedApp;
  readonly #opts: UwsServerOptions;
  #listenSocket: uws.us_listen_socket | null = null;
  requests = 0;

  constructor(opts: UwsServerOptions, responder: Responder) {
    this.#opts = opts;
    this.#app = uws.App();
    this.#app.get(opts.path, (res, req) => {
      const wire = wireFrom(req);
      let aborted = false;
      res.onAborted(() => {
        aborted = true;
      });
      void responder.answer(wire).then((pairs) => {
        this.requests++;
        if (!aborted) write(res, '200 OK', pairs);
      });
    });
    this.#app.any('/*', (res, req) => {
      const what = `${req.getMethod().toUpperCase()} ${req.getUrl()}`;
      write(res, '404 Not Found', responder.refuse(`request ${what}`, null));
    });
  }

  listen(): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.#app.listen(this.#opts.host, this.#opts.port, (ls) => {
        if (ls === false) {
          reject(new Error(`uWebSockets.js cannot listen on ${this.#opts.host}:${this.#opts.port}`));
          return;
        }
        this.#listenSocket = ls;
        resolve({ host: this.#opts.host, port: uws.us_socket_local_port(ls) });
      });
    });
  }

  /** Stops listening and closes every connection. */
  close(): Promise<void> {
    if (this.#listenSocket !== null) uws.us_listen_socket_close(this.#listenSocket);
    this.#listenSocket = null;
    (this.#app as uws.TemplatedApp & { close(): void }).close();
    return Promise.resolve();
  }
}
