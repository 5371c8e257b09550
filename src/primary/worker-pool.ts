/**
 * The worker processes (nginx: ngx_start_worker_processes, ngx_reap_children): forking them with their
 * configuration and listeners, the IPC they send, respawning the ones that die with a per-slot backoff,
 * noticing when a generation is ready (then the previous one drains), and stopping them all.
 *
 * Owns: the process table, every message to a worker (`send`), the respawn backoff and timers, the TERM
 * resend schedule, and the workers' metric reports (status-probe.ts keyed by process).
 * Does not own the phase or what follows readiness and exits (primary.ts, through `onAllReady` and
 * `onExit`), the sockets (listen-sockets.ts) or choosing a worker per connection (least-conn.ts).
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import { ProxyError } from '../errors.js';
import {
  FAST_SHUTDOWN_FIRST_RETRY_MS,
  FAST_SHUTDOWN_KILL_AFTER_MS,
  WORKER_RESPAWN_BACKOFF_MAX_MS,
  WORKER_RESPAWN_BACKOFF_MIN_MS,
} from '../limits.js';
import type { PrimaryMetrics } from '../metrics/primary-metrics.js';
import type { TicketKeySet } from '../tls/ticket-keys.js';
import type { CidBlocks } from './cid-blocks.js';
import { isWorkerMessage, type ListenerSpec, type PrimaryMessage } from './ipc.js';
import type { ListenSockets } from './listen-sockets.js';
import type { ServerHandle } from './listeners.js';
import { isSupervising, type PrimaryState } from './primary-state.js';
import { signalNumber } from './signals.js';
import { WorkerReports } from './status-probe.js';

export type WorkerState = 'starting' | 'ready' | 'retiring';

const noop = (): void => undefined;

export interface WorkerProc {
  readonly slot: number;
  readonly generation: number;
  readonly child: ChildProcess;
  readonly pid: number;
  readonly startedAt: number;
  readonly specs: readonly ListenerSpec[];
  state: WorkerState;
  /** least_conn: connections handed over and not reported closed */
  live: number;
  /**
   * least_conn: the primary's copies of connections handed over (oldest first) that the worker has not
   * confirmed yet. Closing a copy leaves the worker's open; if the worker dies first, closing them
   * ends those connections instead of leaving them open in the primary for ever.
   */
  readonly unconfirmed: net.Socket[];
}

export interface WorkerPoolOptions {
  readonly state: PrimaryState;
  /** absolute path of the worker entry module (forked with this process's execArgv) */
  readonly workerModule: string;
  /** workers' stdout/stderr */
  readonly workerStdio: 'inherit' | 'ignore';
  readonly sockets: ListenSockets;
  readonly cids: CidBlocks;
  readonly metrics: PrimaryMetrics;
  /** the session-ticket key a new worker starts with */
  readonly ticketKeys: () => TicketKeySet;
  /** every worker of the current generation is ready (the older ones were just told to drain) */
  readonly onAllReady: () => void;
  /** one worker became ready (least_conn hands it the connections that waited for one) */
  readonly onWorkerReady?: () => void;
  /** a worker exited and is out of the table (its respawn, if any, is scheduled) */
  readonly onExit: () => void;
}

export class WorkerPool {
  readonly reports: WorkerReports<WorkerProc>;
  private readonly workers = new Set<WorkerProc>();
  private readonly backoff = new Map<number, number>();
  private readonly respawnTimers = new Set<NodeJS.Timeout>();
  private killTimer: NodeJS.Timeout | null = null;

  constructor(private readonly o: WorkerPoolOptions) {
    this.reports = new WorkerReports<WorkerProc>({
      send: (w, msg) => {
        if (!w.child.connected) return false;
        this.send(w, msg);
        return true;
      },
      onTimeout: (n) => {
        o.metrics.reportTimedOut(n);
      },
      onInvalid: (w) => {
        o.state.log.alert(new ProxyError('ERR_IPC', `malformed metrics report from worker process ${w.pid}`).message);
      },
    });
  }

  /** Worker processes alive (every generation, retiring ones included). */
  get size(): number {
    return this.workers.size;
  }

