/**
 * Where error_log lines go: append-only files (pino's SonicBoom, synchronous like nginx's write()),
 * standard error, and syslog. One destination per distinct target, shared by every logger of a
 * process, so a file has one descriptor and USR1 reopens it once.
 *
 * Owns: opening, writing, reopening and closing targets. Does not own line text or filtering.
 */
import { resolve } from 'node:path';
import { pino } from 'pino';
import type { LogLevel, LogTarget } from '../config/types.js';
import { ConfigError } from '../errors.js';
import { errnoSuffix } from '../errno.js';
import { createSyslogSender, type SyslogSender } from './syslog.js';

type Sonic = ReturnType<typeof pino.destination>;

export interface LogDestination {
  readonly key: string;
  readonly isStderr: boolean;
  /** `line` ends with a newline */
  write(line: string, level: LogLevel): void;
  /** USR1: reopen a file target at its path; throws (keeping the old descriptor) when that fails */
  reopen(): void;
  close(): void;
}

/** Key that makes two error_log lines share one destination. */
export function targetKey(target: LogTarget, prefix: string): string {
  switch (target.kind) {
    case 'file':
      return `file:${resolve(prefix, target.path)}`;
    case 'stderr':
      return 'stderr';
    case 'syslog':
      return `syslog:${JSON.stringify(target)}`;
  }
}

function openSonic(path: string): Sonic {
  try {
    return pino.destination({ dest: path, sync: true, append: true, mkdir: false });
  } catch (err) {
    // nginx: ngx_conf_open_file / ngx_reopen_files wording
    throw new ConfigError(`open() "${path}" failed${errnoSuffix(err)}`, null, 'ERR_CONFIG_FILE');
  }
}

class FileDestination implements LogDestination {
  readonly isStderr = false;
  private sonic: Sonic;
  constructor(readonly key: string, private readonly path: string) {
    this.sonic = openSonic(path);
  }
  write(line: string): void {
    this.sonic.write(line);
  }
  reopen(): void {
    const next = openSonic(this.path);
    const old = this.sonic;
    this.sonic = next;
    old.end();
  }
  close(): void {
    this.sonic.end();
  }
}

let stderrSonic: Sonic | null = null;

/** Standard error as a synchronous SonicBoom (it retries EAGAIN on a non-blocking pipe). */
export function stderrStream(): Sonic {
  stderrSonic ??= pino.destination({ dest: 2, sync: true });
  return stderrSonic;
}

class StderrDestination implements LogDestination {
  readonly key = 'stderr';
  readonly isStderr = true;
  write(line: string): void {
    stderrStream().write(line);
  }
  reopen(): void {
    // nothing to reopen
  }
  close(): void {
    // standard error stays open for the life of the process
  }
}

class SyslogDestination implements LogDestination {
  readonly isStderr = false;
  private readonly sender: SyslogSender;
  constructor(readonly key: string, target: Extract<LogTarget, { kind: 'syslog' }>) {
    this.sender = createSyslogSender(target);
  }
  write(line: string, level: LogLevel): void {
    this.sender.send(line.endsWith('\n') ? line.slice(0, -1) : line, level);
  }
  reopen(): void {
    // datagrams: nothing to reopen
  }
  close(): void {
    this.sender.close();
  }
}

/** Opens a target now; a file that cannot be opened throws ConfigError `open() "<path>" failed (…)`. */
export function openDestination(target: LogTarget, prefix: string): LogDestination {
  const key = targetKey(target, prefix);
  switch (target.kind) {
    case 'file':
      return new FileDestination(key, resolve(prefix, target.path));
    case 'stderr':
      return new StderrDestination();
    case 'syslog':
      return new SyslogDestination(key, target);
  }
}
