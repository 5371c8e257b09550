/**
 * Relative paths in directives, resolved as nginx's ngx_conf_full_name resolves them.
 *
 * Owns: the join rule only; which base applies (prefix or the main file's directory) is the caller's:
 * pid and error_log use the prefix, certificates and other TLS files the main file's directory.
 */
import { isAbsolute, join } from 'node:path';

/** Resolve a path written in a directive the way nginx's ngx_conf_full_name does. */
/** `data:` values (certificates and keys given inline) are kept as written. */
export function fullName(base: string, path: string): string {
  return isAbsolute(path) || path.startsWith('data:') ? path : join(base, path);
}
