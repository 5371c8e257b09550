/**
 * Where `-p`, `-c` and `-e` point (nginx: ngx_process_options): the prefix is `-p` with a slash added,
 * or the current directory (nginx's behaviour without a compiled-in prefix); `-c` and `-e` resolve
 * against the prefix.
 *
 * Owns: those three paths. Does not own paths inside the configuration (config/ resolves them).
 */
import { isAbsolute, resolve } from 'node:path';
import { cwd } from 'node:process';

/** nginx's NGX_CONF_PATH, renamed: `conf/postern.conf` under the prefix. */
export const DEFAULT_CONF_FILE = 'conf/postern.conf';
/** nginx's NGX_ERROR_LOG_PATH: the start-up log before the configuration's error_log is open. */
export const DEFAULT_STARTUP_ERROR_LOG = 'logs/error.log';

export interface ResolvedPaths {
  /** absolute, with a trailing slash */
  readonly prefix: string;
  /** absolute */
  readonly confFile: string;
  /** absolute path, or `stderr` */
  readonly errorLog: string;
}

export function resolvePaths(prefixArg: string | null, confArg: string | null, errorLogArg: string | null): ResolvedPaths {
  let prefix = prefixArg === null ? cwd() : resolve(prefixArg);
  if (!prefix.endsWith('/')) prefix += '/';
  const conf = confArg ?? DEFAULT_CONF_FILE;
  const confFile = isAbsolute(conf) ? conf : resolve(prefix, conf);
  const e = errorLogArg ?? DEFAULT_STARTUP_ERROR_LOG;
  const errorLog = e === 'stderr' ? 'stderr' : isAbsolute(e) ? e : resolve(prefix, e);
  return { prefix, confFile, errorLog };
}
