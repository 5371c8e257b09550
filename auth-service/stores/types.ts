/**
 * What a user store holds, whatever it is kept in (passwd-file, SQLite, Redis).
 *
 * Owns: the record shapes and the UserStore interface. Field names follow Dovecot's proxy extra
 * fields where one exists (`host`, `destuser`, `pass`, `nologin`), so a passwd-file line reads the same
 * to an operator who knows Dovecot. Does not own parsing any particular storage.
 */
import type { AuthProtocolName } from '../../src/auth/types.js';

/** A backend the proxy connects to: an IP literal (Auth-Server must be one) and a port. */
export interface Backend {
  readonly host: string;
  readonly port: number;
}

export type Backends = Readonly<Partial<Record<AuthProtocolName, Backend>>>;

export interface UserRecord {
  /** the login as stored (lookups are by this key) */
  readonly name: string;
  /** the stored password text, `{SCHEME}value` or a bare value in the store's default scheme */
  readonly password: string;
  /** per-protocol backends (`imap=`, `pop3=`, `smtp=` fields) */
  readonly backends: Backends;
  /** `host=`: one backend host for every protocol, on the service's default port for it */
  readonly host: string | null;
  /** `destuser=`: the login the backend gets (Auth-User in the answer) */
  readonly destUser: string | null;
  /** `pass=`: the password the backend gets (Auth-Pass in the answer) */
  readonly backendPass: string | null;
  /** `nologin`: the account exists but may not log in */
  readonly noLogin: boolean;
  /** `cert_fingerprint=`: SHA-1 hex of the client certificate accepted for EXTERNAL */
  readonly certFingerprint: string | null;
  /** `token=`: a stored (hashed) secret accepted for XOAUTH2/OAUTHBEARER */
  readonly token: string | null;
}

export interface DomainRecord {
  readonly name: string;
  readonly backends: Backends;
  readonly host: string | null;
}

export interface UserStore {
  readonly kind: 'file' | 'sqlite' | 'redis';
  /** The record for `name` (already normalised by the caller), or null. Rejects when the store is down. */
  findUser(name: string): Promise<UserRecord | null>;
  /** The domain defaults for `name` (lowercase), or null. */
  findDomain(name: string): Promise<DomainRecord | null>;
  /** Re-reads what can be re-read (the users file); a no-op for databases. */
  reload(): Promise<void>;
  close(): Promise<void>;
}
