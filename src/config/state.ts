/**
 * What directive handlers share while one configuration is loaded: the levels being filled, mail-wide
 * bookkeeping (listen addresses, shared memory zones), warnings and the ignored-directive list.
 *
 * Owns: the mutable state of one load. Does not own: any rule (directives.ts, resolve.ts).
 */
import type { ConfigError } from '../errors.js';
import type { HostLookup } from './host-lookup.js';
import type { Context, Level } from './level.js';
import type { DirectiveNode } from './parser.js';
import type { ListenConfig, SourceRef } from './types.js';
import type { ConfigWarning } from './warnings.js';

export interface Environment {
  /** `-p`, with trailing slash */
  readonly prefix: string;
  /** directory of the main file, with trailing slash (nginx: cycle->conf_prefix) */
  readonly confPrefix: string;
  readonly lookup: HostLookup;
  /** nginx: ngx_ncpu */
  readonly cpuCount: number;
  /** nginx: cycle->hostname (gethostname(), lowercased) */
  readonly hostname: string;
  /** geteuid() === 0 */
  readonly isRoot: boolean;
  /** getpwnam / getgrnam */
  readonly userExists: (name: string) => boolean;
  readonly groupExists: (name: string) => boolean;
}

export interface LoadState {
  readonly env: Environment;
  readonly main: Level;
  events: Level | null;
  mail: Level | null;
  readonly servers: Level[];
  /** every listen entry of mail{}, for nginx's duplicate address check */
  readonly mailListens: ListenConfig[];
  /** ssl_session_cache shared zones: name → size (nginx: ngx_shared_memory_add) */
  readonly shmZones: Map<string, number>;
  readonly ignored: { readonly name: string; readonly source: SourceRef }[];
  readonly warnings: ConfigWarning[];
  /** nginx: cycle->modules_used — set once a block of events/mail has started */
  modulesUsed: boolean;
  /** the mail→server merge, run at the `}` of mail{} as ngx_mail_block does */
  readonly onMailClose: () => void;
}

export interface SetContext {
  readonly node: DirectiveNode;
  readonly name: string;
  readonly args: readonly string[];
  readonly level: Level;
  readonly state: LoadState;
  /** where nginx reports this directive (null for -g text) */
  readonly source: SourceRef | null;
  /** nginx: ngx_conf_log_error(NGX_LOG_EMERG, ...) at this directive */
  error(message: string): ConfigError;
  /** nginx: a handler's returned string, printed as `"<name>" directive <reason>` */
  fail(reason: string): ConfigError;
  /** nginx: ngx_conf_log_error(NGX_LOG_WARN, ...) */
  warn(message: string): void;
}

/** What a block directive opens: the context and level its statements go to, and what runs at its `}`. */
export interface BlockResult {
  readonly context: Context;
  readonly level: Level;
  readonly close?: () => void | Promise<void>;
}