  values(): IterableIterator<WorkerProc> {
    return this.workers.values();
  }

  /** The current generation's workers that are not retiring. */
  current(): WorkerProc[] {
    const generation = this.o.state.generation;
    return [...this.workers].filter((w) => w.generation === generation && w.state !== 'retiring');
  }

  spawn(slot: number): void {
    const s = this.o.state;
    const config = s.config;
    const specs = this.o.sockets.specsFor(config);
    const child = fork(this.o.workerModule, [], {
      execArgv: process.execArgv,
      stdio: ['ignore', this.o.workerStdio, this.o.workerStdio, 'ipc'],
      serialization: 'json',
    });
    const w: WorkerProc = {
      slot,
      generation: s.generation,
      child,
      pid: child.pid ?? 0,
      startedAt: Date.now(),
      specs,
      state: 'starting',
      live: 0,
      unconfirmed: [],
    };
    this.workers.add(w);
    this.reports.add(w);
    s.log.notice(`start worker process ${w.pid}`);
    child.on('error', (err) => {
      this.o.state.log.alert(`worker process ${w.pid}: ${err.message}`);
    });
    child.on('message', (msg: unknown) => {
      this.onMessage(w, msg);
    });
    child.on('exit', (code, signal) => {
      this.onWorkerExit(w, code, signal);
    });
    // 'close' comes after the IPC channel is drained: a final report sent before exit has arrived.
    child.on('close', () => {
      this.reports.gone(w);
    });
    const ticketKeys = this.o.ticketKeys();
    this.send(w, { type: 'config', generation: w.generation, slot, config, listeners: specs, ticketKeys });
    if (config.acceptPolicy === 'shared') {
      for (const b of [this.o.cids.take(), this.o.cids.take()]) this.send(w, { type: 'cids', ...b });
      for (const spec of specs) this.sendListener(w, spec.id);
    }
  }

  /** Sends `msg` (with a listening handle) unless the channel is gone. */
  send(w: WorkerProc, msg: PrimaryMessage, handle?: ServerHandle): void {
    if (!w.child.connected) return;
    if (handle === undefined) w.child.send(msg, noop);
    else w.child.send(msg, handle as unknown as net.Server, { keepOpen: true }, noop);
  }

  /**
   * least_conn: hands a connection to `w`, counted against it. When the worker's channel is gone (it
   * died and its exit is not processed yet) the connection is not lost: it is no longer counted and
   * `onFail` gets it back to place elsewhere.
   */
  sendConnection(w: WorkerProc, msg: PrimaryMessage, socket: net.Socket, onFail: () => void): void {
    w.live++;
    const failed = (): void => {
      w.live = Math.max(0, w.live - 1);
      onFail();
    };
    if (!w.child.connected) {
      failed();
      return;
    }
    w.unconfirmed.push(socket);
    w.child.send(msg, socket, { keepOpen: true }, (err: Error | null) => {
      if (err === null) return;
      const i = w.unconfirmed.indexOf(socket);
      if (i >= 0) w.unconfirmed.splice(i, 1);
      failed();
    });
  }

  /** The same message to every worker. */
  broadcast(msg: PrimaryMessage): void {
    for (const w of this.workers) this.send(w, msg);
  }

  /** After start or a reload: once every current worker listens, the old generation retires. */
  checkReady(): void {
    const s = this.o.state;
    const current = this.current();
    if (current.length < s.config.workerProcesses || current.some((w) => w.state !== 'ready')) return;
    for (const w of this.workers) {
      if (w.generation !== s.generation && w.state !== 'retiring') {
        w.state = 'retiring';
        this.send(w, { type: 'drain' });
      }
    }
    this.o.onAllReady();
  }

  /** A reload starts each slot's backoff afresh. */
  resetBackoff(): void {
    this.backoff.clear();
  }

  clearRespawns(): void {
    for (const t of this.respawnTimers) clearTimeout(t);
    this.respawnTimers.clear();
  }

  /** QUIT: every worker finishes its sessions and exits. */
  drainAll(): void {
    for (const w of this.workers) {
      w.state = 'retiring';
      this.send(w, { type: 'drain' });
    }
  }

