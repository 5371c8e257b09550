/**
 * The worker process (forked by the primary with child_process.fork): receives its configuration,
 * listening handles or accepted connections over IPC, and runs them in a WorkerRuntime. Signals as
 * nginx's workers: QUIT graceful, TERM/INT fast, USR1 reopen; HUP, USR2 and WINCH are ignored.
 *
 * Owns: the IPC/signal adapter of a worker, including its metrics reports (answering the primary's
 * `report` requests, and one final report before exiting so no count is lost across reloads).
 * Does not own accepting or sessions (runtime.ts) or what is counted (metrics/worker-metrics.ts).
 */
import type { MainConfig } from '../config/types.js';
import { CID_LOW_WATER, CLOSED_REPORT_DELAY_MS, FINAL_REPORT_WAIT_MS } from '../limits.js';
import type { Socket } from 'node:net';
import type { ConnectionHandler } from './connection-handler.js';
import { LogSystem } from '../log/logger.js';
import { ProxyError } from '../errors.js';
import { isPrimaryMessage, type ListenerSpec, type PrimaryMessage, type WorkerMessage } from './ipc.js';
import { WorkerRuntime } from './runtime.js';
import { createConnectionHandler } from './handler-factory.js';
import { WorkerMetrics } from '../metrics/worker-metrics.js';



function send(msg: WorkerMessage): void {
  if (process.connected && process.send !== undefined) process.send(msg);
}

let runtime: WorkerRuntime | null = null;
let logs: LogSystem | null = null;
let metrics: WorkerMetrics | null = null;
let specs = new Map<number, ListenerSpec>();
const early: { msg: PrimaryMessage; handle: unknown }[] = [];
let starting = false;

function exit(code: number): never {
  metrics?.close();
  logs?.close();
  process.exit(code);
}

/** A normal end: hand the primary what this worker counted, then exit (bounded by FINAL_REPORT_WAIT_MS). */
function exitAfterFinalReport(code: number): void {
  const m = metrics;
  if (m === null || !process.connected || process.send === undefined) exit(code);
  const timer = setTimeout(() => exit(code), FINAL_REPORT_WAIT_MS);
  m.report(false).then(
    ({ summary, metrics: list }) => {
      const msg: WorkerMessage = { type: 'report', id: 0, final: true, summary, metrics: list };
      if (!process.connected || process.send === undefined) exit(code);
      process.send(msg, () => {
        clearTimeout(timer);
        exit(code);
      });
    },
    () => {
      clearTimeout(timer);
      exit(code);
    },
  );
}

/** The primary asked for this worker's numbers (`/metrics`, `/status`). */
function answerReport(msg: Extract<PrimaryMessage, { type: 'report' }>): void {
  const m = metrics;
  if (m === null) return;
  if (!msg.metrics) {
    send({ type: 'report', id: msg.id, final: false, summary: m.summary(), metrics: [] });
    return;
  }
  m.report(msg.reset).then(
    ({ summary, metrics: list }) => {
      send({ type: 'report', id: msg.id, final: false, summary, metrics: list });
    },
    (err: unknown) => {
      runtime?.rootLogger.alert(`metrics report failed: ${String(err)}`);
    },
  );
}

let currentHandler: ConnectionHandler | null = null;

function dropPrivileges(config: MainConfig): void {
  if (config.user === null || process.getuid?.() !== 0) return;
  const { user, group } = config.user;
  try {
    // initgroups exists on POSIX Node but is missing from @types/node 20's Process
    const posix = process as NodeJS.Process & { initgroups?: (user: string, group: string) => void };
    posix.setgid?.(group);
    posix.initgroups?.(user, group);
    posix.setuid?.(user);
  } catch (err) {
    // nginx: setuid() failure is fatal for the worker (emerg, exit 2)
    process.stderr.write(`postern: [emerg] setuid(${user}) failed: ${String(err)}\n`);
    exit(2);
  }
}

