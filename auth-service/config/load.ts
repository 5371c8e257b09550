/**
 * The auth service's config file: one directive per statement, `name arg …;`, `#` comments, the
 * look of nginx's files without blocks. Relative paths are relative to the file's directory.
 * docs/auth-service.md lists every directive.
 *
 * Owns: tokenising, each directive's arity and value checks (errors name file:line), defaults, and
 * the frozen ServiceConfig. Does not own reading users or opening stores.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { AuthProtocolName } from '../../src/auth/types.js';
import { SCHEMES, type Scheme } from '../passwords/schemes.js';
import { domainFromFields, FieldError, parseBackend, parseExtraFields } from '../stores/fields.js';
import { REDIS_PREFIX_DEFAULT } from '../stores/redis.js';
import type { Backend, DomainRecord } from '../stores/types.js';
import { AllowList } from '../throttle/allow-list.js';
import { THROTTLE_POLICY_DEFAULT, type ThrottlePolicy } from '../throttle/types.js';
import type { ListenConfig, ServiceConfig, StoreConfig } from './types.js';

export class ServiceConfigError extends Error {
  constructor(message: string, file: string | null, line: number | null) {
    super(file === null ? message : `${message} in ${file}:${line ?? 0}`);
    this.name = 'ServiceConfigError';
  }
}

export const LISTEN_DEFAULT: ListenConfig = { host: '127.0.0.1', port: 10080, kind: 'raw' };

interface Statement {
  readonly name: string;
  readonly args: readonly string[];
  readonly line: number;
}

function tokenize(text: string, file: string): Statement[] {
  const out: Statement[] = [];
  let args: string[] = [];
  let startLine = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const hash = (lines[i] as string).indexOf('#');
    const body = hash < 0 ? (lines[i] as string) : (lines[i] as string).slice(0, hash);
    for (const piece of body.split(/(;)|\s+/)) {
      // split() yields undefined for the unmatched capture group
      if ((piece as string | undefined) === undefined || piece === '') continue;
      if (piece === ';') {
        if (args.length === 0) throw new ServiceConfigError('unexpected ";"', file, i + 1);
        out.push({ name: args[0] as string, args: args.slice(1), line: startLine });
        args = [];
        continue;
      }
      if (args.length === 0) startLine = i + 1;
      args.push(piece);
    }
  }
  if (args.length > 0) throw new ServiceConfigError(`directive "${args[0]}" is not terminated by ";"`, file, startLine);
  return out;
}

/** `10s`, `500ms`, `15m`, `1h`, or plain seconds → milliseconds; NaN when malformed. */
export function parseDuration(text: string): number {
  const m = /^(\d+)(ms|s|m|h)?$/.exec(text);
  if (m === null) return NaN;
  const n = Number(m[1]);
  switch (m[2] as 'ms' | 's' | 'm' | 'h' | undefined) {
    case 'ms':
      return n;
    case 'm':
      return n * 60_000;
    case 'h':
      return n * 3_600_000;
    case 's':
    case undefined:
      return n * 1000;
  }
}

/** `16k`, `1m`, or bytes. */
function parseSize(text: string): number {
  const m = /^(\d+)([kKmM])?$/.exec(text);
  if (m === null) return NaN;
  const n = Number(m[1]);
  return m[2] === undefined ? n : m[2].toLowerCase() === 'k' ? n * 1024 : n * 1024 * 1024;
}

export function parseListen(text: string): { host: string; port: number } | null {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text) ?? /^()()(\d{1,5})$/.exec(text);
  if (m === null) return null;
  const port = Number(m[3]);
  if (port > 65535) return null;
  return { host: m[1] ?? (m[2] === '' || m[2] === undefined ? '127.0.0.1' : m[2]), port };
}

