/**
 * A worker's life with one configuration generation, whatever carries it (IPC in a forked worker,
 * direct calls with `master_process off`): listen on the primary's handles or take connections it
 * hands over, enforce worker_connections, log `connected`, start sessions, drain or stop, exit.
 *
 * Owns: accepting, the session set, limits and shutdown. Does not own sessions (ConnectionHandler),
 * sockets' creation (primary) or the transport (worker.ts, cli/single-process.ts).
 */
import { CLOSED_REPORT_DELAY_MS } from '../limits.js';
import * as net from 'node:net';
import type { ListenConfig, MainConfig, ServerConfig } from '../config/types.js';
import type { Logger } from '../log/types.js';
import type { LogSystem } from '../log/logger.js';
import type { ConnectionHandler, SessionHandle } from './connection-handler.js';
import type { ListenerSpec } from './ipc.js';
import { selectTarget } from './server-select.js';
import { CidSource } from './cid-source.js';
import type { SessionMetrics } from '../metrics/types.js';


export interface RuntimeHooks {
  /** every listener is listening (or, without handles, the runtime is ready for connections) */
  ready(): void;
  needCids(): void;
  /** shared policy: room again after being full; the primary resends the handle */
  relisten(id: number): void;
  /** least_conn: sessions closed since the last call */
  closed(count: number): void;
  /** the runtime is done; the process (or single-process driver) exits with this code */
  exit(code: number): void;
}

export interface RuntimeOptions {
  readonly config: MainConfig;
  readonly listeners: readonly ListenerSpec[];
  readonly handler: ConnectionHandler;
  readonly logs: LogSystem;
  readonly hooks: RuntimeHooks;
  /**
   * shared policy in a forked worker: close this worker's copy of the listening sockets while full
   * and ask for them again later. Off when the handle is the only descriptor (master_process off).
   */
  readonly pauseWhenFull: boolean;
  /** false when the primary numbers connections itself (least_conn) */
  readonly cidLowWater: number;
  /** where connections refused before a session are counted (default: not counted) */
  readonly metrics?: Pick<SessionMetrics, 'refused'>;
}

interface ListenerState {
  readonly spec: ListenerSpec;
  server: net.Server | null;
  /** the handle a server was given; kept referenced (a Pipe handle is listened on through its fd) */
  handle: unknown;
  paused: boolean;
}

type State = 'running' | 'draining' | 'stopping' | 'exited';

function clientText(socket: net.Socket, unix: boolean): string {
  if (unix) return 'unix:';
  // undefined for a TCP connection reset before we got to it (getpeername fails)
  const addr = socket.remoteAddress ?? '-';
  // a colon can only be IPv6 here (cheaper than net.isIPv6's regular expression on every accept)
  return addr.includes(':') ? `[${addr}]:${socket.remotePort ?? 0}` : `${addr}:${socket.remotePort ?? 0}`;
}

export class WorkerRuntime {
  private state: State = 'running';
  private readonly listeners = new Map<number, ListenerState>();
  private readonly sessions = new Set<SessionHandle>();
  private readonly cids: CidSource;
  private readonly root: Logger;
  private readonly serverLoggers: Logger[];
  private readonly limit: number;
  private closedUnreported = 0;
  private closedTimer: NodeJS.Timeout | null = null;
  private shutdownTimer: NodeJS.Timeout | null = null;
  private pendingListens = 0;
  private readySent = false;

  constructor(private readonly o: RuntimeOptions) {
    this.root = o.logs.logger(o.config.errorLogs);
    this.serverLoggers = (o.config.mail?.servers ?? []).map((s) => o.logs.logger(s.errorLogs));
    this.limit = o.config.workerConnections;
    this.cids = new CidSource(() => {
      o.hooks.needCids();
    }, o.cidLowWater);
    for (const spec of o.listeners) this.listeners.set(spec.id, { spec, server: null, handle: null, paused: false });
  }

  get liveSessions(): number {
    return this.sessions.size;
  }

  get rootLogger(): Logger {
    return this.root;
  }

  addCids(start: number, count: number): void {
    this.cids.add(start, count);
  }

  /** Call when no handles will come (least_conn): ready at once. */
  readyWithoutHandles(): void {
    this.sendReadyOnce();
  }

  /** shared policy: listen on a handle from the primary (first time, or again after a pause). */
  listen(id: number, handle: unknown): void {
    const l = this.listeners.get(id);
    if (l === undefined || this.state !== 'running' || l.server !== null) {
      // not ours, or not wanted any more: our copy of the descriptor is released at exit
      return;
    }
    const server = net.createServer((socket) => {
      this.accept(l.spec, socket, null);
    });
    server.on('error', (err) => {
      this.root.alert(`listen() on ${l.spec.addrText} failed: ${err.message}`);
    });
    l.server = server;
    l.handle = handle;
    l.paused = false;
    const h = handle as { fd?: number; constructor?: { name?: string } };
    this.pendingListens++;
    const done = (): void => {
      this.pendingListens--;
      if (this.pendingListens === 0 && [...this.listeners.values()].every((x) => x.server !== null)) this.sendReadyOnce();
    };
    // A Pipe handle is listened on through its descriptor; a TCP handle is adopted as is (net.Server#listen).
    if (h.constructor?.name === 'Pipe' && typeof h.fd === 'number') server.listen({ fd: h.fd, backlog: l.spec.backlog }, done);
    else server.listen(handle as net.Server, l.spec.backlog, done);
  }

