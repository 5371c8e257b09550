/**
 * HUP (nginx: ngx_init_cycle from ngx_master_process_cycle): re-read and re-test the configuration,
 * open what it needs that is not open yet (logs, the status listener, new listening sockets), and only
 * then commit; on any failure the running configuration stays and nothing new is left open.
 *
 * Owns: the order of those steps, what a commit swaps (configuration, logs, generation, status
 * listener, sockets no longer listed, the pid file path, the respawn backoff), and the reload record
 * (state.lastReload, the reload metrics). Does not own starting the new generation (the caller's
 * `spawnGeneration`), serializing reloads (primary.ts chains them) or binding (listen-sockets.ts).
 */
import type { LoadResult } from '../config/load.js';
import type { MainConfig } from '../config/types.js';
import { ConfigError, ProxyError } from '../errors.js';
import { LogSystem } from '../log/logger.js';
import type { PrimaryMetrics } from '../metrics/primary-metrics.js';
import { logConfigWarnings, logIgnoredDirectives } from './config-notices.js';
import type { ListenSockets } from './listen-sockets.js';
import { prepareLogsForWorkers } from './log-ownership.js';
import type { OwnPidFile } from './pid-file.js';
import { isRunning, type PrimaryState } from './primary-state.js';
import type { StatusListener } from './status-source.js';
import { statusAddrText, type StatusServer } from './status-server.js';
import type { WorkerPool } from './worker-pool.js';

export interface ReloadDeps {
  readonly state: PrimaryState;
  /** re-reads the configuration with the original -c/-p/-g */
  readonly load: () => Promise<LoadResult>;
  readonly sockets: ListenSockets;
  readonly status: StatusListener;
  readonly pidFile: OwnPidFile;
  readonly workers: WorkerPool;
  readonly metrics: PrimaryMetrics;
  /** forks the new generation (and, with least_conn, accepts on new sockets); called after a commit */
  readonly spawnGeneration: () => void;
}

/** One HUP. Does nothing unless the primary is running. */
export async function reload(d: ReloadDeps): Promise<void> {
  const s = d.state;
  if (!isRunning(s)) return;
  s.log.notice('reconfiguring');
  let next: MainConfig;
  let logs: LogSystem;
  try {
    const result = await d.load();
    next = result.config;
    logConfigWarnings(result.warnings, s.log);
    logs = new LogSystem({ format: next.logFormat, prefix: next.prefix, bindings: { role: 'primary' } });
    logs.logger(next.errorLogs);
  } catch (err) {
    s.log.emerg(err instanceof ConfigError ? err.toString() : (err as Error).message);
    reloadDone(d, false);
    return;
  }
  if (!isRunning(s)) {
    logs.close();
    return;
  }
  if (next.acceptPolicy !== s.config.acceptPolicy) {
    s.log.warn(`"accept_policy" cannot change on reload, keeping "${s.config.acceptPolicy}"`);
    next = { ...next, acceptPolicy: s.config.acceptPolicy };
  }
  let newStatus: StatusServer | null = null;
  const wanted = next.status.listen;
  const current = d.status.server?.listen ?? null;
  if (wanted !== null && (current === null || statusAddrText(current) !== statusAddrText(wanted))) {
    try {
      newStatus = await d.status.open(wanted, next.status.access, s.log);
    } catch (err) {
      s.log.emerg((err as Error).message);
      logs.close();
      reloadDone(d, false);
      return;
    }
  }
  try {
    await d.sockets.open(next, s.log);
  } catch (err) {
    if (err instanceof ProxyError && err.message === 'still could not bind()') s.log.emerg(err.message);
    newStatus?.close();
    logs.close();
    reloadDone(d, false);
    return;
  }
  commit(d, next, logs, newStatus);
}

/** Everything opened: swap it in, close what the new configuration dropped, start the new generation. */
function commit(d: ReloadDeps, next: MainConfig, logs: LogSystem, newStatus: StatusServer | null): void {
  const s = d.state;
  if (newStatus !== null || next.status.listen === null) d.status.close();
  if (newStatus !== null) d.status.server = newStatus;
  else d.status.server?.setAccess(next.status.access);
  const oldLogs = s.logs;
  s.config = next;
  s.logs = logs;
  s.log = logs.logger(next.errorLogs);
  oldLogs.close();
  logIgnoredDirectives(next, s.log);
  prepareLogsForWorkers(next, s.log);
  s.generation++;
  d.sockets.closeUnplanned(next);
  try {
    d.pidFile.move(next.pidFile);
  } catch (err) {
    s.log.alert((err as Error).message);
  }
  d.workers.resetBackoff();
  reloadDone(d, true);
  d.spawnGeneration();
}

function reloadDone(d: ReloadDeps, ok: boolean): void {
  const now = Date.now();
  d.state.lastReload = { atMs: now, ok };
  d.metrics.reloaded(ok, d.state.generation, now);
}
