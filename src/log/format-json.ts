/**
 * The JSON line format (`error_log_format json`, ours): pino's own line, with nginx's level names and
 * the mail context as fields. pino renders into a one-line capture so the same text can go to every
 * target (file, stderr, syslog) without rendering twice.
 *
 * Owns: the JSON field names. Does not own targets or filtering.
 */
import { pino, type LogFn } from 'pino';
import type { LogLevel } from '../config/types.js';
import type { LogExtra } from './types.js';
import { REDACTED, redactFields } from './redact.js';

const PINO_LEVELS: Readonly<Record<LogLevel, number>> = {
  debug: 10,
  info: 20,
  notice: 30,
  warn: 40,
  error: 50,
  crit: 60,
  alert: 70,
  emerg: 80,
};

export class JsonRenderer {
  private last = '';
  private readonly methods: Readonly<Record<LogLevel, LogFn>>;

  /** `bindings` go on every line (the root logger's `{ role, wid }`); `pid` is added by pino. */
  constructor(bindings: Readonly<Record<string, string | number>> = {}) {
    const capture = {
      write: (line: string): void => {
        this.last = line;
      },
    };
    const logger = pino(
      {
        customLevels: PINO_LEVELS,
        useOnlyCustomLevels: true,
        level: 'debug',
        base: { pid: process.pid, ...bindings },
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: (label: string) => ({ level: label }) },
        // Second line of defence: field names are redacted before pino sees them (redact.ts).
        redact: { paths: ['pass', 'password', 'fields.pass', 'fields.password'], censor: REDACTED },
      },
      capture,
    );
    this.methods = logger;
  }

  /** One JSON line, newline included. */
  render(level: LogLevel, message: string, extra?: LogExtra): string {
    const obj: Record<string, unknown> = {};
    const ctx = extra?.ctx;
    const cid = ctx?.cid ?? extra?.cid;
    if (cid !== undefined) obj['cid'] = cid;
    if (ctx !== undefined) {
      obj['proto'] = ctx.protocol;
      obj['client'] = ctx.client;
      if (ctx.usingStarttls) obj['starttls'] = true;
      obj['server'] = ctx.server;
      if (ctx.login !== null && ctx.login !== '') obj['login'] = ctx.login;
      if (ctx.upstream !== null) obj['upstream'] = ctx.upstream;
    }
    if (extra?.action !== undefined) obj['action'] = extra.action;
    if (extra?.err !== undefined) {
      obj['errno'] = extra.err.errno;
      obj['errText'] = extra.err.text;
    }
    if (extra?.fields !== undefined) Object.assign(obj, redactFields(extra.fields));
    this.last = '';
    this.methods[level].call(this.methods, obj, message);
    return this.last;
  }
}
