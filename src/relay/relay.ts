/**
 * The two-way pump between a logged-in client and its backend (reference 5.5).
 *
 * Owns: moving bytes without copying them, backpressure both ways, half-close, `proxy_timeout`, byte
 * counters, and deciding why the relay ended. Does not own logging or the sockets' creation.
 *
 * Each direction writes the chunks its source socket read, as they are, and pauses the source while
 * the destination's queue is over its high-water mark (16 KiB), resuming it on 'drain'. A session
 * therefore holds at most one read (≤ 64 KiB) plus the mark per direction while a peer is slow, and
 * nothing while idle.
 *
 * Deliberate differences from nginx (docs/architecture.md):
 * - Q-14: `proxy_timeout` is re-armed by traffic in either direction (nginx: only by client events,
 *   which cuts off long downloads), as nginx's docs describe the directive.
 * - A client's EOF is passed on as a half-close (FIN) to the backend and the backend's answer still
 *   reaches the client (nginx closes both at once, losing e.g. the reply to a pipelined LOGOUT). The
 *   backend's EOF ends the session once its bytes are flushed, as in nginx.
 */
import type { Socket } from 'node:net';
import type { Upstream, UpstreamSink } from './upstream.js';

export type RelayEnd =
  | { readonly kind: 'done' } // both sides finished normally
  | { readonly kind: 'timeout' }
  | { readonly kind: 'clientError'; readonly err: NodeJS.ErrnoException }
  | { readonly kind: 'upstreamError'; readonly err: NodeJS.ErrnoException }
  | { readonly kind: 'shutdown' };

export interface RelayOptions {
  readonly client: Socket;
  readonly upstream: Upstream;
  readonly proxyTimeoutMs: number;
  /** Called once, after both sockets are closed. */
  readonly onEnd: (end: RelayEnd, relay: Relay) => void;
}

export class Relay implements UpstreamSink {
  /** client → upstream bytes */
  bytesFromClient = 0;
  /** upstream → client bytes */
  bytesToClient = 0;

  private readonly client: Socket;
  private readonly upstream: Upstream;
  private readonly onEnd: RelayOptions['onEnd'];
  private readonly proxyTimeoutMs: number;
  private timer: NodeJS.Timeout | null = null;
  private lastActivity = 0;
  private end: RelayEnd | null = null;
  private clientClosed = false;
  private upstreamClosed = false;
  private clientEnded = false;
  private upstreamPausedForClient = false;
  private finished = false;
  private reported = false;

  constructor(options: RelayOptions) {
    this.client = options.client;
    this.upstream = options.upstream;
    this.onEnd = options.onEnd;
    this.proxyTimeoutMs = options.proxyTimeoutMs;
  }

  /**
   * Take over both sockets. `toUpstream` are client bytes pipelined behind the login command; `toClient`
   * are backend bytes that arrived behind the login reply. Both go first, in order.
   */
  start(toUpstream: Buffer | null, toClient: Buffer | null): void {
    const { client, upstream } = this;
    upstream.setSink(this);
    this.lastActivity = Date.now();
    this.armTimer(this.proxyTimeoutMs);

    if (toClient !== null && toClient.length > 0) {
      this.bytesToClient += toClient.length;
      client.write(toClient);
    }
    if (toUpstream !== null && toUpstream.length > 0) {
      this.bytesFromClient += toUpstream.length;
      upstream.socket.write(toUpstream);
    }

    client.on('data', this.onClientData);
    client.on('end', this.onClientEnd);
    client.on('error', this.onClientError);
    client.on('close', this.onClientClose);
    client.on('drain', this.onClientDrain);
    upstream.socket.on('drain', this.onUpstreamDrain);
    if (client.destroyed) {
      this.onClientClose();
      return;
    }
    if (upstream.isClosed) {
      this.upstreamClose();
      return;
    }
    client.resume();
  }

  /** End the session now (graceful-shutdown timeout or fast stop). */
  shutdown(): void {
    this.finish({ kind: 'shutdown' });
  }

  // ---- upstream → client -------------------------------------------------------------------------

  upstreamData(chunk: Buffer): void {
    if (this.clientClosed || this.finished) return;
    this.bytesToClient += chunk.length;
    this.lastActivity = Date.now();
    if (!this.client.write(chunk) && !this.upstreamPausedForClient) {
      this.upstreamPausedForClient = true;
      this.upstream.socket.pause();
    }
  }

  private readonly onClientDrain = (): void => {
    if (this.upstreamPausedForClient) {
      this.upstreamPausedForClient = false;
      this.upstream.socket.resume();
    }
  };

  upstreamEnd(): void {
    // nginx: the backend's EOF ends the session once what it sent is flushed to the client.
    this.finish(this.end ?? { kind: 'done' });
  }

  upstreamError(err: NodeJS.ErrnoException): void {
    this.finish(this.end ?? { kind: 'upstreamError', err });
  }

  upstreamClose(): void {
    this.upstreamClosed = true;
    if (this.finished) this.maybeReport();
    else this.finish(this.end ?? { kind: 'done' });
  }

  // ---- client → upstream -------------------------------------------------------------------------

  private readonly onClientData = (chunk: Buffer): void => {
    this.bytesFromClient += chunk.length;
    this.lastActivity = Date.now();
    if (!this.upstream.socket.write(chunk)) this.client.pause();
  };

  private readonly onUpstreamDrain = (): void => {
    if (!this.clientEnded && !this.clientClosed) this.client.resume();
  };

  private readonly onClientEnd = (): void => {
    this.clientEnded = true;
    // Pass the half-close on; keep relaying the backend's answer until it closes.
    if (!this.upstreamClosed) this.upstream.socket.end();
  };

  private readonly onClientError = (err: NodeJS.ErrnoException): void => {
    this.finish(this.end ?? { kind: 'clientError', err });
  };

  private readonly onClientClose = (): void => {
    this.clientClosed = true;
    if (this.finished) this.maybeReport();
    else this.finish(this.end ?? { kind: 'done' });
  };

  // ---- timer and the end -------------------------------------------------------------------------

  private readonly onTimer = (): void => {
    this.timer = null;
    if (this.finished) {
      // A client that stopped reading must not keep a finished session alive.
      this.client.destroy();
      return;
    }
    const idle = Date.now() - this.lastActivity;
    if (idle >= this.proxyTimeoutMs) {
      this.finish({ kind: 'timeout' });
      return;
    }
    this.armTimer(this.proxyTimeoutMs - idle);
  };

  private armTimer(ms: number): void {
    this.timer = setTimeout(this.onTimer, ms);
    this.timer.unref();
  }

  private finish(end: RelayEnd): void {
    if (this.finished) return;
    this.finished = true;
    this.end = end;
    if (this.timer !== null) clearTimeout(this.timer);
    this.upstream.destroy();
    if (end.kind === 'done') {
      // Flush what is queued for the client, then close (bounded by the timer).
      this.client.destroySoon();
      this.armTimer(this.proxyTimeoutMs);
    } else {
      this.client.destroy();
    }
    this.maybeReport();
  }

  private maybeReport(): void {
    if (this.reported || !this.clientClosed || !this.upstreamClosed) return;
    this.reported = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.onEnd(this.end ?? { kind: 'done' }, this);
  }
}