async function start(msg: Extract<PrimaryMessage, { type: 'config' }>): Promise<void> {
  const { config } = msg;
  process.title = 'postern: worker process';
  logs = new LogSystem({ format: config.logFormat, prefix: config.prefix, bindings: { role: 'worker', wid: msg.slot } });
  metrics = new WorkerMetrics({ slot: msg.slot, pid: process.pid });
  const handler = await createConnectionHandler(config, metrics, msg.ticketKeys);
  currentHandler = handler;
  // nginx's `user`: log files are open, listening sockets are bound by the primary; from here on the
  // worker needs no privileges (ngx_worker_process_init: setgid, initgroups, setuid).
  dropPrivileges(config);
  specs = new Map(msg.listeners.map((s) => [s.id, s]));
  const shared = config.acceptPolicy === 'shared';
  runtime = new WorkerRuntime({
    config,
    listeners: shared ? msg.listeners : [],
    handler,
    logs,
    pauseWhenFull: true,
    cidLowWater: CID_LOW_WATER,
    metrics,
    hooks: {
      ready: () => {
        send({ type: 'ready' });
      },
      needCids: () => {
        send({ type: 'needCids' });
      },
      relisten: (id) => {
        send({ type: 'relisten', id });
      },
      closed: (count) => {
        if (!shared) send({ type: 'closed', count });
      },
      exit: exitAfterFinalReport,
    },
  });
  if (!shared || msg.listeners.length === 0) runtime.readyWithoutHandles();
  for (const e of early.splice(0)) dispatch(e.msg, e.handle);
}

/** least_conn: connections received and not yet confirmed to the primary (batched like `closed`). */
let receivedUnreported = 0;
let receivedTimer: NodeJS.Timeout | null = null;

function confirmReceived(): void {
  receivedUnreported++;
  receivedTimer ??= setTimeout(() => {
    receivedTimer = null;
    const count = receivedUnreported;
    receivedUnreported = 0;
    send({ type: 'received', count });
  }, CLOSED_REPORT_DELAY_MS);
}

function dispatch(msg: PrimaryMessage, handle: unknown): void {
  if (msg.type === 'config') {
    if (starting) return;
    starting = true;
    start(msg).catch((err: unknown) => {
      process.stderr.write(`postern: [emerg] worker start failed: ${String(err)}\n`);
      exit(2);
    });
    return;
  }
  if (runtime === null) {
    early.push({ msg, handle });
    return;
  }
  switch (msg.type) {
    case 'listener':
      runtime.listen(msg.id, handle);
      return;
    case 'connection': {
      confirmReceived();
      const spec = specs.get(msg.id);
      const socket = handle as Socket | undefined;
      if (spec === undefined || socket === undefined) {
        socket?.destroy();
        return;
      }
      runtime.accept(spec, socket, msg.cid);
      return;
    }
    case 'cids':
      runtime.addCids(msg.start, msg.count);
      return;
    case 'drain':
      runtime.drain();
      return;
    case 'stop':
      runtime.stop();
      return;
    case 'reopen':
      runtime.reopenLogs();
      return;
    case 'report':
      answerReport(msg);
      return;
    case 'ticketKeys':
      currentHandler?.setTicketKeys?.(msg.keys);
      return;
  }
}

process.on('message', (msg: unknown, handle: unknown) => {
  if (!isPrimaryMessage(msg)) {
    const err = new ProxyError('ERR_IPC', 'malformed message from the primary');
    runtime?.rootLogger.alert(err.message);
    return;
  }
  dispatch(msg, handle);
});

function onSignal(action: (r: WorkerRuntime) => void): () => void {
  return () => {
    if (runtime === null) exit(0);
    else action(runtime);
  };
}

process.on('SIGQUIT', onSignal((r) => { r.drain(); }));
process.on('SIGTERM', onSignal((r) => { r.stop(); }));
process.on('SIGINT', onSignal((r) => { r.stop(); }));
process.on('SIGUSR1', () => runtime?.reopenLogs());
for (const sig of ['SIGHUP', 'SIGUSR2', 'SIGWINCH'] as const) process.on(sig, () => undefined);
// The primary is gone: finish what is open rather than leave clients hanging or linger forever.
process.on('disconnect', onSignal((r) => { r.drain(); }));
