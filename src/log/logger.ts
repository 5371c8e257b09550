/**
 * The Logger contract (types.ts) on pino's destinations: nginx text lines by default, pino JSON lines
 * with `error_log_format json`. A process has one LogSystem; it hands out a logger per error_log set
 * (main's for process lines, each server's for its sessions) and shares destinations among them.
 *
 * Owns: level filtering (before any formatting), fan-out to targets, the start-up echo of serious
 * lines to stderr (`postern: [emerg] …`, as nginx does before it detaches), USR1 reopen.
 * Does not own line text (format-*.ts) or targets (destinations.ts).
 */
import type { ErrorLogConfig, LogFormat, LogLevel } from '../config/types.js';
import type { LogExtra, Logger } from './types.js';
import { LEVEL_RANK } from './levels.js';
import { formatNginxLine, nginxTail } from './format-nginx.js';
import { JsonRenderer } from './format-json.js';
import { openDestination, stderrStream, targetKey, type LogDestination } from './destinations.js';

/** The program name in stderr messages, where nginx prints `nginx: `. */
export const PROGRAM_NAME = 'postern';

const WARN_RANK = LEVEL_RANK.warn;

export interface LogSystemOptions {
  readonly format: LogFormat;
  /** relative file targets resolve against it (with trailing slash) */
  readonly prefix: string;
  /** JSON only: fields on every line, e.g. `{ role: 'worker', wid: 2 }` */
  readonly bindings?: Readonly<Record<string, string | number>>;
}

interface Target {
  readonly dest: LogDestination;
  readonly rank: number;
}

class TargetLogger implements Logger {
  private readonly maxRank: number;
  private readonly hasStderr: boolean;
  constructor(private readonly system: LogSystem, private readonly targets: readonly Target[]) {
    this.maxRank = targets.reduce((m, t) => Math.max(m, t.rank), 0);
    this.hasStderr = targets.some((t) => t.dest.isStderr);
  }
  enabled(level: LogLevel): boolean {
    return LEVEL_RANK[level] <= this.maxRank;
  }
  log(level: LogLevel, message: string, extra?: LogExtra): void {
    const rank = LEVEL_RANK[level];
    const echo = this.system.echoing && rank <= WARN_RANK && !this.hasStderr;
    if (rank > this.maxRank && !echo) return;
    let line: string | undefined;
    for (const t of this.targets) {
      if (rank <= t.rank) {
        line ??= this.system.render(level, message, extra);
        t.dest.write(line, level);
      }
    }
    // nginx: ngx_log_error_core writes `nginx: [level] …` to stderr too while ngx_use_stderr is set
    if (echo) {
      const text = `${PROGRAM_NAME}: [${level}] ${nginxTail(level, message, extra)}\n`;
      if (this.system.echoSink !== null) this.system.echoSink(text);
      else stderrStream().write(text);
    }
  }
  debug(message: string, extra?: LogExtra): void {
    this.log('debug', message, extra);
  }
  info(message: string, extra?: LogExtra): void {
    this.log('info', message, extra);
  }
  notice(message: string, extra?: LogExtra): void {
    this.log('notice', message, extra);
  }
  warn(message: string, extra?: LogExtra): void {
    this.log('warn', message, extra);
  }
  error(message: string, extra?: LogExtra): void {
    this.log('error', message, extra);
  }
  crit(message: string, extra?: LogExtra): void {
    this.log('crit', message, extra);
  }
  alert(message: string, extra?: LogExtra): void {
    this.log('alert', message, extra);
  }
  emerg(message: string, extra?: LogExtra): void {
    this.log('emerg', message, extra);
  }
}

export class LogSystem {
  /** While true, lines at warn and above also go to stderr as `postern: [level] …` (start-up only). */
  echoing = false;
  /** Where echoed lines go instead of stderr (a daemonizing primary sends them to its parent). */
  echoSink: ((text: string) => void) | null = null;
  private readonly destinations = new Map<string, LogDestination>();
  private readonly loggers = new Map<readonly ErrorLogConfig[], Logger>();
  private readonly json: JsonRenderer | null;

  constructor(private readonly options: LogSystemOptions) {
    this.json = options.format === 'json' ? new JsonRenderer(options.bindings) : null;
  }

  /**
   * The logger for one error_log set (several lines are all used). Opens targets not open yet;
   * throws ConfigError `open() "<path>" failed (<errno>: <text>)` when a file cannot be opened.
   */
  logger(errorLogs: readonly ErrorLogConfig[]): Logger {
    const cached = this.loggers.get(errorLogs);
    if (cached !== undefined) return cached;
    const targets: Target[] = [];
    for (const log of errorLogs) {
      const key = targetKey(log.target, this.options.prefix);
      let dest = this.destinations.get(key);
      if (dest === undefined) {
        dest = openDestination(log.target, this.options.prefix);
        this.destinations.set(key, dest);
      }
      const existing = targets.findIndex((t) => t.dest === dest);
      const rank = LEVEL_RANK[log.level];
      // Two error_log lines to one target: the more verbose level wins (one line written, not two).
      if (existing === -1) targets.push({ dest, rank });
      else if ((targets[existing]?.rank ?? 0) < rank) targets[existing] = { dest, rank };
    }
    const logger = new TargetLogger(this, targets);
    this.loggers.set(errorLogs, logger);
    return logger;
  }

  /** @internal one line, newline included, in the configured format */
  render(level: LogLevel, message: string, extra?: LogExtra): string {
    if (this.json !== null) return this.json.render(level, message, extra);
    return `${formatNginxLine(level, process.pid, message, extra)}\n`;
  }

  /**
   * USR1: reopen every file target. A file that cannot be reopened keeps its old descriptor; the
   * failures are returned so the caller logs them (nginx logs them at alert and carries on).
   */
  reopen(): Error[] {
    const failures: Error[] = [];
    for (const dest of this.destinations.values()) {
      try {
        dest.reopen();
      } catch (err) {
        failures.push(err as Error);
      }
    }
    return failures;
  }

  close(): void {
    for (const dest of this.destinations.values()) dest.close();
    this.destinations.clear();
    this.loggers.clear();
  }
}

/** A logger that drops everything (tests, and code paths that must not log). */
export const NULL_LOGGER: Logger = {
  enabled: () => false,
  log: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  notice: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  crit: () => undefined,
  alert: () => undefined,
  emerg: () => undefined,
};
