/**
 * nginx's `user`: workers run unprivileged, so every error_log file they write must belong to that user.
 * nginx's master creates and chowns the files at start and on USR1 (ngx_reopen_files) before the
 * workers reopen them; this does the same for every file target of the configuration.
 *
 * Owns: creating and chowning log files, and when the primary does it. Does not own opening them for
 * writing (log/).
 */
import { chownSync, closeSync, openSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import type { MainConfig } from '../config/types.js';
import type { Logger } from '../log/types.js';

export interface Ids {
  readonly uid: number;
  readonly gid: number;
}

/** The numeric ids of `user`/`group` (checked to exist by the config loader), or null without `user`. */
export function workerIds(config: MainConfig): Ids | null {
  if (config.user === null) return null;
  try {
    const uid = Number(execFileSync('id', ['-u', config.user.user], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('getent', ['group', config.user.group], { encoding: 'utf8' }).split(':')[2]);
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : null;
  } catch {
    return null;
  }
}

/** Every error_log file of the configuration (main, mail and server levels), without duplicates. */
export function logFiles(config: MainConfig): string[] {
  const out = new Set<string>();
  const add = (logs: MainConfig['errorLogs']): void => {
    for (const l of logs) if (l.target.kind === 'file') out.add(l.target.path);
  };
  add(config.errorLogs);
  for (const s of config.mail?.servers ?? []) add(s.errorLogs);
  return [...out];
}

/** Create (append mode, 0644) and chown each log file to the worker user; returns the failures. */
export function chownLogFiles(config: MainConfig, ids: Ids): Error[] {
  const errors: Error[] = [];
  for (const path of logFiles(config)) {
    try {
      closeSync(openSync(path, 'a', 0o644));
      chownSync(path, ids.uid, -1);
    } catch (err) {
      errors.push(err as Error);
    }
  }
  return errors;
}

/**
 * Start, USR1 and reload, as root with `user`: the unprivileged workers must be able to (re)open every
 * log file (nginx chowns them). Failures are logged at alert and do not stop the primary.
 */
export function prepareLogsForWorkers(config: MainConfig, log: Logger): void {
  if (process.getuid?.() !== 0) return;
  const ids = workerIds(config);
  if (ids === null) return;
  for (const err of chownLogFiles(config, ids)) log.alert(`chown() of a log file failed: ${err.message}`);
}
