/**
 * The Redis user store, for a fleet of auth services sharing one user table.
 *
 * Keys: `<prefix>user:<name>` and `<prefix>domain:<name>`, each a hash whose fields are the users
 * file's extra fields (`password`, `imap`, `pop3`, `smtp`, `host`, `destuser`, `pass`, `nologin`,
 * `cert_fingerprint`, `token`). Default prefix `postern:auth:`.
 *
 * Owns: the lookups (one HGETALL each), a writer for the import command and tests, and failing fast
 * when Redis is down (no offline queue: a login gets a temporary failure instead of waiting).
 */
import { Redis } from 'ioredis';
import { FieldError, domainFromFields, userFromFields } from './fields.js';
import type { Backend, DomainRecord, UserRecord, UserStore } from './types.js';

export const REDIS_PREFIX_DEFAULT = 'postern:auth:';

/** A client that fails commands at once while disconnected (logins must not hang on Redis). */
export function redisClient(url: string): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    lazyConnect: true,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
}

/**
 * Connects and waits until the client is ready (commands fail at once before that, since there is no
 * offline queue). Resolves false after `timeoutMs`; the client keeps retrying in the background.
 */
export async function redisReady(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return true;
  let timer: NodeJS.Timeout | undefined;
  const ready = new Promise<boolean>((resolve) => {
    redis.once('ready', () => {
      resolve(true);
    });
    timer = setTimeout(() => {
      resolve(false);
    }, timeoutMs);
  });
  if (redis.status === 'wait') redis.connect().catch(() => undefined);
  try {
    return await ready;
  } finally {
    clearTimeout(timer);
  }
}

/** Closes at once (no QUIT round trip that could wait on a dead server) and stops reconnecting. */
export function redisClose(redis: Redis): void {
  redis.disconnect(false);
}

function backendText(b: Backend | undefined): string | undefined {
  if (b === undefined) return undefined;
  return b.host.includes(':') ? `[${b.host}]:${b.port}` : `${b.host}:${b.port}`;
}

function userHash(u: UserRecord): Record<string, string> {
  const h: Record<string, string> = { password: u.password };
  const put = (k: string, v: string | null | undefined): void => {
    if (v !== null && v !== undefined) h[k] = v;
  };
  put('imap', backendText(u.backends.imap));
  put('pop3', backendText(u.backends.pop3));
  put('smtp', backendText(u.backends.smtp));
  put('host', u.host);
  put('destuser', u.destUser);
  put('pass', u.backendPass);
  if (u.noLogin) h.nologin = '1';
  put('cert_fingerprint', u.certFingerprint);
  put('token', u.token);
  return h;
}

/** Writes users and domains (replacing existing hashes); used by the import command and tests. */
export async function writeRedis(
  redis: Redis,
  users: readonly UserRecord[],
  domains: readonly DomainRecord[] = [],
  prefix = REDIS_PREFIX_DEFAULT,
): Promise<void> {
  const m = redis.multi();
  for (const u of users) m.del(`${prefix}user:${u.name}`).hset(`${prefix}user:${u.name}`, userHash(u));
  for (const d of domains) {
    const h: Record<string, string> = {};
    for (const p of ['imap', 'pop3', 'smtp'] as const) {
      const t = backendText(d.backends[p]);
      if (t !== undefined) h[p] = t;
    }
    if (d.host !== null) h.host = d.host;
    m.del(`${prefix}domain:${d.name}`);
    if (Object.keys(h).length > 0) m.hset(`${prefix}domain:${d.name}`, h);
  }
  await m.exec();
}

export interface RedisStoreOptions {
  readonly redis: Redis;
  readonly prefix?: string;
  readonly onWarning?: (message: string) => void;
}

export class RedisStore implements UserStore {
  readonly kind = 'redis';
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #onWarning: (message: string) => void;

  constructor(opts: RedisStoreOptions) {
    this.#redis = opts.redis;
    this.#prefix = opts.prefix ?? REDIS_PREFIX_DEFAULT;
    this.#onWarning = opts.onWarning ?? ((): void => undefined);
  }

  async findUser(name: string): Promise<UserRecord | null> {
    const h = await this.#redis.hgetall(`${this.#prefix}user:${name}`);
    const password = h.password;
    if (password === undefined) return null;
    try {
      return userFromFields(name, password, new Map(Object.entries(h)));
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      this.#onWarning(`redis user "${name}": ${err.message}`);
      return null;
    }
  }

  async findDomain(name: string): Promise<DomainRecord | null> {
    const h = await this.#redis.hgetall(`${this.#prefix}domain:${name}`);
    if (Object.keys(h).length === 0) return null;
    try {
      return domainFromFields(name, new Map(Object.entries(h)));
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      this.#onWarning(`redis domain "${name}": ${err.message}`);
      return null;
    }
  }

  reload(): Promise<void> {
    return Promise.resolve();
  }

  /** Waits (bounded) for the connection; false when Redis did not answer in time. */
  ready(timeoutMs: number): Promise<boolean> {
    return redisReady(this.#redis, timeoutMs);
  }

  close(): Promise<void> {
    redisClose(this.#redis);
    return Promise.resolve();
  }
}
