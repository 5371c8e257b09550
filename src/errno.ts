/**
 * System errors in nginx's words: nginx appends ` (<errno>: <strerror>)` to a failed system call, with
 * the positive errno and glibc's text, while Node gives a negative errno, a code (`ECONNREFUSED`) and
 * libuv's own lowercase message. One table for every module (config, log, auth, relay, primary).
 *
 * Owns: the code → (errno, text) mapping. Does not own formatting of whole log lines.
 */
import { constants } from 'node:os';

// glibc strerror() texts, which nginx prints; libuv's messages differ in wording and case.
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
  EBUSY: 'Device or resource busy',
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
  ELOOP: 'Too many levels of symbolic links',
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

const ERRNO = constants.errno as Readonly<Record<string, number | undefined>>;

export interface SystemErrorInfo {
  readonly errno: number;
  readonly text: string;
}

/** nginx's `(110: Connection timed out)` for its own timers. */
export const ETIMEDOUT_INFO: SystemErrorInfo = { errno: ERRNO.ETIMEDOUT ?? 110, text: 'Connection timed out' };

/** errno and glibc text for a code like `ENOENT`, or null when the code is not a system error. */
export function systemErrorOfCode(code: string): SystemErrorInfo | null {
  const errno = ERRNO[code];
  if (errno === undefined) return null;
  return { errno, text: GLIBC_TEXT[code] ?? code };
}

/** The errno and text of a Node system error (`err.code` like `ENOENT`), or null for other errors. */
export function systemError(err: unknown): SystemErrorInfo | null {
  if (typeof err !== 'object' || err === null) return null;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? systemErrorOfCode(code) : null;
}

/** nginx's ` (<errno>: <text>)` part, or '' when the error is not a system error. */
export function errnoSuffix(err: unknown): string {
  const info = systemError(err);
  return info === null ? '' : ` (${String(info.errno)}: ${info.text})`;
}

/** `2: No such file or directory` for `ENOENT`; unknown codes keep their name. */
export function systemErrorText(code: string): string {
  const info = systemErrorOfCode(code);
  return info === null ? code : `${String(info.errno)}: ${info.text}`;
}

/**
 * For a socket error: the system error, or the best description when Node gives no code (errno 0
 * and the message, so a log line still says what happened).
 */
export function socketError(err: NodeJS.ErrnoException): SystemErrorInfo {
  return systemError(err) ?? { errno: 0, text: err.code ?? err.message };
}
