/**
 * Login throttling: failed logins counted per client IP and per user within a window; past a limit,
 * a lock-out; on each failure an Auth-Wait that grows with the count (reference 3.5: Auth-Wait makes
 * the proxy wait before it answers the client and lets the client try again).
 *
 * Owns: the policy (ThrottlePolicy), the counter interface both backends implement, and the wait
 * formula. Does not own where counters live (memory.ts, redis.ts) or the allow-list (allow-list.ts).
 */

export interface ThrottlePolicy {
  /** counters start at the first failure and expire this long after it */
  readonly windowMs: number;
  /** failures from one client IP within the window that start a lock-out of that IP */
  readonly ipLimit: number;
  /** failures for one user within the window that start a lock-out of that user */
  readonly userLimit: number;
  /** how long a lock-out lasts */
  readonly lockoutMs: number;
  /** Auth-Wait after the first failure, in seconds (0: never ask the proxy to wait) */
  readonly waitBaseSec: number;
  /** the largest Auth-Wait, in seconds */
  readonly waitMaxSec: number;
  /**
   * Auth-Login-Attempt from which no Auth-Wait is sent, so the proxy closes the connection: nginx keeps
   * memory for every attempt of a session (its docs advise stopping after 10–20 attempts).
   */
  readonly maxAttemptsPerConnection: number;
}

export const THROTTLE_POLICY_DEFAULT: ThrottlePolicy = {
  windowMs: 15 * 60_000,
  ipLimit: 50,
  userLimit: 10,
  lockoutMs: 15 * 60_000,
  waitBaseSec: 1,
  waitMaxSec: 30,
  maxAttemptsPerConnection: 10,
};

export interface FailureCounts {
  readonly ipFailures: number;
  readonly userFailures: number;
  /** this failure started (or an earlier one holds) a lock-out */
  readonly locked: boolean;
}

/** Where counters live. Implementations reject when their storage is unreachable. */
export interface ThrottleStore {
  readonly kind: 'memory' | 'redis';
  /** true while the IP or the user is locked out */
  isLocked(ip: string, user: string): Promise<boolean>;
  recordFailure(ip: string, user: string, policy: ThrottlePolicy): Promise<FailureCounts>;
  /** a successful login clears the user's count (not the IP's: one good account must not reset a scan) */
  recordSuccess(user: string): Promise<void>;
  close(): Promise<void>;
}

/** Auth-Wait for the n-th failure (n ≥ 1): base, doubled per further failure, capped. */
export function waitFor(policy: ThrottlePolicy, failures: number): number {
  if (policy.waitBaseSec <= 0 || failures < 1) return 0;
  const exp = Math.min(30, failures - 1);
  return Math.min(policy.waitMaxSec, policy.waitBaseSec * 2 ** exp);
}
