/**
 * Where password checks run: the cheap schemes inline, the slow ones in a piscina pool of worker
 * threads, so the HTTP loop never waits on a hash.
 *
 * Owns: the pool (threads, queue bound), the inline/pool split and the "busy" answer when the queue is
 * full (a flood of logins must not queue unbounded work). Does not own scheme parsing (schemes.ts).
 */
import { Piscina } from 'piscina';
import { SLOW_SCHEMES, type Scheme } from './schemes.js';
import { verifyPassword } from './verify-sync.js';
import type { VerifyTask } from './worker.js';

export interface VerifierOptions {
  /** worker threads (default: 2, this machine's cores; the HTTP loop keeps one busy too) */
  readonly threads?: number;
  /** checks waiting for a thread before new ones are refused */
  readonly maxQueue?: number;
}

/** Thrown when the pool's queue is full: the login gets a temporary failure. */
export class VerifierBusyError extends Error {
  constructor() {
    super('password verification queue is full');
    this.name = 'VerifierBusyError';
  }
}

export class PasswordVerifier {
  readonly #pool: Piscina<VerifyTask, boolean>;

  constructor(opts: VerifierOptions = {}) {
    const threads = Math.max(1, opts.threads ?? 2);
    // tsx runs the sources (.ts); the build runs .js. The worker inherits the parent's --import flags.
    const file = import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js';
    this.#pool = new Piscina<VerifyTask, boolean>({
      filename: new URL(file, import.meta.url).href,
      minThreads: 1,
      maxThreads: threads,
      maxQueue: opts.maxQueue ?? 4096,
      idleTimeout: 60_000,
    });
  }

  /** Checks `password` against a stored value of `scheme`. Rejects with VerifierBusyError when full. */
  verify(scheme: Scheme, value: string, password: Buffer): Promise<boolean> {
    if (!SLOW_SCHEMES.has(scheme)) return verifyPassword(scheme, value, password);
    if (this.#pool.queueSize >= this.#pool.options.maxQueue) return Promise.reject(new VerifierBusyError());
    return this.#pool.run({ scheme, value, password });
  }

  get stats(): { threads: number; queued: number; completed: number } {
    return { threads: this.#pool.threads.length, queued: this.#pool.queueSize, completed: this.#pool.completed };
  }

  async close(): Promise<void> {
    await this.#pool.destroy();
  }
}
