/**
 * Throttle counters in this process (the embedded default; a fleet uses redis.ts).
 *
 * Owns: fixed-window counters and lock-out deadlines in Maps, bounded in size (the oldest entries go
 * first, so a spray of made-up user names cannot grow memory without limit), and a sweep of expired
 * entries. Does not own the policy.
 */
import type { FailureCounts, ThrottlePolicy, ThrottleStore } from './types.js';

interface Counter {
  count: number;
  expiresAt: number;
}

export const MEMORY_THROTTLE_MAX_ENTRIES = 1_000_000;

export class MemoryThrottle implements ThrottleStore {
  readonly kind = 'memory';
  readonly #counters = new Map<string, Counter>();
  readonly #locks = new Map<string, number>();
  readonly #maxEntries: number;
  readonly #sweeper: NodeJS.Timeout;

  constructor(opts: { maxEntries?: number; sweepIntervalMs?: number } = {}) {
    this.#maxEntries = opts.maxEntries ?? MEMORY_THROTTLE_MAX_ENTRIES;
    this.#sweeper = setInterval(() => {
      this.sweep(Date.now());
    }, opts.sweepIntervalMs ?? 30_000);
    this.#sweeper.unref();
  }

  /** Drops expired counters and lock-outs. */
  sweep(now: number): void {
    for (const [k, c] of this.#counters) if (c.expiresAt <= now) this.#counters.delete(k);
    for (const [k, t] of this.#locks) if (t <= now) this.#locks.delete(k);
  }

  #lockedKey(key: string, now: number): boolean {
    const until = this.#locks.get(key);
    if (until === undefined) return false;
    if (until > now) return true;
    this.#locks.delete(key);
    return false;
  }

  isLocked(ip: string, user: string): Promise<boolean> {
    const now = Date.now();
    return Promise.resolve(this.#lockedKey(`ip:${ip}`, now) || this.#lockedKey(`user:${user}`, now));
  }

  #bump(key: string, now: number, windowMs: number): number {
    let c = this.#counters.get(key);
    if (c === undefined || c.expiresAt <= now) {
      if (c !== undefined) this.#counters.delete(key);
      c = { count: 0, expiresAt: now + windowMs };
      this.#counters.set(key, c);
      if (this.#counters.size > this.#maxEntries) {
        const oldest = this.#counters.keys().next().value;
        if (oldest !== undefined) this.#counters.delete(oldest);
      }
    }
    return ++c.count;
  }

  #lock(key: string, until: number): void {
    this.#locks.set(key, until);
    if (this.#locks.size > this.#maxEntries) {
      const oldest = this.#locks.keys().next().value;
      if (oldest !== undefined) this.#locks.delete(oldest);
    }
  }

  recordFailure(ip: string, user: string, policy: ThrottlePolicy): Promise<FailureCounts> {
    const now = Date.now();
    const ipFailures = this.#bump(`ip:${ip}`, now, policy.windowMs);
    const userFailures = this.#bump(`user:${user}`, now, policy.windowMs);
    let locked = false;
    if (ipFailures >= policy.ipLimit) {
      this.#lock(`ip:${ip}`, now + policy.lockoutMs);
      locked = true;
    }
    if (userFailures >= policy.userLimit) {
      this.#lock(`user:${user}`, now + policy.lockoutMs);
      locked = true;
    }
    return Promise.resolve({ ipFailures, userFailures, locked });
  }

  recordSuccess(user: string): Promise<void> {
    this.#counters.delete(`user:${user}`);
    return Promise.resolve();
  }

  get entries(): number {
    return this.#counters.size + this.#locks.size;
  }

  close(): Promise<void> {
    clearInterval(this.#sweeper);
    return Promise.resolve();
  }
}
