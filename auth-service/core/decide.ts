/**
 * The auth decision: one AuthQuery in, one Answer out. This is the service; the HTTP transports only
 * carry it.
 *
 * Order for a login: lock-out check (unless the client is allow-listed) → user lookup → credential
 * check for the method → on failure, count it and answer with a growing Auth-Wait (or the lock-out
 * text) → on success, clear the user's count and route to the user's, the domain's or the default
 * backend for the protocol.
 *
 * Methods (reference 3.2, 4.4):
 * - `plain` (IMAP LOGIN, POP3 USER/PASS, SASL PLAIN and LOGIN): the password against the stored one;
 * - `apop`, `cram-md5`: the digest against the cleartext password, which must be stored `{PLAIN}`;
 *   the answer carries Auth-Pass (the proxy forgot the password after sending the salt);
 * - `external`: the proxy verified a client certificate (`Auth-SSL-Verify: SUCCESS`); the login is
 *   Auth-User or else the certificate subject's CN; a user with `cert_fingerprint` must present that
 *   certificate, one without must have the CN equal to the login; Auth-Pass comes from `pass=` or a
 *   `{PLAIN}` password;
 * - `xoauth2`, `oauthbearer`: Auth-Pass is a token checked against the user's `token` field (any
 *   scheme), so an operator can issue per-user app tokens; Auth-Pass is the token (or `pass=`);
 * - `none` (SMTP without AUTH): no credentials; routed by the recipient's domain, else the default.
 *
 * Owns: the order above, texts via answer.ts, and the log line per login (never a credential).
 * Does not own transports, storage or hashing.
 */
import type { AuthProtocolName } from '../../src/auth/types.js';
import { VerifierBusyError } from '../passwords/pool.js';
import { parseStoredPassword, type Scheme, type StoredPassword } from '../passwords/schemes.js';
import type { AllowList } from '../throttle/allow-list.js';
import { waitFor, type ThrottlePolicy, type ThrottleStore } from '../throttle/types.js';
import type { Backend, UserRecord, UserStore } from '../stores/types.js';
import type { Answer, FailReason } from './answer.js';
import { verifyApop, verifyCramMd5 } from './digests.js';
import type { Log } from './log.js';
import type { AuthQuery } from './query.js';

/** What checks passwords (pool.ts's PasswordVerifier, or a stub in tests). */
export interface Verifier {
  verify(scheme: Scheme, value: string, password: Buffer): Promise<boolean>;
}

export interface DeciderOptions {
  readonly store: UserStore;
  readonly verifier: Verifier;
  readonly throttle: ThrottleStore | null;
  readonly policy: ThrottlePolicy;
  readonly allowList: AllowList;
  /** backends used when neither the user nor the domain names one */
  readonly defaultBackends: Readonly<Partial<Record<AuthProtocolName, Backend>>>;
  /** the port for each protocol when a record gives only `host=` */
  readonly defaultPorts: Readonly<Record<AuthProtocolName, number>>;
  /** scheme of stored passwords without a `{SCHEME}` prefix */
  readonly defaultScheme: Scheme | 'CRYPT';
  /** fold logins to lowercase before lookup */
  readonly lowercase: boolean;
  readonly log: Log;
}

type Check = { readonly ok: true; readonly pass: Buffer | null } | { readonly ok: false; readonly reason: FailReason };

const BAD: Check = { ok: false, reason: 'credentials' };
const TEMP: Check = { ok: false, reason: 'temporary' };

/** Per-outcome counters (the /status line and the bench read them). */
export interface DecisionStats {
  ok: number;
  failed: number;
  locked: number;
  temporary: number;
  invalid: number;
}

export class Decider {
  readonly #o: DeciderOptions;
  readonly stats: DecisionStats = { ok: 0, failed: 0, locked: 0, temporary: 0, invalid: 0 };

  constructor(opts: DeciderOptions) {
    this.#o = opts;
  }

  /** The answer to a request the transport could not even parse (or an invalid query). */
  invalid(reason: string, clientIp: string | null): Answer {
    this.stats.invalid++;
    this.#o.log.warn({ reason, client: clientIp }, 'invalid auth request');
    return { type: 'fail', reason: 'invalid', waitSec: 0 };
  }

  /** Decides one query. Never rejects: every fault becomes a failure answer. */
  async decide(q: AuthQuery): Promise<Answer> {
    try {
      if (q.method === 'none') return await this.#none(q);
      return await this.#login(q);
    } catch (err) {
      this.stats.temporary++;
      this.#o.log.error({ err: (err as Error).message, client: q.clientIp, proto: q.protocol }, 'auth failed internally');
      return { type: 'fail', reason: 'temporary', waitSec: 0 };
    }
  }

