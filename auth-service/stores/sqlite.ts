/**
 * The SQLite user store (better-sqlite3 12), the embedded default for installations that outgrow a
 * file: lookups are by primary key on a read-only connection, microseconds each, so they run on the
 * event loop.
 *
 * Tables (created by `postern-auth import … --sqlite` or `createSqliteSchema`):
 *   users(name TEXT PRIMARY KEY, password TEXT NOT NULL, imap, pop3, smtp, host, destuser, pass,
 *         nologin INTEGER, cert_fingerprint, token)
 *   domains(name TEXT PRIMARY KEY, imap, pop3, smtp, host)
 * Backends are `IP:port` text, as in the users file. A row that does not validate is treated as
 * absent and logged.
 *
 * Owns: the schema, the prepared lookups and a writer used by the import command and tests. Does not
 * own password checking.
 */
import Database from 'better-sqlite3';
import { DOMAIN_FIELDS, FieldError, USER_FIELDS, domainFromFields, userFromFields } from './fields.js';
import type { DomainRecord, UserRecord, UserStore } from './types.js';

type Row = Record<string, string | number | null>;

function toFields(row: Row, names: readonly string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const n of names) {
    const v = row[n];
    if (v !== null && v !== undefined) m.set(n, String(v));
  }
  return m;
}

export function createSqliteSchema(db: Database.Database): void {
  db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY, password TEXT NOT NULL,
    imap TEXT, pop3 TEXT, smtp TEXT, host TEXT, destuser TEXT, pass TEXT,
    nologin INTEGER NOT NULL DEFAULT 0, cert_fingerprint TEXT, token TEXT) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS domains (
    name TEXT PRIMARY KEY, imap TEXT, pop3 TEXT, smtp TEXT, host TEXT) WITHOUT ROWID;`);
}

/** Writes (inserts or replaces) users and domains; used by the import command and tests. */
export function writeSqlite(path: string, users: readonly UserRecord[], domains: readonly DomainRecord[] = []): void {
  const db = new Database(path);
  try {
    createSqliteSchema(db);
    const putUser = db.prepare(
      `INSERT OR REPLACE INTO users (name, password, imap, pop3, smtp, host, destuser, pass, nologin, cert_fingerprint, token)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const putDomain = db.prepare(`INSERT OR REPLACE INTO domains (name, imap, pop3, smtp, host) VALUES (?, ?, ?, ?, ?)`);
    const b = (x: { host: string; port: number } | undefined): string | null =>
      x === undefined ? null : x.host.includes(':') ? `[${x.host}]:${x.port}` : `${x.host}:${x.port}`;
    db.transaction(() => {
      for (const u of users)
        putUser.run(
          u.name, u.password, b(u.backends.imap), b(u.backends.pop3), b(u.backends.smtp), u.host,
          u.destUser, u.backendPass, u.noLogin ? 1 : 0, u.certFingerprint, u.token,
        );
      for (const d of domains) putDomain.run(d.name, b(d.backends.imap), b(d.backends.pop3), b(d.backends.smtp), d.host);
    })();
  } finally {
    db.close();
  }
}

export interface SqliteStoreOptions {
  readonly path: string;
  readonly onWarning?: (message: string) => void;
}

export class SqliteStore implements UserStore {
  readonly kind = 'sqlite';
  readonly #db: Database.Database;
  readonly #user: Database.Statement<[string], Row>;
  readonly #domain: Database.Statement<[string], Row>;
  readonly #onWarning: (message: string) => void;

  constructor(opts: SqliteStoreOptions) {
    this.#db = new Database(opts.path, { readonly: true, fileMustExist: true });
    this.#user = this.#db.prepare<[string], Row>(`SELECT * FROM users WHERE name = ?`);
    this.#domain = this.#db.prepare<[string], Row>(`SELECT * FROM domains WHERE name = ?`);
    this.#onWarning = opts.onWarning ?? ((): void => undefined);
  }

  findUser(name: string): Promise<UserRecord | null> {
    const row = this.#user.get(name);
    if (row === undefined) return Promise.resolve(null);
    try {
      return Promise.resolve(userFromFields(name, String(row.password), toFields(row, USER_FIELDS)));
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      this.#onWarning(`sqlite user "${name}": ${err.message}`);
      return Promise.resolve(null);
    }
  }

  findDomain(name: string): Promise<DomainRecord | null> {
    const row = this.#domain.get(name);
    if (row === undefined) return Promise.resolve(null);
    try {
      return Promise.resolve(domainFromFields(name, toFields(row, DOMAIN_FIELDS)));
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      this.#onWarning(`sqlite domain "${name}": ${err.message}`);
      return Promise.resolve(null);
    }
  }

  reload(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.#db.close();
    return Promise.resolve();
  }
}
