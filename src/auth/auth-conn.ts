/**
 * Connections to one auth_http server and their keep-alive pool (reference 3.3; the pool is ours:
 * `auth_http_keepalive N` keeps up to N idle connections, LIFO, each closed after an idle timeout).
 *
 * Owns: the socket (TCP or unix), writing a request's bytes, feeding the response parser, a connection's
 * keep-alive state (busy, draining a body, idle, dead), skipping a kept-alive response's body, the idle
 * list, and spotting the keep-alive race (a reused connection lost before any response byte).
 * Does not own the request flow (auth-http.ts: the deadline, WAIT, whether and how to retry, counters,
 * delivering the result): a connection reports each response or failure to the pool's owner.
 *
 * Handlers are bound once per connection, never per request: with keep-alive off (nginx's default) a
 * connection lives for one login, so nothing here may add work per login.
 */
import net from 'node:net';
import type { AuthHttpConfig } from '../config/types.js';
import type { AuthHttpResult } from './types.js';
import { AuthResponseParser, BODY, NEED_MORE, type AuthResponseOptions } from './response.js';
import { BodyReader, BODY_MORE } from './body-reader.js';
import { socketErrorResult } from './sys-error.js';

/** What a connection needs of the request it carries (auth-http.ts's AuthCall implements it). */
export interface AuthExchange<C extends AuthExchange<C>> {
  /** the request as sent, nginx's bytes */
  readonly bytes: Buffer;
  readonly parse: AuthResponseOptions;
  /** the connection carrying it now: set by `start`, cleared whenever the connection lets go of it */
  conn: AuthConn<C> | null;
  /** already re-sent once on a fresh connection after the keep-alive race */
  retried: boolean;
}

/** Where a connection reports back: the request flow (auth-http.ts's AuthHttpClient). */
export interface AuthConnOwner<C extends AuthExchange<C>> {
  /** a response's headers are complete, or the request failed */
  settle(call: C, result: AuthHttpResult): void;
  /** a reused connection was lost before any response byte: send `call` once more on a fresh one */
  retryFresh(call: C): void;
}

export interface AuthConnPoolOptions {
  readonly address: AuthHttpConfig['address'];
  /** the server's address text, for error results */
  readonly addrText: string;
  /** idle connections kept; 0 = none (one connection per request) */
  readonly keepalive: number;
  /** an idle connection is closed after this long */
  readonly idleMs: number;
  /** a body still arriving after the headers is given this long before the connection is dropped */
  readonly drainTimeoutMs: number;
}

const C_BUSY = 0;
const C_DRAINING = 1;
const C_IDLE = 2;
const C_DEAD = 3;

/** One connection to the auth service. */
export class AuthConn<C extends AuthExchange<C>> {
  readonly socket: net.Socket;
  readonly parser: AuthResponseParser;
  readonly body = new BodyReader();
  call: C | null = null;
  private state = C_BUSY;
  /** the current request went out on a connection that had served one before */
  private reused = false;
  /** a response byte arrived for the current request */
  private gotBytes = false;

  constructor(
    private readonly pool: AuthConnPool<C>,
    parse: AuthResponseOptions,
  ) {
    const address = pool.address;
    this.parser = new AuthResponseParser(parse);
    this.socket =
      address.kind === 'tcp'
        ? net.connect({ host: address.host, port: address.port, noDelay: true })
        : net.connect({ path: address.path });
    this.socket.on('data', this.onData);
    this.socket.on('end', this.onEnd);
    this.socket.on('error', this.onError);
    this.socket.on('close', this.onClose);
    this.socket.on('timeout', this.onIdleTimeout);
  }

  start(call: C): void {
    if (this.state === C_IDLE) {
      this.socket.setTimeout(0);
      this.socket.ref();
      this.reused = true;
    }
    this.state = C_BUSY;
    this.call = call;
    this.gotBytes = false;
    call.conn = this;
    this.parser.reset(call.parse);
    // nginx sends the request in one buffer; Node queues it until connect() completes.
    this.socket.write(call.bytes);
  }

  /** Stop serving the current request (timeout, abort) and drop the connection. */
  detach(): void {
    this.call = null;
    this.kill();
  }

  kill(): void {
    if (this.state === C_DEAD) return;
    if (this.state === C_IDLE) this.pool.forgetIdle(this);
    this.state = C_DEAD;
    this.socket.destroy();
  }

