/**
 * The users file: Dovecot's passwd-file format, read whole into memory and re-read when it changes.
 *
 * `user:password:uid:gid:gecos:home:shell:extra fields` — only the first two fields are required; the
 * extra fields (after the seventh colon, so values may hold colons: `imap=10.0.0.5:143`) carry the
 * routing (fields.ts). `#` starts a comment line. A line that does not parse is skipped with a warning
 * naming file:line, so one typo does not lock every user out; a file that cannot be read keeps the
 * previous contents.
 *
 * Owns: parsing, the in-memory map, re-reading on mtime change (checked at most every
 * `checkIntervalMs`) and on `reload()`. Domains come from the service config for this store.
 */
import { readFileSync, statSync } from 'node:fs';
import { FieldError, parseExtraFields, userFromFields } from './fields.js';
import type { DomainRecord, UserRecord, UserStore } from './types.js';

export interface PasswdFileWarning {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

export interface ParsedPasswdFile {
  readonly users: Map<string, UserRecord>;
  readonly warnings: PasswdFileWarning[];
}

/** Parses passwd-file text. `lowercase` folds user names (logins are then folded too). */
export function parsePasswdFile(text: string, file: string, lowercase: boolean): ParsedPasswdFile {
  const users = new Map<string, UserRecord>();
  const warnings: PasswdFileWarning[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).replace(/\r$/, '');
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const parts: string[] = [];
    let rest = line;
    for (let k = 0; k < 7; k++) {
      const colon = rest.indexOf(':');
      if (colon < 0) break;
      parts.push(rest.slice(0, colon));
      rest = rest.slice(colon + 1);
    }
    parts.push(rest);
    const rawName = parts[0] as string;
    const name = lowercase ? rawName.toLowerCase() : rawName;
    if (name === '' || parts.length < 2) {
      warnings.push({ file, line: i + 1, message: 'expected "user:password[:…]"' });
      continue;
    }
    const password = parts[1] as string;
    const extra = parts.length >= 8 ? (parts[7] as string) : '';
    try {
      users.set(name, userFromFields(name, password, parseExtraFields(extra)));
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      warnings.push({ file, line: i + 1, message: err.message });
    }
  }
  return { users, warnings };
}

export interface PasswdFileStoreOptions {
  readonly path: string;
  readonly lowercase: boolean;
  readonly domains: ReadonlyMap<string, DomainRecord>;
  /** how often a lookup may stat the file for changes (default 2 s; 0 = every lookup) */
  readonly checkIntervalMs?: number;
  readonly onWarning?: (w: PasswdFileWarning) => void;
}

export class PasswdFileStore implements UserStore {
  readonly kind = 'file';
  #users = new Map<string, UserRecord>();
  #mtimeMs = -1;
  #size = -1;
  #checkedAt = 0;
  readonly #opts: PasswdFileStoreOptions;

  /** Reads the file now; throws when it cannot be read (start-up must fail loudly). */
  constructor(opts: PasswdFileStoreOptions) {
    this.#opts = opts;
    this.#load(true);
  }

  get size(): number {
    return this.#users.size;
  }

  #load(mustRead: boolean): void {
    let text: string;
    let st;
    try {
      st = statSync(this.#opts.path);
      text = readFileSync(this.#opts.path, 'utf8');
    } catch (err) {
      if (mustRead) throw err;
      this.#opts.onWarning?.({ file: this.#opts.path, line: 0, message: `cannot re-read: ${(err as Error).message}` });
      return;
    }
    const parsed = parsePasswdFile(text, this.#opts.path, this.#opts.lowercase);
    for (const w of parsed.warnings) this.#opts.onWarning?.(w);
    this.#users = parsed.users;
    this.#mtimeMs = st.mtimeMs;
    this.#size = st.size;
  }

  #maybeReload(): void {
    const now = Date.now();
    if (now - this.#checkedAt < (this.#opts.checkIntervalMs ?? 2000)) return;
    this.#checkedAt = now;
    try {
      const st = statSync(this.#opts.path);
      if (st.mtimeMs !== this.#mtimeMs || st.size !== this.#size) this.#load(false);
    } catch {
      // keep what we have; reload() reports the error
    }
  }

  findUser(name: string): Promise<UserRecord | null> {
    this.#maybeReload();
    return Promise.resolve(this.#users.get(name) ?? null);
  }

  findDomain(name: string): Promise<DomainRecord | null> {
    return Promise.resolve(this.#opts.domains.get(name) ?? null);
  }

  reload(): Promise<void> {
    this.#load(false);
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
