/**
 * Non-fatal messages produced while loading (nginx logs them at warn and carries on).
 *
 * Owns: the ConfigWarning shape (re-exported by load.ts, the public entry point).
 */
import type { LogLevel, SourceRef } from './types.js';

/** A non-fatal message from loading, e.g. `low address bits of 10.0.0.1/8 are meaningless` (warn). */
export interface ConfigWarning {
  readonly level: LogLevel;
  readonly message: string;
  readonly source: SourceRef | null;
}