  /** @internal by the pool: the connection joins the idle list. */
  park(idleMs: number): void {
    this.state = C_IDLE;
    this.socket.setTimeout(idleMs);
    this.socket.unref();
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.state === C_BUSY) {
      const call = this.call;
      if (call === null) return;
      this.gotBytes = true;
      const n = this.parser.feed(chunk, 0, chunk.length);
      if (n === NEED_MORE) return;
      const result = this.parser.result ?? this.parser.closedEarly();
      this.call = null;
      call.conn = null;
      if (this.parser.bodyKind === BODY.close) this.kill();
      else {
        // ours: keep-alive — skip the body, then offer the connection to the pool
        this.body.reset(this.parser.bodyKind, this.parser.bodyLength);
        this.state = C_DRAINING;
        this.drain(chunk, n);
      }
      this.pool.owner.settle(call, result);
      return;
    }
    if (this.state === C_DRAINING) {
      this.drain(chunk, 0);
      return;
    }
    // bytes nobody asked for on an idle connection: it is out of step, drop it
    this.kill();
  };

  private drain(chunk: Buffer, start: number): void {
    const m = this.body.feed(chunk, start, chunk.length);
    if (m === BODY_MORE) {
      if (start !== 0) this.socket.setTimeout(this.pool.drainTimeoutMs); // first piece: arm once
      return;
    }
    // a malformed body or bytes after it (the server got ahead of us): not reusable
    if (m < 0 || start + m !== chunk.length) {
      this.kill();
      return;
    }
    this.pool.release(this);
  }

  private readonly onEnd = (): void => {
    this.lost(null);
  };

  private readonly onError = (err: Error): void => {
    this.lost(err);
  };

  private readonly onClose = (): void => {
    this.lost(null);
  };

  private readonly onIdleTimeout = (): void => {
    if (this.state === C_IDLE || this.state === C_DRAINING) this.kill();
  };

  /** The connection ended or failed: fail or retry the request in flight, drop the connection. */
  private lost(err: Error | null): void {
    const call = this.call;
    this.call = null;
    const wasBusy = this.state === C_BUSY;
    const reused = this.reused;
    const gotBytes = this.gotBytes;
    this.kill();
    if (!wasBusy || call === null) return;
    call.conn = null;
    // ours: the keep-alive race — the server closed an idle connection as we reused it. The request
    // cannot have been answered, so send it once more on a fresh connection; never retry otherwise.
    if (reused && !gotBytes && !call.retried) {
      call.retried = true;
      this.pool.owner.retryFresh(call);
      return;
    }
    this.pool.owner.settle(
      call,
      err === null ? this.parser.closedEarly() : socketErrorResult(err, this.pool.addrText),
    );
  }
}

/** The connections of one client: opens new ones and keeps finished ones idle for reuse. */
export class AuthConnPool<C extends AuthExchange<C>> {
  readonly address: AuthHttpConfig['address'];
  readonly addrText: string;
  readonly drainTimeoutMs: number;
  private readonly keepalive: number;
  private readonly idleMs: number;
  private readonly idle: AuthConn<C>[] = [];
  private closed = false;

  constructor(
    readonly owner: AuthConnOwner<C>,
    o: AuthConnPoolOptions,
  ) {
    this.address = o.address;
    this.addrText = o.addrText;
    this.drainTimeoutMs = o.drainTimeoutMs;
    this.keepalive = o.keepalive;
    this.idleMs = o.idleMs;
  }

  /** Idle connections right now. */
  get idleCount(): number {
    return this.idle.length;
  }

  /** The connection idled last (LIFO: the one least likely to have been closed by the server), or null. */
  takeIdle(): AuthConn<C> | null {
    return this.idle.pop() ?? null;
  }

  /** A new connection; `parse` is the first request's response options. */
  open(parse: AuthResponseOptions): AuthConn<C> {
    return new AuthConn(this, parse);
  }

  /** Close idle connections and stop pooling; connections in use finish their request. */
  close(): void {
    this.closed = true;
    while (this.idle.length > 0) (this.idle.pop() as AuthConn<C>).kill();
  }

  /** @internal by AuthConn: a connection finished a response and its body. */
  release(conn: AuthConn<C>): void {
    if (this.closed || this.idle.length >= this.keepalive) {
      conn.kill();
      return;
    }
    conn.park(this.idleMs);
    this.idle.push(conn);
  }

  /** @internal by AuthConn: an idle connection went away. */
  forgetIdle(conn: AuthConn<C>): void {
    const i = this.idle.lastIndexOf(conn);
    if (i >= 0) this.idle.splice(i, 1);
  }
}
