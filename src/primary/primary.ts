/**
 * The primary process (nginx's master): owns every listening socket, forks `worker_processes`
 * workers and keeps them alive (respawn with backoff), writes and removes the pid file, and handles
 * HUP (reload: re-read, validate, new workers, drain old ones), QUIT (graceful), TERM/INT (fast,
 * with nginx's TERM resend schedule and SIGKILL), USR1 (reopen logs). With `accept_policy least_conn`
 * it also accepts (paused) and hands each connection to the least-loaded worker.
 *
 * Owns: process supervision and signals, and the status listener's life (status-server.ts: opened at
 * start, moved or re-ruled on reload, closed at exit) with the numbers it serves: worker restarts,
 * reloads and generation (metrics/primary-metrics.ts), the workers' reports (status-probe.ts).
 * Does not own sessions or any byte of traffic.
 */
import { chownLogFiles, workerIds } from './log-ownership.js';
import { fork, type ChildProcess } from 'node:child_process';
import { rotateTicketKeys, type TicketKeySet } from '../tls/ticket-keys.js';
import { ticketKeyRotationMs } from './ticket-rotation.js';
import * as net from 'node:net';
import type { MainConfig } from '../config/types.js';
import type { LoadResult } from '../config/load.js';
import type { Logger } from '../log/types.js';
import { LogSystem } from '../log/logger.js';
import { ConfigError, ProxyError } from '../errors.js';
import {
  FAST_SHUTDOWN_FIRST_RETRY_MS,
  FAST_SHUTDOWN_KILL_AFTER_MS,
  WORKER_RESPAWN_BACKOFF_MAX_MS,
  WORKER_RESPAWN_BACKOFF_MIN_MS,
} from '../limits.js';
import { isWorkerMessage, type ListenerSpec, type PrimaryMessage } from './ipc.js';
import { planSockets, type SocketPlan } from './listen-groups.js';
import { bindWithRetries, removeSocketFile, type ServerHandle } from './listeners.js';
import { removePidFile, writePidFile } from './pid-file.js';
import { CidBlocks } from './cid-blocks.js';
import { signalNotice, signalNumber, type HandledSignal } from './signals.js';
import { PrimaryMetrics } from '../metrics/primary-metrics.js';
import { VERSION } from '../cli/version.js';
import { WorkerReports } from './status-probe.js';
import { buildStatus, type StatusDocument } from './status-report.js';
import { StatusServer, statusAddrText, type StatusSource } from './status-server.js';

export interface PrimaryOptions {
  readonly config: MainConfig;
  /** the LogSystem opened for `config` (its echo to stderr is switched off once ready) */
  readonly logs: LogSystem;
  /** re-reads the configuration with the original -c/-p/-g (HUP) */
  readonly reload: () => Promise<LoadResult>;
  /** absolute path of the worker entry module (forked with this process's execArgv) */
  readonly workerModule: string;
  /** workers' stdout/stderr: inherited in the foreground, ignored when daemonized */
  readonly workerStdio: 'inherit' | 'ignore';
  /** every listener accepts connections and the pid file is written */
  readonly onReady?: () => void;
}

interface SocketState {
  readonly id: number;
  plan: SocketPlan;
  readonly handle: ServerHandle;
  /** least_conn: the primary's own accepting server on the handle */
  server: net.Server | null;
}

type WorkerState = 'starting' | 'ready' | 'retiring';

interface WorkerProc {
  readonly slot: number;
  readonly generation: number;
  readonly child: ChildProcess;
  readonly pid: number;
  readonly startedAt: number;
  readonly specs: readonly ListenerSpec[];
  state: WorkerState;
  /** least_conn: connections handed over and not reported closed */
  live: number;
}

type Phase = 'starting' | 'running' | 'quitting' | 'stopping' | 'done';

