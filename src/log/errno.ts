/**
 * System errors in nginx's words: ` (<errno>: <strerror>)` needs the positive errno and glibc's text,
 * while Node gives a negative errno, a code and libuv's lowercase message.
 *
 * Owns: the code → (errno, text) table for the errors a proxy meets. Does not own formatting.
 */
import { constants } from 'node:os';

// glibc strerror() texts, which nginx prints; libuv's own messages differ in wording and case.
const GLIBC_TEXT: Readonly<Record<string, string>> = {
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  ESRCH: 'No such process',
  EINTR: 'Interrupted system call',
  EIO: 'Input/output error',
  EBADF: 'Bad file descriptor',
  EAGAIN: 'Resource temporarily unavailable',
  ENOMEM: 'Cannot allocate memory',
  EACCES: 'Permission denied',
  EEXIST: 'File exists',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  EINVAL: 'Invalid argument',
  ENFILE: 'Too many open files in system',
  EMFILE: 'Too many open files',
  ENOSPC: 'No space left on device',
  EROFS: 'Read-only file system',
  EPIPE: 'Broken pipe',
  ENAMETOOLONG: 'File name too long',
  ENOTSOCK: 'Socket operation on non-socket',
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
  EHOSTUNREACH: 'No route to host',
};

export interface SystemErrorInfo {
  readonly errno: number;
  readonly text: string;
}

/** The errno and text of a Node system error (`err.code` like `ENOENT`), or null for other errors. */
export function systemError(err: unknown): SystemErrorInfo | null {
  if (typeof err !== 'object' || err === null) return null;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string') return null;
  const errno = (constants.errno as Readonly<Record<string, number | undefined>>)[code];
  if (errno === undefined) return null;
  const text = GLIBC_TEXT[code] ?? code;
  return { errno, text };
}

/** nginx's ` (<errno>: <text>)` part, or '' when the error is not a system error. */
export function errnoSuffix(err: unknown): string {
  const info = systemError(err);
  return info === null ? '' : ` (${info.errno}: ${info.text})`;
}
