/**
 * The running auth service: stores, verifier, throttle and listeners built from a ServiceConfig.
 *
 * Owns: start-up order (store first, so a bad users file fails before any port opens), the listeners
 * of both kinds, reload (re-read the users file) and an orderly close. Does not own argv or signals
 * (main.ts).
 */
import { Decider, type Verifier } from './core/decide.js';
import { SILENT_LOG, type Log } from './core/log.js';
import type { ServiceConfig } from './config/types.js';
import { RawServer } from './http/raw-server.js';
import { makeResponder } from './http/respond.js';
import { UwsServer } from './http/uws-server.js';
import { PasswordVerifier } from './passwords/pool.js';
import { PasswdFileStore } from './stores/passwd-file.js';
import { RedisStore, redisClient } from './stores/redis.js';
import { SqliteStore } from './stores/sqlite.js';
import type { UserStore } from './stores/types.js';
import { AllowList } from './throttle/allow-list.js';
import { MemoryThrottle } from './throttle/memory.js';
import { RedisThrottle } from './throttle/redis.js';
import type { ThrottleStore } from './throttle/types.js';

/** How long start-up waits for Redis before giving up (store) or going on unthrottled (throttle). */
const REDIS_START_WAIT_MS = 3000;

export interface BoundListener {
  readonly kind: 'raw' | 'uws';
  readonly host: string;
  readonly port: number;
}

export interface AuthService {
  readonly listeners: readonly BoundListener[];
  readonly decider: Decider;
  readonly store: UserStore;
  /** re-reads the users file (SIGHUP) */
  reload(): Promise<void>;
  close(): Promise<void>;
}

export interface StartOptions {
  readonly log?: Log;
  /** replaces the piscina verifier (tests) */
  readonly verifier?: Verifier & { close?(): Promise<void> };
}

export function openStore(config: ServiceConfig, log: Log): UserStore {
  const s = config.store;
  switch (s.kind) {
    case 'file':
      return new PasswdFileStore({
        path: s.path,
        lowercase: config.lowercase,
        domains: config.domains,
        onWarning: (w) => {
          log.warn({ file: w.file, line: w.line }, `users file: ${w.message}`);
        },
      });
    case 'sqlite':
      return new SqliteStore({ path: s.path, onWarning: (m) => { log.warn({}, m); } });
    case 'redis': {
      const redis = redisClient(s.url);
      redis.on('error', (err: Error) => {
        log.error({ err: err.message }, 'redis (users) connection error');
      });
      return new RedisStore({ redis, prefix: config.redisPrefix, onWarning: (m) => { log.warn({}, m); } });
    }
  }
}

function openThrottle(config: ServiceConfig, log: Log): ThrottleStore | null {
  const t = config.throttle;
  switch (t.kind) {
    case 'off':
      return null;
    case 'memory':
      return new MemoryThrottle();
    case 'redis': {
      const redis = redisClient(t.url);
      redis.on('error', (err: Error) => {
        log.error({ err: err.message }, 'redis (throttle) connection error');
      });
      return new RedisThrottle({ redis, prefix: config.redisPrefix });
    }
  }
}

export async function startAuthService(config: ServiceConfig, opts: StartOptions = {}): Promise<AuthService> {
  const log = opts.log ?? SILENT_LOG;
  const store = openStore(config, log);
  const pool = opts.verifier === undefined ? new PasswordVerifier({ threads: config.verifyThreads, maxQueue: config.verifyQueue }) : null;
  const verifier: Verifier = opts.verifier ?? (pool as PasswordVerifier);
  const throttle = openThrottle(config, log);
  // Redis clients have no offline queue: wait for them so the first logins do not fail.
  if (store instanceof RedisStore && !(await store.ready(REDIS_START_WAIT_MS))) {
    await store.close();
    await throttle?.close();
    throw new Error(`redis users store ${(config.store as { url: string }).url} is not reachable`);
  }
  if (throttle instanceof RedisThrottle && !(await throttle.ready(REDIS_START_WAIT_MS)))
    log.error({}, 'redis throttle is not reachable yet; logins are not throttled until it is');
  const decider = new Decider({
    store,
    verifier,
    throttle,
    policy: config.policy,
    allowList: new AllowList(config.allow),
    defaultBackends: config.defaultBackends,
    defaultPorts: config.defaultPorts,
    defaultScheme: config.defaultScheme,
    lowercase: config.lowercase,
    log,
  });
  const responder = makeResponder(decider);
  const servers: (RawServer | UwsServer)[] = [];
  const listeners: BoundListener[] = [];
  const closeAll = async (): Promise<void> => {
    for (const s of servers) await s.close();
    await throttle?.close();
    await store.close();
    await pool?.close();
  };
  try {
    for (const l of config.listen) {
      const server =
        l.kind === 'uws'
          ? new UwsServer({ host: l.host, port: l.port, path: config.path }, responder)
          : new RawServer(
              {
                host: l.host,
                port: l.port,
                path: config.path,
                maxHeadBytes: config.maxHeadBytes,
                maxHeaders: config.maxHeaders,
                headerTimeoutMs: config.headerTimeoutMs,
                keepaliveTimeoutMs: config.keepaliveTimeoutMs,
              },
              responder,
            );
      servers.push(server);
      const bound = await server.listen();
      listeners.push({ kind: l.kind, ...bound });
    }
  } catch (err) {
    await closeAll();
    throw err;
  }
  return {
    listeners,
    decider,
    store,
    reload: () => store.reload(),
    close: closeAll,
  };
}