const SIGNALS: readonly HandledSignal[] = ['SIGHUP', 'SIGQUIT', 'SIGTERM', 'SIGINT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

export class Primary {
  private config: MainConfig;
  private logs: LogSystem;
  private log: Logger;
  private generation = 1;
  private phase: Phase = 'starting';
  private readonly sockets = new Map<string, SocketState>();
  private nextSocketId = 1;
  private readonly workers = new Set<WorkerProc>();
  private readonly backoff = new Map<number, number>();
  private readonly respawnTimers = new Set<NodeJS.Timeout>();
  private readonly cids = new CidBlocks();
  private reloading: Promise<void> = Promise.resolve();
  private killTimer: NodeJS.Timeout | null = null;
  private rrStart = 0;
  private pidWritten: string | null = null;
  private readonly finished: Promise<number>;
  private resolveFinished: (code: number) => void = () => undefined;
  private readonly signalHandlers = new Map<HandledSignal, () => void>();
  private readonly startedAtMs = Date.now();
  private readonly metrics: PrimaryMetrics;
  private readonly reports: WorkerReports<WorkerProc>;
  private status: StatusServer | null = null;
  private lastReload: { readonly atMs: number; readonly ok: boolean } | null = null;
  /** the session-ticket key every worker uses, so a ticket from one worker resumes on another */
  private ticketKeys: TicketKeySet = rotateTicketKeys(null);
  private ticketTimer: NodeJS.Timeout | null = null;

  constructor(private readonly o: PrimaryOptions) {
    this.config = o.config;
    this.logs = o.logs;
    this.log = o.logs.logger(o.config.errorLogs);
    this.finished = new Promise((resolve) => {
      this.resolveFinished = resolve;
    });
    this.metrics = new PrimaryMetrics(process.pid, this.startedAtMs);
    this.reports = new WorkerReports<WorkerProc>({
      send: (w, msg) => {
        if (!w.child.connected) return false;
        this.send(w, msg);
        return true;
      },
      onTimeout: (n) => {
        this.metrics.reportTimedOut(n);
      },
      onInvalid: (w) => {
        this.log.alert(new ProxyError('ERR_IPC', `malformed metrics report from worker process ${w.pid}`).message);
      },
    });
  }

  /** The bound status port (0 when the listener is off); for tests that configure port 0. */
  get statusPort(): number {
    return this.status?.port ?? 0;
  }

  /** Resolves with the process exit code once the primary is done (after QUIT/TERM, or a failed start). */
  run(): Promise<number> {
    this.installSignals();
    this.start().catch((err: unknown) => {
      this.failStart(err);
    });
    return this.finished;
  }

  // ---- start ---------------------------------------------------------------------------------

  private async start(): Promise<void> {
    process.title = `postern: master process ${process.argv.slice(1).join(' ')}`;
    this.logIgnored(this.config);
    this.prepareLogsForWorkers(this.config);
    await this.openSockets(this.config);
    if (this.phase !== 'starting') return;
    const listen = this.config.status.listen;
    if (listen !== null) {
      try {
        this.status = await StatusServer.open(listen, this.config.status.access, this.statusSource, this.log);
      } catch (err) {
        this.log.emerg((err as Error).message);
        this.stopEverything(1);
        return;
      }
      if (!this.isStarting()) {
        this.closeStatus();
        return;
      }
    }
    this.spawnGeneration();
    this.scheduleTicketRotation();
  }

  /** Rotate the shared ticket key on a timer (re-read after a reload: ssl_session_timeout may change). */
  private scheduleTicketRotation(): void {
    if (this.ticketTimer !== null) clearTimeout(this.ticketTimer);
    this.ticketTimer = setTimeout(() => {
      this.ticketTimer = null;
      if (this.phase === 'stopping' || this.phase === 'done') return;
      this.ticketKeys = rotateTicketKeys(this.ticketKeys);
      for (const w of this.workers) this.send(w, { type: 'ticketKeys', keys: this.ticketKeys });
      this.scheduleTicketRotation();
    }, ticketKeyRotationMs(this.config));
    this.ticketTimer.unref();
  }

  /** `user`: the unprivileged workers must be able to (re)open every log file (nginx chowns them). */
  private prepareLogsForWorkers(config: MainConfig): void {
    if (process.getuid?.() !== 0) return;
    const ids = workerIds(config);
    if (ids === null) return;
    for (const err of chownLogFiles(config, ids)) this.log.alert(`chown() of a log file failed: ${err.message}`);
  }

  private failStart(err: unknown): void {
    if (!(err instanceof ProxyError) || err.code !== 'ERR_LISTEN' || err.message === 'still could not bind()') {
      this.log.emerg(err instanceof ConfigError ? err.toString() : (err as Error).message);
    }
    this.stopEverything(1);
  }

  private logIgnored(config: MainConfig): void {
    const seen = new Set<string>();
    for (const d of config.ignored) {
      if (seen.has(d.name)) continue;
      seen.add(d.name);
      this.log.notice(`the "${d.name}" directive is ignored in ${d.source.file}:${d.source.line}`);
    }
  }

  private async openSockets(config: MainConfig): Promise<void> {
    const opened: SocketState[] = [];
    try {
      for (const plan of planSockets(config)) {
        const existing = this.sockets.get(plan.key);
        if (existing !== undefined) continue;
        const handle = await bindWithRetries(plan.listen, this.log);
        opened.push({ id: this.nextSocketId++, plan, handle, server: null });
      }
    } catch (err) {
      for (const s of opened) {
        s.handle.close();
        removeSocketFile(s.plan.listen);
      }
      throw err;
    }
    const plans = planSockets(config);
    for (const s of opened) this.sockets.set(s.plan.key, s);
    for (const plan of plans) {
      const s = this.sockets.get(plan.key);
      if (s !== undefined) s.plan = plan;
    }
  }

  private specsFor(config: MainConfig): ListenerSpec[] {
    const specs: ListenerSpec[] = [];
    for (const plan of planSockets(config)) {
      const s = this.sockets.get(plan.key);
      if (s === undefined) continue;
      specs.push({ id: s.id, addrText: plan.listen.addrText, backlog: plan.listen.backlog, targets: plan.targets });
    }
    return specs;
  }

  private spawnGeneration(): void {
    if (this.config.acceptPolicy === 'least_conn') this.startPrimaryAccept();
    for (let slot = 0; slot < this.config.workerProcesses; slot++) this.spawn(slot);
    this.checkReady();
  }

  // ---- workers -------------------------------------------------------------------------------

  private spawn(slot: number): void {
    const config = this.config;
    const specs = this.specsFor(config);
    const child = fork(this.o.workerModule, [], {
      execArgv: process.execArgv,
      stdio: ['ignore', this.o.workerStdio, this.o.workerStdio, 'ipc'],
      serialization: 'json',
    });
    const w: WorkerProc = {
      slot,
      generation: this.generation,
      child,
      pid: child.pid ?? 0,
      startedAt: Date.now(),
      specs,
      state: 'starting',
      live: 0,
    };
    this.workers.add(w);
    this.reports.add(w);
    this.log.notice(`start worker process ${w.pid}`);
    child.on('error', (err) => {
      this.log.alert(`worker process ${w.pid}: ${err.message}`);
    });
    child.on('message', (msg: unknown) => {
      this.onWorkerMessage(w, msg);
    });
    child.on('exit', (code, signal) => {
      this.onWorkerExit(w, code, signal);
    });
    // 'close' comes after the IPC channel is drained: a final report sent before exit has arrived.
    child.on('close', () => {
      this.reports.gone(w);
    });
    this.send(w, { type: 'config', generation: w.generation, slot, config, listeners: specs, ticketKeys: this.ticketKeys });
    if (config.acceptPolicy === 'shared') {
      for (const b of [this.cids.take(), this.cids.take()]) this.send(w, { type: 'cids', ...b });
      for (const spec of specs) this.sendListener(w, spec.id);
    }
  }

  private send(w: WorkerProc, msg: PrimaryMessage, handle?: ServerHandle | net.Socket): void {
    if (!w.child.connected) return;
    const cb = (err: Error | null): void => {
      if (err !== null && handle instanceof net.Socket) {
        handle.destroy();
        w.live = Math.max(0, w.live - 1);
      }
    };
    if (handle === undefined) w.child.send(msg, cb);
    else if (handle instanceof net.Socket) w.child.send(msg, handle, cb);
    else w.child.send(msg, handle as unknown as net.Server, { keepOpen: true }, cb);
  }

  private sendListener(w: WorkerProc, id: number): void {
    for (const s of this.sockets.values()) {
      if (s.id === id && w.specs.some((spec) => spec.id === id)) {
        this.send(w, { type: 'listener', id }, s.handle);
        return;
      }
    }
  }

  private onWorkerMessage(w: WorkerProc, msg: unknown): void {
    if (!isWorkerMessage(msg)) {
      this.log.alert(new ProxyError('ERR_IPC', `malformed message from worker process ${w.pid}`).message);
      return;
    }
    switch (msg.type) {
      case 'ready':
        if (w.state === 'starting') w.state = 'ready';
        this.checkReady();
        return;
      case 'needCids':
        this.send(w, { type: 'cids', ...this.cids.take() });
        return;
      case 'relisten':
        if (w.state !== 'retiring' && (this.phase === 'running' || this.phase === 'starting')) this.sendListener(w, msg.id);
        return;
      case 'closed':
        w.live = Math.max(0, w.live - msg.count);
        return;
      case 'report':
        this.reports.received(w, msg);
        return;
    }
  }

  private onWorkerExit(w: WorkerProc, code: number | null, signal: NodeJS.Signals | null): void {
    this.workers.delete(w);
    if (signal !== null) this.log.alert(`worker process ${w.pid} exited on signal ${signalNumber(signal)}`);
    else if (code === 0) this.log.notice(`worker process ${w.pid} exited with code 0`);
    else if (code === 2) this.log.alert(`worker process ${w.pid} exited with fatal code 2 and cannot be respawned`);
    else this.log.alert(`worker process ${w.pid} exited with code ${code ?? 0}`);

    const current = w.generation === this.generation && w.state !== 'retiring';
    if ((this.phase === 'running' || this.phase === 'starting') && current && code !== 2) this.scheduleRespawn(w);
    if ((this.phase === 'quitting' || this.phase === 'stopping') && this.workers.size === 0) this.finish(0);
  }

  private scheduleRespawn(w: WorkerProc): void {
    const lived = Date.now() - w.startedAt;
    const prev = this.backoff.get(w.slot);
    const delay =
      prev === undefined || lived >= WORKER_RESPAWN_BACKOFF_MAX_MS
        ? WORKER_RESPAWN_BACKOFF_MIN_MS
        : Math.min(prev * 2, WORKER_RESPAWN_BACKOFF_MAX_MS);
    this.backoff.set(w.slot, delay);
    this.log.notice(`respawning worker process in ${delay}ms`);
    const generation = this.generation;
    const timer = setTimeout(() => {
      this.respawnTimers.delete(timer);
      if ((this.phase === 'running' || this.phase === 'starting') && generation === this.generation) {
        this.metrics.workerRestarted();
        this.spawn(w.slot);
      }
    }, delay);
    this.respawnTimers.add(timer);
  }

  private currentWorkers(): WorkerProc[] {
    return [...this.workers].filter((w) => w.generation === this.generation && w.state !== 'retiring');
  }

  /** After start or a reload: once every current worker listens, the old generation retires. */
  private checkReady(): void {
    const current = this.currentWorkers();
    if (current.length < this.config.workerProcesses || current.some((w) => w.state !== 'ready')) return;
    for (const w of this.workers) {
      if (w.generation !== this.generation && w.state !== 'retiring') {
        w.state = 'retiring';
        this.send(w, { type: 'drain' });
      }
    }
    if (this.phase === 'starting') this.becomeRunning();
  }

  private becomeRunning(): void {
    try {
      writePidFile(this.config.pidFile);
      this.pidWritten = this.config.pidFile;
    } catch (err) {
      this.log.emerg((err as Error).message);
      this.stopEverything(1);
      return;
    }
    this.phase = 'running';
    this.logs.echoing = false;
    this.o.onReady?.();
  }

  // ---- least_conn ----------------------------------------------------------------------------

  private startPrimaryAccept(): void {
    for (const s of this.sockets.values()) {
      if (s.server !== null) continue;
      const server = net.createServer({ pauseOnConnect: true }, (socket) => {
        this.handOver(s, socket);
      });
      server.on('error', (err) => {
        this.log.alert(`listen() on ${s.plan.listen.addrText} failed: ${err.message}`);
      });
      s.server = server;
      server.listen(s.handle as unknown as net.Server, s.plan.listen.backlog);
    }
  }

  private handOver(s: SocketState, socket: net.Socket): void {
    socket.on('error', () => undefined);
    const limit = this.config.workerConnections;
    let best: WorkerProc | null = null;
    const candidates = this.currentWorkers().filter((w) => w.state === 'ready' && w.specs.some((spec) => spec.id === s.id));
    // rotate the starting point so equal loads spread instead of piling on the first worker
    for (let i = 0; i < candidates.length; i++) {
      const w = candidates[(this.rrStart + i) % candidates.length];
      if (w !== undefined && w.live < limit && (best === null || w.live < best.live)) best = w;
    }
    this.rrStart++;
    if (best === null) {
      // nginx: ngx_get_connection's alert when a worker has no free connection left
      this.log.alert(`${limit} worker_connections are not enough`);
      this.metrics.refusedWorkerConnections();
      socket.destroy();
      return;
    }
    best.live++;
    this.send(best, { type: 'connection', id: s.id, cid: this.cids.one() }, socket);
  }

  // ---- signals -------------------------------------------------------------------------------

  private installSignals(): void {
    for (const sig of SIGNALS) {
      const handler = (): void => {
        this.onSignal(sig);
      };
      this.signalHandlers.set(sig, handler);
      process.on(sig, handler);
    }
  }

  private onSignal(sig: HandledSignal): void {
    this.log.notice(signalNotice(sig));
    switch (sig) {
      case 'SIGHUP':
        this.reloading = this.reloading.then(() => this.reload());
        return;
      case 'SIGQUIT':
        this.quit();
        return;
      case 'SIGTERM':
      case 'SIGINT':
        this.stopEverything(0);
        return;
      case 'SIGUSR1':
        this.reopen();
        return;
      case 'SIGUSR2':
      case 'SIGWINCH':
        return;
    }
  }

  private reopen(): void {
    this.log.notice('reopening logs');
    for (const err of this.logs.reopen()) this.log.alert(String(err));
    this.prepareLogsForWorkers(this.config);
    for (const w of this.workers) this.send(w, { type: 'reopen' });
  }

  /** HUP: nginx re-reads and re-tests; on any failure the running configuration stays. */
  private async reload(): Promise<void> {
    if (this.phase !== 'running') return;
    this.log.notice('reconfiguring');
    let next: MainConfig;
    let logs: LogSystem;
    try {
      const result = await this.o.reload();
      next = result.config;
      for (const w of result.warnings) {
        const where = w.source === null ? '' : ` in ${w.source.file}:${w.source.line}`;
        this.log.log(w.level, `${w.message}${where}`);
      }
      logs = new LogSystem({ format: next.logFormat, prefix: next.prefix, bindings: { role: 'primary' } });
      logs.logger(next.errorLogs);
    } catch (err) {
      this.log.emerg(err instanceof ConfigError ? err.toString() : (err as Error).message);
      this.reloadDone(false);
      return;
    }
    if (!this.isRunning()) {
      logs.close();
      return;
    }
    if (next.acceptPolicy !== this.config.acceptPolicy) {
      this.log.warn(`"accept_policy" cannot change on reload, keeping "${this.config.acceptPolicy}"`);
      next = { ...next, acceptPolicy: this.config.acceptPolicy };
    }
    let newStatus: StatusServer | null = null;
    const wanted = next.status.listen;
    const current = this.status?.listen ?? null;
    if (wanted !== null && (current === null || statusAddrText(current) !== statusAddrText(wanted))) {
      try {
        newStatus = await StatusServer.open(wanted, next.status.access, this.statusSource, this.log);
      } catch (err) {
        this.log.emerg((err as Error).message);
        logs.close();
        this.reloadDone(false);
        return;
      }
    }
    try {
      await this.openSockets(next);
    } catch (err) {
      if (err instanceof ProxyError && err.message === 'still could not bind()') this.log.emerg(err.message);
      newStatus?.close();
      logs.close();
      this.reloadDone(false);
      return;
    }
    // commit
    if (newStatus !== null || wanted === null) this.closeStatus();
    if (newStatus !== null) this.status = newStatus;
    else this.status?.setAccess(next.status.access);
    const oldLogs = this.logs;
    const oldPid = this.pidWritten;
    this.config = next;
    this.logs = logs;
    this.log = logs.logger(next.errorLogs);
    oldLogs.close();
    this.logIgnored(next);
    this.prepareLogsForWorkers(next);
    this.generation++;
    const keep = new Set(planSockets(next).map((p) => p.key));
    for (const [key, s] of this.sockets) {
      if (keep.has(key)) continue;
      s.server?.close();
      if (s.server === null) s.handle.close();
      removeSocketFile(s.plan.listen);
      this.sockets.delete(key);
    }
    if (oldPid !== null && oldPid !== next.pidFile) {
      try {
        writePidFile(next.pidFile);
        this.pidWritten = next.pidFile;
        removePidFile(oldPid);
      } catch (err) {
        this.log.alert((err as Error).message);
      }
    }
    this.backoff.clear();
    this.reloadDone(true);
    this.spawnGeneration();
  }

  private reloadDone(ok: boolean): void {
    const now = Date.now();
    this.lastReload = { atMs: now, ok };
    this.metrics.reloaded(ok, this.generation, now);
  }

  // ---- status listener -------------------------------------------------------------------------

  private closeStatus(): void {
    this.status?.close();
    this.status = null;
  }

  /**
   * Workers worth asking for numbers: a starting worker is still loading (it could not answer before
   * the deadline) and has accepted nothing yet.
   */
  private reportingWorkers(): WorkerProc[] {
    return [...this.workers].filter((w) => w.state !== 'starting');
  }

  /** What the status listener serves, read from this primary at request time. */
  private readonly statusSource: StatusSource = {
    metricsText: () =>
      this.reports.metricsText(this.reportingWorkers(), () => this.metrics.report([...this.workers].map((w) => w.state))),
    status: async (): Promise<StatusDocument> => {
      const answers = await this.reports.collect(this.reportingWorkers(), { metrics: false, reset: false });
      const summaries = new Map([...answers].map(([w, r]) => [w.pid, r?.summary ?? null] as const));
      const own = this.metrics.sample(false);
      return buildStatus(
        {
          version: VERSION,
          pid: process.pid,
          startedAtMs: this.startedAtMs,
          generation: this.generation,
          lastReload: this.lastReload,
          reloads: this.metrics.reloadTotals,
          workerRestarts: this.metrics.restartsTotal,
          acceptPolicy: this.config.acceptPolicy,
          workerProcesses: this.config.workerProcesses,
          workerConnections: this.config.workerConnections,
          workers: [...this.workers].map((w) => ({
            pid: w.pid,
            slot: w.slot,
            generation: w.generation,
            state: w.state,
            startedAtMs: w.startedAt,
          })),
          rssBytes: own.rssBytes,
          heapUsedBytes: own.heapUsedBytes,
        },
        summaries,
        Date.now(),
      );
    },
  };

  /** A method, not a field read, so checks after an await are not narrowed away. */
  private isRunning(): boolean {
    return this.phase === 'running';
  }

  private isStarting(): boolean {
    return this.phase === 'starting';
  }

  /** QUIT: the primary closes its listening sockets; workers finish their sessions and exit. */
  private quit(): void {
    if (this.phase === 'quitting' || this.phase === 'stopping' || this.phase === 'done') return;
    this.phase = 'quitting';
    this.clearRespawns();
    this.closeSockets();
    if (this.workers.size === 0) {
      this.finish(0);
      return;
    }
    for (const w of this.workers) {
      w.state = 'retiring';
      this.send(w, { type: 'drain' });
    }
  }

  /** TERM/INT, or a failed start: TERM to every worker, resent 50 ms apart doubling, then SIGKILL. */
  private stopEverything(code: number): void {
    if (this.phase === 'stopping' || this.phase === 'done') return;
    this.phase = 'stopping';
    this.exitCode = code;
    this.clearRespawns();
    this.closeSockets();
    if (this.workers.size === 0) {
      this.finish(code);
      return;
    }
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

  private exitCode = 0;

  private clearRespawns(): void {
    for (const t of this.respawnTimers) clearTimeout(t);
    this.respawnTimers.clear();
  }

  private closeSockets(): void {
    for (const s of this.sockets.values()) {
      if (s.server !== null) s.server.close();
      else s.handle.close();
      removeSocketFile(s.plan.listen);
    }
    this.sockets.clear();
  }

  private finish(code: number): void {
    if (this.phase === 'done') return;
    const exitCode = this.phase === 'stopping' ? this.exitCode : code;
    this.phase = 'done';
    if (this.killTimer !== null) clearTimeout(this.killTimer);
    if (this.ticketTimer !== null) clearTimeout(this.ticketTimer);
    this.closeStatus();
    this.metrics.close();
    if (this.pidWritten !== null) removePidFile(this.pidWritten);
    this.log.notice('exit');
    for (const [sig, handler] of this.signalHandlers) process.off(sig, handler);
    this.resolveFinished(exitCode);
  }
}
