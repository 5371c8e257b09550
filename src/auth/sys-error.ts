/**
 * Socket errors of the auth connection in nginx's words and levels (reference 3.3, 7.2).
 *
 * Owns: turning a Node socket error into `connect() to <addr> failed`, `send() failed` or
 * `recv() failed` with the positive errno, glibc's strerror text (which nginx prints; libuv's own
 * messages differ) and nginx's level for it. Does not own logging.
 *
 * The errno/strerror table itself is src/errno.ts, shared by every module.
 */
import { ETIMEDOUT_INFO, systemErrorOfCode } from '../errno.js';
import type { AuthHttpResult } from './types.js';

// nginx: ngx_event_connect_peer logs these connect() errors at ERR, every other errno at CRIT.
const CONNECT_ERR = new Set([
  'ECONNREFUSED',
  'EAGAIN',
  'ECONNRESET',
  'ENETDOWN',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EHOSTUNREACH',
]);
// nginx: ngx_connection_error logs these send()/recv() errors at ERR, every other errno at ALERT
// (our result levels stop at crit).
const IO_ERR = new Set([
  'ECONNRESET',
  'EPIPE',
  'ENOTCONN',
  'ETIMEDOUT',
  'ECONNREFUSED',
  'ENETDOWN',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EHOSTUNREACH',
]);

/** nginx's ETIMEDOUT suffix on `auth http server <addr> timed out`. */
export const ETIMEDOUT_ERR = ETIMEDOUT_INFO;

interface NodeSysError {
  readonly code?: unknown;
  readonly syscall?: unknown;
}

/** The error result for a socket error on the auth connection to `addrText`. */
export function socketErrorResult(err: unknown, addrText: string): AuthHttpResult {
  const e = (typeof err === 'object' && err !== null ? err : {}) as NodeSysError;
  const code = typeof e.code === 'string' ? e.code : '';
  const sys = systemErrorOfCode(code) ?? undefined;
  // nginx connects without blocking: on Linux a refused TCP connect returns EINPROGRESS and the refusal
  // surfaces at the next read, so nginx logs `recv() failed (111: Connection refused)`. A UNIX socket
  // refuses at once (`connect() to unix:... failed`).
  if (e.syscall === 'connect' && code === 'ECONNREFUSED' && !addrText.startsWith('unix:')) {
    return { type: 'error', message: 'recv() failed', level: 'error', err: sys ?? ETIMEDOUT_INFO, kind: 'connect' };
  }
  if (e.syscall === 'connect') {
    const level = CONNECT_ERR.has(code) ? 'error' : 'crit';
    const message = `connect() to ${addrText} failed`;
    return sys === undefined
      ? { type: 'error', message, level, kind: 'connect' }
      : { type: 'error', message, level, err: sys, kind: 'connect' };
  }
  const message = e.syscall === 'write' || e.syscall === 'writev' ? 'send() failed' : 'recv() failed';
  const level = IO_ERR.has(code) ? 'error' : 'crit';
  return sys === undefined
    ? { type: 'error', message, level, kind: 'io' }
    : { type: 'error', message, level, err: sys, kind: 'io' };
}
