/**
 * The auth service's configuration, validated and frozen (config/load.ts builds it from a file and
 * command-line flags). Units are in the field names.
 */
import type { AuthProtocolName } from '../../src/auth/types.js';
import type { Scheme } from '../passwords/schemes.js';
import type { Backend, DomainRecord } from '../stores/types.js';
import type { ThrottlePolicy } from '../throttle/types.js';

export interface ListenConfig {
  readonly host: string;
  readonly port: number;
  /** `raw`: node:net, HTTP/1.0 and 1.1 (nginx-compatible); `uws`: uWebSockets.js, HTTP/1.1 only */
  readonly kind: 'raw' | 'uws';
}

export type StoreConfig =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'redis'; readonly url: string };

export type ThrottleConfig = { readonly kind: 'off' } | { readonly kind: 'memory' } | { readonly kind: 'redis'; readonly url: string };

export interface ServiceConfig {
  readonly listen: readonly ListenConfig[];
  readonly path: string;
  readonly store: StoreConfig;
  readonly defaultScheme: Scheme | 'CRYPT';
  readonly lowercase: boolean;
  readonly defaultBackends: Readonly<Partial<Record<AuthProtocolName, Backend>>>;
  readonly defaultPorts: Readonly<Record<AuthProtocolName, number>>;
  /** domain defaults for the file store (SQLite and Redis keep theirs in the database) */
  readonly domains: ReadonlyMap<string, DomainRecord>;
  readonly throttle: ThrottleConfig;
  readonly policy: ThrottlePolicy;
  readonly allow: readonly string[];
  readonly redisPrefix: string;
  readonly verifyThreads: number;
  readonly verifyQueue: number;
  readonly headerTimeoutMs: number;
  readonly keepaliveTimeoutMs: number;
  readonly maxHeadBytes: number;
  readonly maxHeaders: number;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
}