/** What the command line may set on top of (or instead of) a file. */
export interface ConfigOverrides {
  readonly listen?: readonly ListenConfig[];
  readonly store?: StoreConfig;
  readonly logLevel?: ServiceConfig['logLevel'];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export function defaultConfig(): Mutable<ServiceConfig> {
  return {
    listen: [],
    path: '/auth',
    store: { kind: 'file', path: 'users' },
    defaultScheme: 'CRYPT',
    lowercase: true,
    defaultBackends: {},
    defaultPorts: { imap: 143, pop3: 110, smtp: 25 },
    domains: new Map(),
    throttle: { kind: 'memory' },
    policy: { ...THROTTLE_POLICY_DEFAULT },
    allow: [],
    redisPrefix: REDIS_PREFIX_DEFAULT,
    verifyThreads: 2,
    verifyQueue: 4096,
    headerTimeoutMs: 10_000,
    keepaliveTimeoutMs: 60_000,
    maxHeadBytes: 16 * 1024,
    maxHeaders: 100,
    logLevel: 'info',
  };
}

const PROTOCOLS = ['imap', 'pop3', 'smtp'] as const;

/** Parses config text. `file` is used for messages and to resolve relative paths. */
export function parseConfig(text: string, file: string, overrides: ConfigOverrides = {}): ServiceConfig {
  const c = defaultConfig();
  const base = dirname(resolve(file));
  const path = (p: string): string => (isAbsolute(p) ? p : resolve(base, p));
  const listen: ListenConfig[] = [];
  const backends: Partial<Record<AuthProtocolName, Backend>> = {};
  const domains = new Map<string, DomainRecord>();
  const policy: Mutable<ThrottlePolicy> = { ...THROTTLE_POLICY_DEFAULT };
  const seen = new Set<string>();
  const REPEATABLE = new Set(['listen', 'backend', 'default_port', 'domain', 'throttle_allow']);

  for (const st of tokenize(text, file)) {
    const err = (msg: string): ServiceConfigError => new ServiceConfigError(msg, file, st.line);
    const arity = (min: number, max: number): void => {
      if (st.args.length < min || st.args.length > max) throw err(`invalid number of arguments in "${st.name}" directive`);
    };
    if (seen.has(st.name) && !REPEATABLE.has(st.name)) throw err(`"${st.name}" directive is duplicate`);
    seen.add(st.name);
    const a = st.args;
    const a0 = a[0] ?? '';
    const duration = (t: string): number => {
      const ms = parseDuration(t);
      if (Number.isNaN(ms)) throw err(`invalid time "${t}" in "${st.name}"`);
      return ms;
    };
    const count = (t: string, min: number): number => {
      if (!/^\d+$/.test(t) || Number(t) < min) throw err(`invalid number "${t}" in "${st.name}"`);
      return Number(t);
    };
    const onOff = (t: string): boolean => {
      if (t !== 'on' && t !== 'off') throw err(`invalid value "${t}" in "${st.name}", it must be "on" or "off"`);
      return t === 'on';
    };
    switch (st.name) {
      case 'listen': {
        arity(1, 2);
        const addr = parseListen(a0);
        if (addr === null) throw err(`invalid listen address "${a0}"`);
        const kind = a[1] ?? 'raw';
        if (kind !== 'raw' && kind !== 'uws') throw err(`invalid listen parameter "${kind}" (raw or uws)`);
        listen.push({ ...addr, kind });
        break;
      }
      case 'path':
        arity(1, 1);
        if (!a0.startsWith('/')) throw err(`path "${a0}" must start with "/"`);
        c.path = a0;
        break;
      case 'users': {
        arity(2, 2);
        const where = a[1] as string;
        if (a0 === 'file' || a0 === 'sqlite') c.store = { kind: a0, path: path(where) };
        else if (a0 === 'redis') c.store = { kind: 'redis', url: where };
        else throw err(`invalid store "${a0}" (file, sqlite or redis)`);
        break;
      }
      case 'default_scheme': {
        arity(1, 1);
        const s = a0.toUpperCase();
        if (s !== 'CRYPT' && !(SCHEMES as readonly string[]).includes(s)) throw err(`unknown scheme "${a0}"`);
        c.defaultScheme = s as Scheme | 'CRYPT';
        break;
      }
      case 'lowercase_logins':
        arity(1, 1);
        c.lowercase = onOff(a0);
        break;
      case 'backend': {
        arity(2, 2);
        if (!(PROTOCOLS as readonly string[]).includes(a0)) throw err(`invalid protocol "${a0}"`);
        const b = parseBackend(a[1] as string);
        if (typeof b === 'string') throw err(b);
        backends[a0 as AuthProtocolName] = b;
        break;
      }
      case 'default_port':
        arity(2, 2);
        if (!(PROTOCOLS as readonly string[]).includes(a0)) throw err(`invalid protocol "${a0}"`);
        c.defaultPorts = { ...c.defaultPorts, [a0]: count(a[1] as string, 1) };
        break;
      case 'domain': {
        if (a.length < 2) throw err(`invalid number of arguments in "domain" directive`);
        try {
          domains.set(a0.toLowerCase(), domainFromFields(a0.toLowerCase(), parseExtraFields(a.slice(1).join(' '))));
        } catch (e) {
          if (e instanceof FieldError) throw err(`domain ${a0}: ${e.message}`);
          throw e;
        }
        break;
      }
      case 'throttle':
        arity(1, 2);
        if (a0 === 'off' || a0 === 'memory') c.throttle = { kind: a0 };
        else if (a0 === 'redis' && a[1] !== undefined) c.throttle = { kind: 'redis', url: a[1] };
        else throw err(`invalid throttle "${a.join(' ')}" (off, memory or redis <url>)`);
        break;
      case 'throttle_allow':
        for (const cidr of a) {
          try {
            new AllowList([cidr]);
          } catch {
            throw err(`invalid CIDR "${cidr}"`);
          }
        }
        c.allow = [...c.allow, ...a];
        break;
      case 'throttle_window':
        arity(1, 1);
        policy.windowMs = duration(a0);
        break;
      case 'throttle_lockout':
        arity(1, 1);
        policy.lockoutMs = duration(a0);
        break;
      case 'throttle_ip_limit':
        arity(1, 1);
        policy.ipLimit = count(a0, 1);
        break;
      case 'throttle_user_limit':
        arity(1, 1);
        policy.userLimit = count(a0, 1);
        break;
      case 'throttle_wait':
        arity(2, 2);
        policy.waitBaseSec = Math.floor(duration(a0) / 1000);
        policy.waitMaxSec = Math.floor(duration(a[1] as string) / 1000);
        break;
      case 'throttle_max_attempts':
        arity(1, 1);
        policy.maxAttemptsPerConnection = count(a0, 1);
        break;
      case 'redis_prefix':
        arity(1, 1);
        c.redisPrefix = a0;
        break;
      case 'verify_threads':
        arity(1, 1);
        c.verifyThreads = count(a0, 1);
        break;
      case 'verify_queue':
        arity(1, 1);
        c.verifyQueue = count(a0, 1);
        break;
      case 'header_timeout':
        arity(1, 1);
        c.headerTimeoutMs = duration(a0);
        break;
      case 'keepalive_timeout':
        arity(1, 1);
        c.keepaliveTimeoutMs = duration(a0);
        break;
      case 'max_request_size': {
        arity(1, 1);
        const n = parseSize(a0);
        if (Number.isNaN(n) || n < 512) throw err(`invalid size "${a0}"`);
        c.maxHeadBytes = n;
        break;
      }
      case 'log_level':
        arity(1, 1);
        if (!['debug', 'info', 'warn', 'error', 'silent'].includes(a0)) throw err(`invalid log level "${a0}"`);
        c.logLevel = a0 as ServiceConfig['logLevel'];
        break;
      default:
        throw err(`unknown directive "${st.name}"`);
    }
  }
  c.listen = overrides.listen ?? (listen.length > 0 ? listen : [LISTEN_DEFAULT]);
  if (overrides.store !== undefined) c.store = overrides.store;
  if (overrides.logLevel !== undefined) c.logLevel = overrides.logLevel;
  c.defaultBackends = backends;
  c.domains = domains;
  c.policy = policy;
  return Object.freeze(c);
}

export function loadConfig(file: string, overrides: ConfigOverrides = {}): ServiceConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ServiceConfigError(`cannot read "${file}": ${(e as Error).message}`, null, null);
  }
  return parseConfig(text, file, overrides);
}
