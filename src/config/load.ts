/**
 * Entry point of `config/`: read the main file (and its includes), apply `-g` directives, validate and
 * resolve into a deep-frozen MainConfig. Throws ConfigError with nginx's text and file:line.
 *
 * Owns: turning LoadOptions into absolute paths the way nginx does (`-c` relative to the prefix,
 * includes relative to the main file's directory) and gathering facts about the machine (CPU count, host
 * name, users). Does not own: syntax (lexer.ts, parser.ts), directives (directives.ts), merging
 * (resolve.ts).
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import type { MainConfig } from './types.js';
import { systemLookup, type HostLookup } from './host-lookup.js';
import { parseConfig } from './parser.js';
import { resolveConfig } from './resolve.js';
import type { Environment } from './state.js';
import type { ConfigWarning } from './warnings.js';

export type { ConfigWarning } from './warnings.js';
export type { HostLookup, LookedUpAddress } from './host-lookup.js';

export interface LoadOptions {
  /** absolute or prefix-relative path of the main file (`-c`) */
  readonly confFile: string;
  /** with trailing slash (`-p`) */
  readonly prefix: string;
  /** `-g "directives;"`: parsed before the file, in the main context */
  readonly globalDirectives: string | null;
  /** Host name lookups (default: the system resolver, as nginx's getaddrinfo). Tests replace it. */
  readonly lookup?: HostLookup;
  /** Machine facts (default: this machine). Tests pin them for exact results. */
  readonly machine?: Partial<MachineFacts>;
}

/** What nginx learns from the machine while loading. */
export interface MachineFacts {
  /** nginx: ngx_ncpu, used by `worker_processes auto` */
  readonly cpuCount: number;
  /** nginx: gethostname() lowercased, the default server_name */
  readonly hostname: string;
  /** geteuid() === 0: `user` applies only then */
  readonly isRoot: boolean;
  readonly userExists: (name: string) => boolean;
  readonly groupExists: (name: string) => boolean;
}

export interface LoadResult {
  readonly config: MainConfig;
  readonly warnings: readonly ConfigWarning[];
}

/** `-p` with a trailing slash, as nginx appends one. */
function withSlash(p: string): string {
  return p.endsWith('/') ? p : `${p}/`;
}

/** Names in /etc/passwd or /etc/group (nginx asks getpwnam/getgrnam; NSS sources beyond files are not seen). */
function namesIn(file: string): (name: string) => boolean {
  let names: Set<string> | null = null;
  return (name) => {
    if (names === null) {
      try {
        names = new Set(
          readFileSync(file, 'utf8')
            .split('\n')
            .map((l) => l.split(':')[0] ?? '')
            .filter((n) => n !== ''),
        );
      } catch {
        names = new Set();
      }
    }
    return names.has(name);
  };
}

function machineFacts(overrides: Partial<MachineFacts> | undefined): MachineFacts {
  return {
    cpuCount: overrides?.cpuCount ?? availableParallelism(),
    hostname: overrides?.hostname ?? hostname().toLowerCase(),
    isRoot: overrides?.isRoot ?? process.geteuid?.() === 0,
    userExists: overrides?.userExists ?? namesIn('/etc/passwd'),
    groupExists: overrides?.groupExists ?? namesIn('/etc/group'),
  };
}

export async function loadConfig(options: LoadOptions): Promise<LoadResult> {
  const prefix = withSlash(options.prefix);
  // nginx: ngx_process_options — a relative -c is taken from the prefix
  const confFile = isAbsolute(options.confFile) ? options.confFile : join(prefix, options.confFile);
  const facts = machineFacts(options.machine);
  const env: Environment = {
    prefix,
    confPrefix: withSlash(dirname(confFile)),
    lookup: options.lookup ?? systemLookup,
    ...facts,
  };
  const parsed = parseConfig({ confFile, globalDirectives: options.globalDirectives });
  return resolveConfig({ parsed, confFile, env });
}
