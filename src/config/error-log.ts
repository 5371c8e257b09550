/**
 * The `error_log` directive (main, mail and server levels): targets `file`, `stderr`, `syslog:...`, and
 * the level list.
 *
 * Owns: ngx_log_set_log, ngx_log_set_levels (src/core/ngx_log.c) and ngx_syslog_process_conf
 * (src/core/ngx_syslog.c) with their error texts. Does not own: opening files (the logger does; nginx
 * opens them at -t, we only resolve the path) or which lines reach which log.
 */
import { isAbsolute, join } from 'node:path';
import type { HostLookup } from './host-lookup.js';
import type { ErrorLogConfig, LogLevel, LogTarget, SourceRef } from './types.js';
import { parseUrl } from './url.js';

const LEVEL_NAMES: readonly LogLevel[] = [
  'emerg',
  'alert',
  'crit',
  'error',
  'warn',
  'notice',
  'info',
  'debug',
];
const DEBUG_NAMES = [
  'debug_core',
  'debug_alloc',
  'debug_mutex',
  'debug_event',
  'debug_http',
  'debug_mail',
  'debug_stream',
];

const FACILITIES = [
  'kern',
  'user',
  'mail',
  'daemon',
  'auth',
  'intern',
  'lpr',
  'news',
  'uucp',
  'clock',
  'authpriv',
  'ftp',
  'ntp',
  'audit',
  'alert',
  'cron',
  'local0',
  'local1',
  'local2',
  'local3',
  'local4',
  'local5',
  'local6',
  'local7',
];
const SEVERITIES = ['emerg', 'alert', 'crit', 'error', 'warn', 'notice', 'info', 'debug'];

export interface ErrorLogInput {
  readonly args: readonly string[];
  readonly prefix: string;
  readonly lookup: HostLookup;
  readonly source: SourceRef | null;
  /** ngx_conf_log_error at the directive */
  readonly error: (message: string) => Error;
}

/** nginx: ngx_log_set_log + ngx_log_set_levels for one `error_log` line. */
export async function parseErrorLog(c: ErrorLogInput): Promise<ErrorLogConfig> {
  const [target = '', ...levels] = c.args;
  let t: LogTarget;
  if (target === 'stderr') {
    t = { kind: 'stderr' };
  } else if (target.startsWith('memory:')) {
    // nginx keeps a debug ring buffer in memory (debug builds only); postern has no such target.
    throw c.error('the "memory:" error_log target is not supported');
  } else if (target.startsWith('syslog:')) {
    t = await parseSyslog(c, target.slice(7));
  } else {
    // nginx: ngx_conf_open_file → ngx_conf_full_name(cycle, name, 0): relative to the prefix
    t = { kind: 'file', path: isAbsolute(target) ? target : join(c.prefix, target) };
  }
  return { target: t, level: parseLevels(c, levels), source: c.source };
}

function parseLevels(c: ErrorLogInput, words: readonly string[]): LogLevel {
  if (words.length === 0) return 'error';
  let level: LogLevel | null = null;
  let debugBits = false;
  for (const w of words) {
    const named = LEVEL_NAMES.find((n) => n === w);
    if (named !== undefined) {
      if (level !== null || debugBits) throw c.error(`duplicate log level "${w}"`);
      level = named;
      continue;
    }
    if (DEBUG_NAMES.includes(w)) {
      // nginx: debug_* bits may not follow a plain level (not even debug)
      if (level !== null) throw c.error(`invalid log level "${w}"`);
      debugBits = true;
      continue;
    }
    throw c.error(`invalid log level "${w}"`);
  }
  // debug_* bits make nginx's level number larger than every level: everything is logged.
  return debugBits ? 'debug' : (level ?? 'error');
}

/** nginx: ngx_syslog_parse_args */
async function parseSyslog(c: ErrorLogInput, text: string): Promise<LogTarget> {
  let server: string | null = null;
  let facility: string | null = null;
  let severity: LogLevel | null = null;
  let tag: string | null = null;
  let nohostname = false;
  for (const part of text.split(',')) {
    if (part.startsWith('server=')) {
      if (server !== null) throw c.error('duplicate syslog "server"');
      const url = part.slice(7);
      const r = await parseUrl(url, { listen: false, uriPart: false, defaultPort: 514, lookup: c.lookup });
      if (!r.ok) throw c.error(`${r.err} in syslog server "${url}"`);
      server = url;
    } else if (part.startsWith('facility=')) {
      if (facility !== null) throw c.error('duplicate syslog "facility"');
      const v = part.slice(9);
      if (!FACILITIES.includes(v)) throw c.error(`unknown syslog facility "${v}"`);
      facility = v;
    } else if (part.startsWith('severity=')) {
      if (severity !== null) throw c.error('duplicate syslog "severity"');
      const v = part.slice(9);
      const found = SEVERITIES.indexOf(v);
      if (found === -1) throw c.error(`unknown syslog severity "${v}"`);
      severity = LEVEL_NAMES[found] ?? null;
    } else if (part.startsWith('tag=')) {
      if (tag !== null) throw c.error('duplicate syslog "tag"');
      const v = part.slice(4);
      if (Buffer.byteLength(v) > 32) throw c.error('syslog tag length exceeds 32');
      if (!/^[0-9a-zA-Z_]*$/.test(v)) {
        throw c.error('syslog "tag" only allows alphanumeric characters and underscore');
      }
      tag = v;
    } else if (part === 'nohostname') {
      nohostname = true;
    } else {
      throw c.error(`unknown syslog parameter "${part}"`);
    }
  }
  if (server === null) throw c.error('no syslog server specified');
  return {
    kind: 'syslog',
    server,
    facility: facility ?? 'local7',
    severity,
    tag: tag ?? 'nginx',
    nohostname,
  };
}
