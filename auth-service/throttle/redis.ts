/**
 * Throttle counters in Redis, so every auth service of a fleet sees the same failures and lock-outs.
 *
 * Keys (prefix default `postern:auth:`): `fail:ip:<ip>`, `fail:user:<user>` (counters that expire one
 * window after their first failure) and `lock:ip:<ip>`, `lock:user:<user>` (present while locked).
 * A failure is one Lua script (one round trip, atomic across the fleet); the lock check is one MGET.
 *
 * Owns: the keys and the script. Does not own the policy or the connection's lifetime beyond close().
 */
import type { Redis } from 'ioredis';
import { REDIS_PREFIX_DEFAULT, redisClose, redisReady } from '../stores/redis.js';
import type { FailureCounts, ThrottlePolicy, ThrottleStore } from './types.js';

// KEYS: fail:ip fail:user lock:ip lock:user; ARGV: windowMs ipLimit userLimit lockoutMs
const RECORD_FAILURE = `
local ip = redis.call('INCR', KEYS[1])
if ip == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local user = redis.call('INCR', KEYS[2])
if user == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[1]) end
local locked = 0
if ip >= tonumber(ARGV[2]) then redis.call('SET', KEYS[3], '1', 'PX', ARGV[4]); locked = 1 end
if user >= tonumber(ARGV[3]) then redis.call('SET', KEYS[4], '1', 'PX', ARGV[4]); locked = 1 end
return {ip, user, locked}
`;

interface WithScript {
  posternRecordFailure(
    failIp: string,
    failUser: string,
    lockIp: string,
    lockUser: string,
    windowMs: number,
    ipLimit: number,
    userLimit: number,
    lockoutMs: number,
  ): Promise<[number, number, number]>;
}

export class RedisThrottle implements ThrottleStore {
  readonly kind = 'redis';
  readonly #redis: Redis & WithScript;
  readonly #prefix: string;
  readonly #ownsClient: boolean;

  constructor(opts: { redis: Redis; prefix?: string; ownsClient?: boolean }) {
    opts.redis.defineCommand('posternRecordFailure', { numberOfKeys: 4, lua: RECORD_FAILURE });
    this.#redis = opts.redis as Redis & WithScript;
    this.#prefix = opts.prefix ?? REDIS_PREFIX_DEFAULT;
    this.#ownsClient = opts.ownsClient ?? true;
  }

  async isLocked(ip: string, user: string): Promise<boolean> {
    const [a, b] = await this.#redis.mget(`${this.#prefix}lock:ip:${ip}`, `${this.#prefix}lock:user:${user}`);
    return a !== null || b !== null;
  }

  async recordFailure(ip: string, user: string, policy: ThrottlePolicy): Promise<FailureCounts> {
    const p = this.#prefix;
    const [ipFailures, userFailures, locked] = await this.#redis.posternRecordFailure(
      `${p}fail:ip:${ip}`,
      `${p}fail:user:${user}`,
      `${p}lock:ip:${ip}`,
      `${p}lock:user:${user}`,
      policy.windowMs,
      policy.ipLimit,
      policy.userLimit,
      policy.lockoutMs,
    );
    return { ipFailures, userFailures, locked: locked === 1 };
  }

  async recordSuccess(user: string): Promise<void> {
    await this.#redis.del(`${this.#prefix}fail:user:${user}`);
  }

  /** Waits (bounded) for the connection; false when Redis did not answer in time. */
  ready(timeoutMs: number): Promise<boolean> {
    return redisReady(this.#redis, timeoutMs);
  }

  close(): Promise<void> {
    if (this.#ownsClient) redisClose(this.#redis);
    return Promise.resolve();
  }
}
