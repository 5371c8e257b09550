/**
 * nginx's error_log level order and the "this level and more severe" rule.
 *
 * Owns: level ranks and the admit test. Does not own level names (config/types.ts LOG_LEVELS).
 */
import type { LogLevel } from '../config/types.js';

/** nginx's numbering (NGX_LOG_EMERG 1 … NGX_LOG_DEBUG 8): a smaller number is more severe. */
export const LEVEL_RANK: Readonly<Record<LogLevel, number>> = {
  emerg: 1,
  alert: 2,
  crit: 3,
  error: 4,
  warn: 5,
  notice: 6,
  info: 7,
  debug: 8,
};

/** True when a target configured at `targetLevel` writes a line of `lineLevel` (nginx: ngx_log_error_core). */
export function admits(targetLevel: LogLevel, lineLevel: LogLevel): boolean {
  return LEVEL_RANK[lineLevel] <= LEVEL_RANK[targetLevel];
}

/** Syslog severity of a level (RFC 3164: emerg 0 … debug 7); nginx: ngx_syslog_writer uses level - 1. */
export function syslogSeverity(level: LogLevel): number {
  return LEVEL_RANK[level] - 1;
}
