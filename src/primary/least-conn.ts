/**
 * `accept_policy least_conn` (ours): the primary accepts on every listening socket itself (paused, no
 * byte read) and hands each connection to the ready worker with the fewest live connections, numbering
 * it on the way. Workers of the current generation are preferred; while none of them is ready yet (just
 * after a reload) the previous generation, still serving, takes the connection, as nginx's old workers
 * keep accepting until the new ones are up. While no worker at all is ready (start-up, the only worker
 * being respawned) connections wait here, bounded in number and time, where under nginx they would
 * wait in the listen backlog; they are not closed as if the workers were full.
 *
 * Owns: the primary's accepting servers, the waiting connections and the choice of worker. Does not own
 * the load counts (each WorkerProc's `live`, kept by worker-pool.ts from `closed` messages and failed
 * sends) or the sockets.
 */
import * as net from 'node:net';
import { LEAST_CONN_PENDING_MAX, LEAST_CONN_PENDING_MS } from '../limits.js';
import type { PrimaryMetrics } from '../metrics/primary-metrics.js';
import type { CidBlocks } from './cid-blocks.js';
import type { ListenSocket, ListenSockets } from './listen-sockets.js';
import type { PrimaryState } from './primary-state.js';
import type { WorkerPool, WorkerProc } from './worker-pool.js';

export interface LeastConnOptions {
  readonly state: PrimaryState;
  readonly sockets: ListenSockets;
  readonly workers: WorkerPool;
  readonly cids: CidBlocks;
  readonly metrics: PrimaryMetrics;
}

/** A connection is offered to at most this many workers whose channel fails before it is closed. */
const MAX_BOUNCES = 3;

interface Waiting {
  readonly s: ListenSocket;
  readonly socket: net.Socket;
  readonly since: number;
}

export class LeastConnAcceptor {
  /** where the next scan starts */
  private rrStart = 0;
  /** accepted while no worker was ready, oldest first */
  private waiting: Waiting[] = [];
  private waitTimer: NodeJS.Timeout | null = null;

  constructor(private readonly o: LeastConnOptions) {}

  /** A worker became ready: hand it (and the others) what waited. */
  workerReady(): void {
    const queue = this.waiting;
    this.waiting = [];
    this.stopWaitTimer();
    for (const w of queue) {
      if (!w.socket.destroyed) this.handOver(w.s, w.socket, w.since);
    }
  }

  /** Stop: nothing waits any more. */
  close(): void {
    this.stopWaitTimer();
    for (const w of this.waiting) w.socket.destroy();
    this.waiting = [];
  }

  /** Accept on every open socket that has no accepting server yet (new ones after a reload). */
  start(): void {
    for (const s of this.o.sockets.values()) {
      if (s.server !== null) continue;
      const server = net.createServer({ pauseOnConnect: true }, (socket) => {
        this.handOver(s, socket);
      });
      server.on('error', (err) => {
        this.o.state.log.alert(`listen() on ${s.plan.listen.addrText} failed: ${err.message}`);
      });
      s.server = server;
      server.listen(s.handle as unknown as net.Server, s.plan.listen.backlog);
    }
  }

  /** `since`: when a connection that waited or bounced was first accepted (0: just now). */
  private handOver(s: ListenSocket, socket: net.Socket, since = 0, bounces = 0): void {
    if (since === 0) socket.on('error', () => undefined);
    const limit = this.o.state.config.workerConnections;
    let best: WorkerProc | null = null;
    const serves = (w: WorkerProc): boolean =>
      w.state === 'ready' && w.child.connected && w.specs.some((spec) => spec.id === s.id);
    let candidates = this.o.workers.current().filter(serves);
    if (candidates.length === 0) candidates = [...this.o.workers.values()].filter(serves);
    if (candidates.length === 0) {
      this.wait(s, socket, since === 0 ? Date.now() : since);
      return;
    }
    // rotate the starting point so equal loads spread instead of piling on the first worker
    for (let i = 0; i < candidates.length; i++) {
      const w = candidates[(this.rrStart + i) % candidates.length];
      if (w !== undefined && w.live < limit && (best === null || w.live < best.live)) best = w;
    }
    this.rrStart++;
    if (best === null) {
      // nginx: ngx_get_connection's alert when a worker has no free connection left
      this.o.state.log.alert(`${limit} worker_connections are not enough`);
      this.o.metrics.refusedWorkerConnections();
      socket.destroy();
      return;
    }
    const first = since === 0 ? Date.now() : since;
    this.o.workers.sendConnection(best, { type: 'connection', id: s.id, cid: this.o.cids.one() }, socket, () => {
      // The worker died under us: place the connection again (another worker, or wait for the
      // respawn). Bounded, so a channel that keeps failing cannot bounce a connection forever.
      if (socket.destroyed) return;
      if (bounces >= MAX_BOUNCES) {
        socket.destroy();
        return;
      }
      this.handOver(s, socket, first, bounces + 1);
    });
  }

  private wait(s: ListenSocket, socket: net.Socket, since: number): void {
    if (this.waiting.length >= LEAST_CONN_PENDING_MAX) {
      this.o.state.log.alert('no worker process is ready, connection closed');
      this.o.metrics.refusedWorkerConnections();
      socket.destroy();
      return;
    }
    this.waiting.push({ s, socket, since });
    this.waitTimer ??= setInterval(this.expire, 1000);
  }

  /** Connections that waited too long, or whose client went away, leave the queue. */
  private readonly expire = (): void => {
    const deadline = Date.now() - LEAST_CONN_PENDING_MS;
    const keep: Waiting[] = [];
    for (const w of this.waiting) {
      if (w.socket.destroyed) continue;
      if (w.since <= deadline) {
        this.o.state.log.alert('no worker process is ready, connection closed');
        this.o.metrics.refusedWorkerConnections();
        w.socket.destroy();
        continue;
      }
      keep.push(w);
    }
    this.waiting = keep;
    if (keep.length === 0) this.stopWaitTimer();
  };

  private stopWaitTimer(): void {
    if (this.waitTimer !== null) clearInterval(this.waitTimer);
    this.waitTimer = null;
  }
}
