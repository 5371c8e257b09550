/**
 * The start-up error log (`-e`, nginx's ngx_log_init): where lines go before the configuration's
 * error_log is open, notably config errors and `-s` failures.
 *
 * Owns: opening the `-e` target with nginx's fallback to stderr. Does not own the config's logs.
 */
import type { ErrorLogConfig } from '../config/types.js';
import type { Logger } from './types.js';
import { LogSystem, PROGRAM_NAME } from './logger.js';
import { stderrStream } from './destinations.js';

export interface StartupLog {
  readonly system: LogSystem;
  readonly logger: Logger;
}

/**
 * `file` is `stderr` or a path (relative to `prefix`). Lines at notice and above are written; lines at
 * warn and above are also echoed to stderr as `postern: [level] …` while `system.echoing` is true.
 */
export function openStartupLog(file: string, prefix: string): StartupLog {
  const system = new LogSystem({ format: 'nginx', prefix });
  system.echoing = true;
  const target: ErrorLogConfig =
    file === 'stderr'
      ? { target: { kind: 'stderr' }, level: 'notice', source: null }
      : { target: { kind: 'file', path: file }, level: 'notice', source: null };
  try {
    return { system, logger: system.logger([target]) };
  } catch (err) {
    // nginx: ngx_log_init carries on with stderr when the compiled-in log cannot be opened
    stderrStream().write(`${PROGRAM_NAME}: [alert] could not open error log file: ${String(err)}\n`);
    return { system, logger: system.logger([{ target: { kind: 'stderr' }, level: 'notice', source: null }]) };
  }
}
