/**
 * The piscina worker: checks one password off the event loop. Loaded by pool.ts as a worker thread.
 * Owns nothing else; errors (e.g. a scheme whose package is missing) travel back as rejections.
 */
import type { Scheme } from './schemes.js';
import { verifyPassword } from './verify-sync.js';

export interface VerifyTask {
  readonly scheme: Scheme;
  readonly value: string;
  /** the password bytes (a Uint8Array after structured clone) */
  readonly password: Uint8Array;
}

export default function verify(task: VerifyTask): Promise<boolean> {
  const p = task.password;
  return verifyPassword(task.scheme, task.value, Buffer.from(p.buffer, p.byteOffset, p.byteLength));
}
