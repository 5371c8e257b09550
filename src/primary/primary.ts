/**
 * The primary process (nginx's master): owns every listening socket, forks `worker_processes`
 * workers and keeps them alive (respawn with backoff), writes and removes the pid file, and handles
 * HUP (reload: re-read, validate, new workers, drain old ones), QUIT (graceful), TERM/INT (fast,
 * with nginx's TERM resend schedule and SIGKILL), USR1 (reopen logs). With `accept_policy least_conn`
 * it also accepts (paused) and hands each connection to the least-loaded worker.
 *
 * Owns: the coordination: start-up order, the phase (primary-state.ts), signals, USR1, QUIT and TERM,
 * and exit (what closes, in which order). The jobs live next to it, each taking what it needs:
 * worker-pool.ts (processes, IPC, respawn, readiness, the TERM schedule), listen-sockets.ts (the bound
 * sockets), least-conn.ts (the hand-over), reload.ts (HUP), status-source.ts (the status listener and
 * what it reads), ticket-rotation.ts (the shared ticket key), pid-file.ts, log-ownership.ts and
 * config-notices.ts. Does not own sessions or any byte of traffic.
 */
import type { MainConfig } from '../config/types.js';
import type { LoadResult } from '../config/load.js';
import type { LogSystem } from '../log/logger.js';
import { ConfigError, ProxyError } from '../errors.js';
import { PrimaryMetrics } from '../metrics/primary-metrics.js';
import { CidBlocks } from './cid-blocks.js';
import { logIgnoredDirectives } from './config-notices.js';
import { LeastConnAcceptor } from './least-conn.js';
import { ListenSockets } from './listen-sockets.js';
import { prepareLogsForWorkers } from './log-ownership.js';
import { OwnPidFile } from './pid-file.js';
import { isStarting, type PrimaryState } from './primary-state.js';
import { reload, type ReloadDeps } from './reload.js';
import { signalNotice, type HandledSignal } from './signals.js';
import { primaryStatusSource, StatusListener } from './status-source.js';
import { TicketKeyRotation } from './ticket-rotation.js';
import { WorkerPool } from './worker-pool.js';

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

