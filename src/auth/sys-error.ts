/**
 * Socket errors of the auth connection in nginx's words and levels (reference 3.3, 7.2).
 *
 * Owns: turning a Node socket error into `connect() to <addr> failed`, `send() failed` or
 * `recv() failed` with the positive errno, glibc's strerror text (which nginx prints; libuv's own
 * messages differ) and nginx's level for it. Does not own logging.
 *
 * (log/errno.ts has a wider table; auth/ may only import types from log/, so the few errors an
 * outgoing connection meets are listed here.)
 */
import { constants } from 'node:os';
import type { AuthHttpResult } from './types.js';

const GLIBC_TEXT: Readonly<Record<string, string>> = {
  ENOENT: 'No such file or directory',
  EAGAIN: 'Resource temporarily unavailable',
  EACCES: 'Permission denied',
  ENOTDIR: 'Not a directory',
  EINVAL: 'Invalid argument',
  ENFILE: 'Too many open files in system',
  EMFILE: 'Too many open files',
  EPIPE: 'Broken pipe',
  ENAMETOOLONG: 'File name too long',
  ENOTSOCK: 'Socket operation on non-socket',
  EPROTOTYPE: 'Protocol wrong type for socket',
  EAFNOSUPPORT: 'Address family not supported by protocol',
  EADDRINUSE: 'Address already in use',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  ENETDOWN: 'Network is down',
  ENETUNREACH: 'Network is unreachable',
  ECONNABORTED: 'Software caused connection abort',
  ECONNRESET: 'Connection reset by peer',
  ENOTCONN: 'Transport endpoint is not connected',
  ETIMEDOUT: 'Connection timed out',
  ECONNREFUSED: 'Connection refused',
  EHOSTDOWN: 'Host is down',
  EHOSTUNREACH: 'No route to host',
};

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

const ERRNO = constants.errno as Readonly<Record<string, number | undefined>>;

/** nginx's ETIMEDOUT suffix on `auth http server <addr> timed out`. */
export const ETIMEDOUT_ERR = { errno: ERRNO.ETIMEDOUT ?? 110, text: 'Connection timed out' } as const;

interface NodeSysError {
  readonly code?: unknown;
  readonly syscall?: unknown;
}

/** The error result for a socket error on the auth connection to `addrText`. */
export function socketErrorResult(err: unknown, addrText: string): AuthHttpResult {
  const e = (typeof err === 'object' && err !== null ? err : {}) as NodeSysError;
  const code = typeof e.code === 'string' ? e.code : '';
  const errno = ERRNO[code];
  const sys = errno === undefined ? undefined : { errno, text: GLIBC_TEXT[code] ?? code };
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
