/**
 * Node's error codes → the `(<errno>: <strerror>)` text nginx appends to a failed system call on Linux.
 *
 * Owns: the few codes that reading configuration files can produce. Does not own: other system errors.
 */

const LINUX_ERRORS: Readonly<Record<string, readonly [number, string]>> = {
  EPERM: [1, 'Operation not permitted'],
  ENOENT: [2, 'No such file or directory'],
  EIO: [5, 'Input/output error'],
  EACCES: [13, 'Permission denied'],
  EBUSY: [16, 'Device or resource busy'],
  ENOTDIR: [20, 'Not a directory'],
  EISDIR: [21, 'Is a directory'],
  EMFILE: [24, 'Too many open files'],
  ENAMETOOLONG: [36, 'File name too long'],
  ELOOP: [40, 'Too many levels of symbolic links'],
};

/** `2: No such file or directory` for `ENOENT`; unknown codes keep their name. */
export function systemErrorText(code: string): string {
  const known = LINUX_ERRORS[code];
  return known === undefined ? code : `${String(known[0])}: ${known[1]}`;
}