const SIGNALS: readonly HandledSignal[] = ['SIGHUP', 'SIGQUIT', 'SIGTERM', 'SIGINT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

export class Primary {
  private readonly state: PrimaryState;
  private readonly sockets = new ListenSockets();
  private readonly cids = new CidBlocks();
  private readonly pidFile = new OwnPidFile();
  private readonly startedAtMs = Date.now();
  private readonly metrics: PrimaryMetrics;
  private readonly tickets: TicketKeyRotation;
  private readonly workers: WorkerPool;
  private readonly leastConn: LeastConnAcceptor;
  private readonly status: StatusListener;
  private readonly reloadDeps: ReloadDeps;
  private reloading: Promise<void> = Promise.resolve();
  private exitCode = 0;
  private readonly finished: Promise<number>;
  private resolveFinished: (code: number) => void = () => undefined;
  private readonly signalHandlers = new Map<HandledSignal, () => void>();

  constructor(private readonly o: PrimaryOptions) {
    const state: PrimaryState = {
      config: o.config,
      logs: o.logs,
      log: o.logs.logger(o.config.errorLogs),
      generation: 1,
      phase: 'starting',
      lastReload: null,
    };
    this.state = state;
    this.finished = new Promise((resolve) => {
      this.resolveFinished = resolve;
    });
    const metrics = new PrimaryMetrics(process.pid, this.startedAtMs);
    this.metrics = metrics;
    const { sockets, cids } = this;
    this.tickets = new TicketKeyRotation(state, (keys) => {
      this.workers.broadcast({ type: 'ticketKeys', keys });
    });
    const workers = new WorkerPool({
      state,
      workerModule: o.workerModule,
      workerStdio: o.workerStdio,
      sockets,
      cids,
      metrics,
      ticketKeys: () => this.tickets.keys,
      onAllReady: () => {
        if (isStarting(this.state)) this.becomeRunning();
      },
      onWorkerReady: () => {
        this.leastConn.workerReady();
      },
      onExit: () => {
        const phase = this.state.phase;
        if ((phase === 'quitting' || phase === 'stopping') && this.workers.size === 0) this.finish(0);
      },
    });
    this.workers = workers;
    this.leastConn = new LeastConnAcceptor({ state, sockets, workers, cids, metrics });
    this.status = new StatusListener(primaryStatusSource({ state, workers, metrics, startedAtMs: this.startedAtMs }));
    this.reloadDeps = {
      state,
      load: o.reload,
      sockets,
      status: this.status,
      pidFile: this.pidFile,
      workers,
      metrics,
      spawnGeneration: () => {
        this.spawnGeneration();
      },
    };
  }

  /** The bound status port (0 when the listener is off); for tests that configure port 0. */
  get statusPort(): number {
    return this.status.port;
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
    const s = this.state;
    process.title = `postern: master process ${process.argv.slice(1).join(' ')}`;
    logIgnoredDirectives(s.config, s.log);
    prepareLogsForWorkers(s.config, s.log);
    await this.sockets.open(s.config, s.log);
    if (s.phase !== 'starting') return;
    const listen = s.config.status.listen;
    if (listen !== null) {
      try {
        this.status.server = await this.status.open(listen, s.config.status.access, s.log);
      } catch (err) {
        s.log.emerg((err as Error).message);
        this.stopEverything(1);
        return;
      }
      if (!isStarting(s)) {
        this.status.close();
        return;
      }
    }
    this.spawnGeneration();
    this.tickets.schedule();
  }

  private failStart(err: unknown): void {
    if (!(err instanceof ProxyError) || err.code !== 'ERR_LISTEN' || err.message === 'still could not bind()') {
      this.state.log.emerg(err instanceof ConfigError ? err.toString() : (err as Error).message);
    }
    this.stopEverything(1);
  }

  /** At start and after a reload: a full set of workers for the current generation. */
  private spawnGeneration(): void {
    const s = this.state;
    if (s.config.acceptPolicy === 'least_conn') this.leastConn.start();
    for (let slot = 0; slot < s.config.workerProcesses; slot++) this.workers.spawn(slot);
    this.workers.checkReady();
  }

  private becomeRunning(): void {
    const s = this.state;
    try {
      this.pidFile.write(s.config.pidFile);
    } catch (err) {
      s.log.emerg((err as Error).message);
      this.stopEverything(1);
      return;
    }
    s.phase = 'running';
    s.logs.echoing = false;
    this.o.onReady?.();
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
    this.state.log.notice(signalNotice(sig));
    switch (sig) {
      case 'SIGHUP':
        this.reloading = this.reloading.then(() => reload(this.reloadDeps));
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
    const s = this.state;
    s.log.notice('reopening logs');
    for (const err of s.logs.reopen()) s.log.alert(String(err));
    prepareLogsForWorkers(s.config, s.log);
    this.workers.broadcast({ type: 'reopen' });
  }

  // ---- stop ----------------------------------------------------------------------------------

  /** QUIT: the primary closes its listening sockets; workers finish their sessions and exit. */
  private quit(): void {
    const s = this.state;
    if (s.phase === 'quitting' || s.phase === 'stopping' || s.phase === 'done') return;
    s.phase = 'quitting';
    this.workers.clearRespawns();
    this.sockets.closeAll();
    this.leastConn.close();
    if (this.workers.size === 0) {
      this.finish(0);
      return;
    }
    this.workers.drainAll();
  }

  /** TERM/INT, or a failed start: TERM to every worker, resent 50 ms apart doubling, then SIGKILL. */
  private stopEverything(code: number): void {
    const s = this.state;
    if (s.phase === 'stopping' || s.phase === 'done') return;
    s.phase = 'stopping';
    this.exitCode = code;
    this.workers.clearRespawns();
    this.sockets.closeAll();
    this.leastConn.close();
    if (this.workers.size === 0) {
      this.finish(code);
      return;
    }
    this.workers.terminateAll();
  }

  private finish(code: number): void {
    const s = this.state;
    if (s.phase === 'done') return;
    const exitCode = s.phase === 'stopping' ? this.exitCode : code;
    s.phase = 'done';
    this.workers.cancelTerminate();
    this.tickets.stop();
    this.status.close();
    this.metrics.close();
    this.pidFile.remove();
    s.log.notice('exit');
    for (const [sig, handler] of this.signalHandlers) process.off(sig, handler);
    this.resolveFinished(exitCode);
  }
}
