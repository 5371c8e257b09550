/**
 * Entry point of `config/`: read the main file (and its includes), apply `-g` directives, validate and
 * resolve into a deep-frozen MainConfig. Throws ConfigError with nginx's text and file:line.
 *
 * (Stub: the config issue replaces the body; the signature is the contract the primary codes against.)
 */
import type { LogLevel, MainConfig, SourceRef } from './types.js';
import { ConfigError } from '../errors.js';

export interface LoadOptions {
  /** absolute or prefix-relative path of the main file (`-c`) */
  readonly confFile: string;
  /** with trailing slash (`-p`) */
  readonly prefix: string;
  /** `-g "directives;"`: parsed before the file, in the main context */
  readonly globalDirectives: string | null;
}

/** A non-fatal message from loading, e.g. `low address bits of 10.0.0.1/8 are meaningless` (warn). */
export interface ConfigWarning {
  readonly level: LogLevel;
  readonly message: string;
  readonly source: SourceRef | null;
}

export interface LoadResult {
  readonly config: MainConfig;
  readonly warnings: readonly ConfigWarning[];
}

export function loadConfig(options: LoadOptions): Promise<LoadResult> {
  return Promise.reject(new ConfigError(`cannot load ${options.confFile}: not implemented`));
}
