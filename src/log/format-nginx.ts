/**
 * nginx's error_log line (reference 7.1):
 * `YYYY/MM/DD HH:MM:SS [level] <pid>#<tid>: *<cid> <message>[ (<errno>: <text>)][ while <action>]
 *  [, client: <ip>[ using starttls], server: <addr>[, login: "<login>"][, upstream: <u>]]`
 *
 * Owns: the text of one line (without the newline) and the cached local timestamp. Does not own where
 * lines go (destinations.ts) or level filtering (logger.ts).
 */
import type { LogLevel } from '../config/types.js';
import type { LogExtra } from './types.js';

let cachedSecond = -1;
let cachedTime = '';

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Local time as nginx prints it (ngx_cached_err_log_time), rebuilt at most once a second. */
export function nginxTime(nowMs: number = Date.now()): string {
  const second = Math.floor(nowMs / 1000);
  if (second !== cachedSecond) {
    const d = new Date(nowMs);
    cachedTime =
      `${d.getFullYear()}/${pad2(d.getMonth() + 1)}/${pad2(d.getDate())} ` +
      `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
    cachedSecond = second;
  }
  return cachedTime;
}

/**
 * Everything after `<pid>#<tid>: `: the part nginx also echoes to stderr as `nginx: [level] <tail>`.
 * The mail context is added except at debug, as ngx_log_error_core skips the handler there.
 */
export function nginxTail(level: LogLevel, message: string, extra?: LogExtra): string {
  let out = '';
  const ctx = extra?.ctx;
  const cid = ctx?.cid ?? extra?.cid;
  if (cid !== undefined) out = `*${cid} `;
  out += message;
  const err = extra?.err;
  if (err !== undefined) out += ` (${err.errno}: ${err.text})`;
  if (level === 'debug') return out;
  if (extra?.action !== undefined) out += ` while ${extra.action}`;
  if (ctx !== undefined) {
    // nginx: ngx_mail_log_error
    out += `, client: ${ctx.client}`;
    if (ctx.usingStarttls) out += ' using starttls';
    out += `, server: ${ctx.server}`;
    // nginx prints the upstream only after a login (an empty login, e.g. smtp_auth none, ends the line)
    if (ctx.login !== null && ctx.login !== '') {
      out += `, login: "${ctx.login}"`;
      if (ctx.upstream !== null) out += `, upstream: ${ctx.upstream}`;
    }
  }
  return out;
}

/**
 * One full line without the trailing newline. `tid` is what Debian's nginx prints: its threads build
 * logs gettid(), which is the pid in a single-threaded process (`4242#4242:`).
 */
export function formatNginxLine(level: LogLevel, pid: number, message: string, extra?: LogExtra, nowMs?: number): string {
  return `${nginxTime(nowMs)} [${level}] ${pid}#${pid}: ${nginxTail(level, message, extra)}`;
}