  /** A connection from a server of ours, or handed over by the primary (least_conn, with its cid). */
  accept(spec: ListenerSpec, socket: net.Socket, cid: number | null): void {
    socket.on('error', () => undefined); // STYLE 2.4: every socket gets an error listener at once
    if (this.state !== 'running') {
      socket.destroy();
      if (cid !== null) this.reportClosed(1); // handed over while we were draining: give the slot back
      return;
    }
    if (this.sessions.size >= this.limit) {
      // nginx: ngx_get_connection when no free connection is left
      this.root.alert(`${this.limit} worker_connections are not enough`);
      this.o.metrics?.refused('workerConnections');
      socket.destroy();
      this.reportClosed(1); // the primary counted it as ours
      return;
    }
    const n = cid ?? this.cids.next();
    // getsockname() only when the socket is shared by several listens (reference 2.4)
    const target = spec.targets.length === 1 && spec.targets[0] !== undefined ? spec.targets[0] : selectTarget(spec, socket.localAddress, socket.localPort);
    const server = this.o.config.mail?.servers[target.serverIndex];
    const listen = server?.listens[target.listenIndex];
    const logger = this.serverLoggers[target.serverIndex];
    if (server === undefined || listen === undefined || logger === undefined) {
      this.root.alert(`no server for listener ${spec.addrText}`);
      socket.destroy();
      return;
    }
    applyKeepalive(socket, listen);
    if (logger.enabled('info')) logger.info(`client ${clientText(socket, listen.kind === 'unix')} connected to ${listen.addrText}`, { cid: n });
    this.startSession(socket, n, server, listen, logger);
    if (this.o.pauseWhenFull && this.sessions.size >= this.limit) this.pauseAccepting();
  }

  private startSession(socket: net.Socket, cid: number, server: ServerConfig, listen: ListenConfig, logger: Logger): void {
    let session: SessionHandle;
    try {
      session = this.o.handler.start(socket, { cid, server, listen, logger });
    } catch (err) {
      this.root.alert(`session start failed: ${(err as Error).message}`, { cid });
      socket.destroy();
      this.reportClosed(1);
      return;
    }
    this.sessions.add(session);
    const onClosed = (): void => {
      this.sessions.delete(session);
      this.reportClosed(1);
      this.afterClose();
    };
    session.closed.then(onClosed, onClosed);
    if (this.state === 'stopping') session.shutdown('fast');
  }

  private pauseAccepting(): void {
    for (const l of this.listeners.values()) {
      if (l.server !== null) {
        l.server.close();
        l.server = null;
        l.paused = true;
      }
    }
  }

  private afterClose(): void {
    if (this.state === 'running' && this.sessions.size < this.limit) {
      for (const l of this.listeners.values()) {
        if (l.paused) {
          l.paused = false;
          this.o.hooks.relisten(l.spec.id);
        }
      }
    }
    if ((this.state === 'draining' || this.state === 'stopping') && this.sessions.size === 0) this.finish();
  }

  private reportClosed(count: number): void {
    this.closedUnreported += count;
    this.closedTimer ??= setTimeout(() => {
      this.closedTimer = null;
      const n = this.closedUnreported;
      this.closedUnreported = 0;
      if (n > 0 && this.state !== 'exited') this.o.hooks.closed(n);
    }, CLOSED_REPORT_DELAY_MS);
  }

  private sendReadyOnce(): void {
    if (this.readySent) return;
    this.readySent = true;
    this.o.hooks.ready();
  }

  private closeListeners(): void {
    for (const l of this.listeners.values()) {
      l.server?.close();
      l.server = null;
      l.paused = false;
    }
  }

  /** QUIT, or retirement after a reload: stop accepting, let sessions end, then exit. */
  drain(): void {
    if (this.state !== 'running') return;
    this.state = 'draining';
    this.root.notice('gracefully shutting down');
    this.closeListeners();
    if (this.sessions.size === 0) {
      this.finish();
      return;
    }
    const timeout = this.o.config.workerShutdownTimeoutMs;
    if (timeout !== null) {
      this.shutdownTimer = setTimeout(() => {
        for (const s of this.sessions) s.shutdown('shutdown');
      }, timeout);
    }
  }

  /** TERM/INT: close every session now, then exit. */
  stop(): void {
    if (this.state === 'stopping' || this.state === 'exited') return;
    this.state = 'stopping';
    this.closeListeners();
    if (this.sessions.size === 0) {
      this.finish();
      return;
    }
    for (const s of this.sessions) s.shutdown('fast');
  }

  /** USR1 */
  reopenLogs(): void {
    this.root.notice('reopening logs');
    for (const err of this.o.logs.reopen()) this.root.alert(String(err));
  }

  private finish(): void {
    if (this.state === 'exited') return;
    this.state = 'exited';
    if (this.shutdownTimer !== null) clearTimeout(this.shutdownTimer);
    if (this.closedTimer !== null) clearTimeout(this.closedTimer);
    this.root.notice('exiting');
    this.o.handler.close?.();
    this.root.notice('exit');
    this.o.hooks.exit(0);
  }
}

/** `listen … so_keepalive=`: nginx sets it on the listening socket; Node can only set it per socket. */
function applyKeepalive(socket: net.Socket, listen: ListenConfig): void {
  const k = listen.soKeepalive;
  switch (k.kind) {
    case 'on':
      socket.setKeepAlive(true);
      return;
    case 'tuned':
      socket.setKeepAlive(true, (k.idleSec ?? 0) * 1000);
      return;
    case 'off':
      socket.setKeepAlive(false);
      return;
    case 'default':
      return;
  }
}