  /** TERM/INT: TERM to every worker, resent 50 ms apart doubling, then SIGKILL (nginx's schedule). */
  terminateAll(): void {
    for (const w of this.workers) {
      this.send(w, { type: 'stop' });
      w.child.kill('SIGTERM');
    }
    let delay = FAST_SHUTDOWN_FIRST_RETRY_MS;
    const tick = (): void => {
      if (this.workers.size === 0) return;
      delay *= 2;
      const sig = delay > FAST_SHUTDOWN_KILL_AFTER_MS ? 'SIGKILL' : 'SIGTERM';
      for (const w of this.workers) w.child.kill(sig);
      this.killTimer = setTimeout(tick, delay);
    };
    this.killTimer = setTimeout(tick, delay);
  }

  /** Exit: the resend schedule stops (every worker is gone). */
  cancelTerminate(): void {
    if (this.killTimer !== null) clearTimeout(this.killTimer);
  }

  private sendListener(w: WorkerProc, id: number): void {
    const s = this.o.sockets.byId(id);
    if (s !== undefined && w.specs.some((spec) => spec.id === id)) this.send(w, { type: 'listener', id }, s.handle);
  }

  private onMessage(w: WorkerProc, msg: unknown): void {
    if (!isWorkerMessage(msg)) {
      this.o.state.log.alert(new ProxyError('ERR_IPC', `malformed message from worker process ${w.pid}`).message);
      return;
    }
    switch (msg.type) {
      case 'ready':
        if (w.state === 'starting') w.state = 'ready';
        this.checkReady();
        this.o.onWorkerReady?.();
        return;
      case 'needCids':
        this.send(w, { type: 'cids', ...this.o.cids.take() });
        return;
      case 'relisten':
        if (w.state !== 'retiring' && isSupervising(this.o.state)) this.sendListener(w, msg.id);
        return;
      case 'closed':
        w.live = Math.max(0, w.live - msg.count);
        return;
      case 'received':
        // The worker holds its own descriptor for each of these now; ours can go.
        for (const socket of w.unconfirmed.splice(0, msg.count)) socket.destroy();
        return;
      case 'report':
        this.reports.received(w, msg);
        return;
    }
  }

  private onWorkerExit(w: WorkerProc, code: number | null, signal: NodeJS.Signals | null): void {
    const s = this.o.state;
    this.workers.delete(w);
    // Handed over but never confirmed: lost with the worker (as connections a dying nginx worker had
    // accepted are); close them rather than keep them open here.
    for (const socket of w.unconfirmed.splice(0)) socket.destroy();
    if (signal !== null) s.log.alert(`worker process ${w.pid} exited on signal ${signalNumber(signal)}`);
    else if (code === 0) s.log.notice(`worker process ${w.pid} exited with code 0`);
    else if (code === 2) s.log.alert(`worker process ${w.pid} exited with fatal code 2 and cannot be respawned`);
    else s.log.alert(`worker process ${w.pid} exited with code ${code ?? 0}`);

    const current = w.generation === s.generation && w.state !== 'retiring';
    if (isSupervising(s) && current && code !== 2) this.scheduleRespawn(w);
    this.o.onExit();
  }

  private scheduleRespawn(w: WorkerProc): void {
    const lived = Date.now() - w.startedAt;
    const prev = this.backoff.get(w.slot);
    const delay =
      prev === undefined || lived >= WORKER_RESPAWN_BACKOFF_MAX_MS
        ? WORKER_RESPAWN_BACKOFF_MIN_MS
        : Math.min(prev * 2, WORKER_RESPAWN_BACKOFF_MAX_MS);
    this.backoff.set(w.slot, delay);
    this.o.state.log.notice(`respawning worker process in ${delay}ms`);
    const generation = this.o.state.generation;
    const timer = setTimeout(() => {
      this.respawnTimers.delete(timer);
      if (isSupervising(this.o.state) && generation === this.o.state.generation) {
        this.o.metrics.workerRestarted();
        this.spawn(w.slot);
      }
    }, delay);
    this.respawnTimers.add(timer);
  }
}
