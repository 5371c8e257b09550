/**
 * What every part of the primary reads at the moment it acts: the running configuration and its logs,
 * the worker generation, the lifecycle phase and the last reload's outcome. One object, shared by
 * reference, so a part never holds a stale copy after a reload.
 *
 * Owns: the shape and the phase questions. Writers: primary.ts (phase), reload.ts (everything else, when
 * a reload commits or fails). Everyone else only reads.
 */
import type { MainConfig } from '../config/types.js';
import type { LogSystem } from '../log/logger.js';
import type { Logger } from '../log/types.js';

/** starting → running → quitting (QUIT) or stopping (TERM/INT, a failed start) → done */
export type Phase = 'starting' | 'running' | 'quitting' | 'stopping' | 'done';

export interface PrimaryState {
  config: MainConfig;
  /** the LogSystem opened for `config` */
  logs: LogSystem;
  /** the primary's logger on `config.errorLogs` */
  log: Logger;
  /** bumped by each committed reload; workers of older generations drain */
  generation: number;
  phase: Phase;
  lastReload: { readonly atMs: number; readonly ok: boolean } | null;
}

// Functions, not field reads at the call site, so checks after an await are not narrowed away.

export function isRunning(s: PrimaryState): boolean {
  return s.phase === 'running';
}

export function isStarting(s: PrimaryState): boolean {
  return s.phase === 'starting';
}

/** Starting or running: a worker that dies is respawned and may ask for its listeners again. */
export function isSupervising(s: PrimaryState): boolean {
  return s.phase === 'running' || s.phase === 'starting';
}
