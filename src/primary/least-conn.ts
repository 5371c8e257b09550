/**
 * `accept_policy least_conn` (ours): the primary accepts on every listening socket itself (paused, no
 * byte read) and hands each connection to the ready worker of the current generation with the fewest
 * live connections, numbering it on the way.
 *
 * Owns: the primary's accepting servers and the choice of worker. Does not own the load counts (each
 * WorkerProc's `live`, kept by worker-pool.ts from `closed` messages and failed sends) or the sockets.
 */
import * as net from 'node:net';
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

export class LeastConnAcceptor {
  /** where the next scan starts */
  private rrStart = 0;

  constructor(private readonly o: LeastConnOptions) {}

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

  private handOver(s: ListenSocket, socket: net.Socket): void {
    socket.on('error', () => undefined);
    const limit = this.o.state.config.workerConnections;
    let best: WorkerProc | null = null;
    const candidates = this.o.workers
      .current()
      .filter((w) => w.state === 'ready' && w.specs.some((spec) => spec.id === s.id));
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
    best.live++;
    this.o.workers.send(best, { type: 'connection', id: s.id, cid: this.o.cids.one() }, socket);
  }
}