  #loginName(q: AuthQuery): string {
    let name = q.user.toString('utf8');
    if (q.method === 'external' && name === '') name = cnOf(q.sslSubject);
    return this.#o.lowercase ? name.toLowerCase() : name;
  }

  async #login(q: AuthQuery): Promise<Answer> {
    const o = this.#o;
    const name = this.#loginName(q);
    const logBase = { user: name, client: q.clientIp, proto: q.protocol, method: q.method };
    const throttled = o.throttle !== null && !o.allowList.has(q.clientIp);
    if (throttled) {
      let locked = false;
      try {
        locked = await o.throttle.isLocked(q.clientIp, name);
      } catch (err) {
        // Fail open: a throttle outage must not stop every login; passwords are still checked.
        o.log.error({ ...logBase, err: (err as Error).message }, 'throttle check failed');
      }
      if (locked) {
        this.stats.locked++;
        o.log.info({ ...logBase }, 'login refused: locked out');
        return { type: 'fail', reason: 'locked', waitSec: 0 };
      }
    }

    let user: UserRecord | null;
    try {
      user = name === '' ? null : await o.store.findUser(name);
    } catch (err) {
      this.stats.temporary++;
      o.log.error({ ...logBase, err: (err as Error).message, store: o.store.kind }, 'user lookup failed');
      return { type: 'fail', reason: 'temporary', waitSec: 0 };
    }

    let check: Check = BAD;
    if (user !== null && !user.noLogin) check = await this.#check(q, user, logBase);
    else if (user?.noLogin === true) o.log.info({ ...logBase }, 'login refused: nologin');

    if (!check.ok) {
      if (check.reason !== 'credentials') {
        this.stats.temporary++;
        return { type: 'fail', reason: check.reason, waitSec: 0 };
      }
      return this.#failed(q, name, logBase, throttled ? o.throttle : null, user === null);
    }
    // a passing check implies a user (BAD stands when there is none)
    if (user === null) return this.#failed(q, name, logBase, throttled ? o.throttle : null, true);
    const backend = await this.#route(q.protocol, user, name);
    if (backend === null) {
      this.stats.temporary++;
      o.log.error({ ...logBase }, 'no backend for user');
      return { type: 'fail', reason: 'temporary', waitSec: 0 };
    }
    if (throttled) {
      try {
        await o.throttle.recordSuccess(name);
      } catch (err) {
        o.log.error({ ...logBase, err: (err as Error).message }, 'throttle update failed');
      }
    }
    this.stats.ok++;
    o.log.info({ ...logBase, backend: `${backend.host}:${backend.port}` }, 'login ok');
    return {
      type: 'ok',
      server: backend.host,
      port: backend.port,
      user: user.destUser !== null ? Buffer.from(user.destUser, 'utf8') : null,
      pass: check.pass,
    };
  }

  async #failed(
    q: AuthQuery,
    name: string,
    logBase: Record<string, unknown>,
    throttle: ThrottleStore | null,
    unknown: boolean,
  ): Promise<Answer> {
    const o = this.#o;
    this.stats.failed++;
    if (throttle === null) {
      o.log.info({ ...logBase, unknown }, 'login failed');
      return { type: 'fail', reason: 'credentials', waitSec: 0 };
    }
    let counts = { ipFailures: 0, userFailures: 0, locked: false };
    try {
      counts = await throttle.recordFailure(q.clientIp, name, o.policy);
    } catch (err) {
      o.log.error({ ...logBase, err: (err as Error).message }, 'throttle update failed');
    }
    if (counts.locked) {
      o.log.info({ ...logBase, unknown, ...counts }, 'login failed: locking out');
      return { type: 'fail', reason: 'locked', waitSec: 0 };
    }
    // Stop asking the proxy to wait after many attempts in one session: it then closes the connection.
    const waitSec =
      q.attempt >= o.policy.maxAttemptsPerConnection ? 0 : waitFor(o.policy, Math.max(counts.ipFailures, counts.userFailures));
    o.log.info({ ...logBase, unknown, ...counts, waitSec }, 'login failed');
    return { type: 'fail', reason: 'credentials', waitSec };
  }

  #stored(text: string, logBase: Record<string, unknown>): StoredPassword | null {
    const p = parseStoredPassword(text, this.#o.defaultScheme);
    if (typeof p === 'string') {
      this.#o.log.error({ ...logBase, problem: p }, 'stored password unusable');
      return null;
    }
    return p;
  }

  async #verify(stored: StoredPassword, password: Buffer, logBase: Record<string, unknown>): Promise<Check> {
    try {
      return (await this.#o.verifier.verify(stored.scheme, stored.value, password)) ? { ok: true, pass: null } : BAD;
    } catch (err) {
      const busy = err instanceof VerifierBusyError;
      this.#o.log.error({ ...logBase, scheme: stored.scheme, err: (err as Error).message }, busy ? 'verifier busy' : 'password check failed');
      return TEMP;
    }
  }

  /** The cleartext password, when the stored one is `{PLAIN}`. */
  #plaintext(user: UserRecord): Buffer | null {
    const p = parseStoredPassword(user.password, this.#o.defaultScheme);
    return typeof p !== 'string' && p.scheme === 'PLAIN' ? Buffer.from(p.value, 'utf8') : null;
  }

  async #check(q: AuthQuery, user: UserRecord, logBase: Record<string, unknown>): Promise<Check> {
    const override = user.backendPass !== null ? Buffer.from(user.backendPass, 'utf8') : null;
    switch (q.method) {
      case 'plain': {
        const stored = this.#stored(user.password, logBase);
        if (stored === null) return TEMP;
        const r = await this.#verify(stored, q.pass, logBase);
        return r.ok ? { ok: true, pass: override } : r;
      }
      case 'apop':
      case 'cram-md5': {
        const clear = this.#plaintext(user);
        if (clear === null) {
          this.#o.log.warn({ ...logBase }, `${q.method} needs a {PLAIN} password`);
          return BAD;
        }
        const good = q.method === 'apop' ? verifyApop(q.salt, clear, q.pass) : verifyCramMd5(q.salt, clear, q.pass);
        return good ? { ok: true, pass: override ?? clear } : BAD;
      }
      case 'external': {
        if (q.sslVerify !== 'SUCCESS') return BAD;
        if (user.certFingerprint !== null) {
          if (q.sslFingerprint.toLowerCase().replace(/:/g, '') !== user.certFingerprint) return BAD;
        } else {
          const cn = cnOf(q.sslSubject);
          const want = this.#o.lowercase ? cn.toLowerCase() : cn;
          if (want === '' || want !== user.name) return BAD;
        }
        const pass = override ?? this.#plaintext(user);
        if (pass === null) {
          this.#o.log.error({ ...logBase }, 'external login needs pass= or a {PLAIN} password for the backend');
          return TEMP;
        }
        return { ok: true, pass };
      }
      case 'xoauth2':
      case 'oauthbearer': {
        if (user.token === null) return BAD;
        const stored = this.#stored(user.token, logBase);
        if (stored === null) return TEMP;
        const r = await this.#verify(stored, q.pass, logBase);
        return r.ok ? { ok: true, pass: override ?? q.pass } : r;
      }
      case 'none':
        return BAD;
    }
  }

  async #domainBackend(protocol: AuthProtocolName, domain: string): Promise<Backend | null> {
    if (domain === '') return null;
    const d = await this.#o.store.findDomain(domain.toLowerCase());
    if (d === null) return null;
    return d.backends[protocol] ?? (d.host !== null ? { host: d.host, port: this.#o.defaultPorts[protocol] } : null);
  }

  async #route(protocol: AuthProtocolName, user: UserRecord, name: string): Promise<Backend | null> {
    const own = user.backends[protocol] ?? (user.host !== null ? { host: user.host, port: this.#o.defaultPorts[protocol] } : null);
    if (own !== null) return own;
    const at = name.lastIndexOf('@');
    return (await this.#domainBackend(protocol, at < 0 ? '' : name.slice(at + 1))) ?? this.#o.defaultBackends[protocol] ?? null;
  }

  async #none(q: AuthQuery): Promise<Answer> {
    // Auth-SMTP-To is the whole command text, e.g. `RCPT TO:<bob@example.com> NOTIFY=NEVER`.
    const m = /<[^>@]*@([^>]+)>/.exec(q.smtpTo);
    const domain = m?.[1] ?? '';
    let backend: Backend | null;
    try {
      backend = (await this.#domainBackend('smtp', domain)) ?? this.#o.defaultBackends.smtp ?? null;
    } catch (err) {
      this.#o.log.error({ client: q.clientIp, err: (err as Error).message }, 'domain lookup failed');
      this.stats.temporary++;
      return { type: 'fail', reason: 'temporary', waitSec: 0 };
    }
    if (backend === null) {
      this.stats.temporary++;
      this.#o.log.error({ client: q.clientIp, domain }, 'no smtp backend for unauthenticated mail');
      return { type: 'fail', reason: 'temporary', waitSec: 0 };
    }
    this.stats.ok++;
    this.#o.log.info({ client: q.clientIp, proto: 'smtp', method: 'none', domain, backend: `${backend.host}:${backend.port}` }, 'relay ok');
    return { type: 'ok', server: backend.host, port: backend.port, user: null, pass: null };
  }
}

/** The CN of an RFC 2253 subject (`CN=alice,O=Org`), '' when absent. Escaped commas are kept. */
export function cnOf(subject: string): string {
  for (const part of subject.split(/(?<!\\),/)) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim().toUpperCase() === 'CN') return part.slice(eq + 1).trim().replace(/\\(.)/g, '$1');
  }
  return '';
}
