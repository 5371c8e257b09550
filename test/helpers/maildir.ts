/**
 * Maildir on disk, as Dovecot reads it and Postfix's virtual(8) writes it.
 *
 * Owns: creating a Maildir with the right owner, dropping a message into it the way an MDA does
 * (write under tmp/, rename into new/, so a reader never sees half a file), and reading messages back
 * in delivery order.
 * Does not own: the server configs that point at these directories (dovecot.ts, postfix.ts).
 */
import {
  chownSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export interface Owner {
  readonly uid: number;
  readonly gid: number;
}

/** Creates `dir` (and missing parents) and gives `dir` itself to `owner`. */
function mkdirOwned(dir: string, owner: Owner): void {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  chownSync(dir, owner.uid, owner.gid);
}

/** Creates `<maildir>/{cur,new,tmp}` owned by `owner` (and the maildir itself). */
export function ensureMaildir(maildir: string, owner: Owner): void {
  mkdirOwned(maildir, owner);
  for (const sub of ['cur', 'new', 'tmp']) mkdirOwned(join(maildir, sub), owner);
}

let seq = 0;

/**
 * Puts `bytes` into `<maildir>/new/` as a new message owned by `owner`, byte for byte (no line-ending
 * conversion). Returns the file's path.
 */
export function writeMaildirMessage(maildir: string, bytes: Buffer, owner: Owner): string {
  ensureMaildir(maildir, owner);
  seq++;
  const now = Date.now();
  // The unique-name shape Maildir readers expect: <seconds>.<unique>.<host>
  const name = `${Math.floor(now / 1000)}.M${(now % 1000) * 1000}P${process.pid}Q${seq}.${hostname().replace(/[/:]/g, '_')}`;
  const tmp = join(maildir, 'tmp', name);
  writeFileSync(tmp, bytes, { mode: 0o600 });
  chownSync(tmp, owner.uid, owner.gid);
  const dest = join(maildir, 'new', name);
  renameSync(tmp, dest);
  return dest;
}

export interface MaildirMessage {
  readonly path: string;
  readonly bytes: Buffer;
}

/** Every message in `<maildir>/new` and `<maildir>/cur`, oldest first (mtime, then name). */
export function readMaildir(maildir: string): MaildirMessage[] {
  const files: { path: string; mtimeMs: number; name: string }[] = [];
  for (const sub of ['new', 'cur']) {
    let names: string[];
    try {
      names = readdirSync(join(maildir, sub));
    } catch {
      continue;
    }
    for (const name of names) {
      const path = join(maildir, sub, name);
      const st = statSync(path, { throwIfNoEntry: false });
      if (st?.isFile()) files.push({ path, mtimeMs: st.mtimeMs, name });
    }
  }
  files.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return files.map((f) => ({ path: f.path, bytes: readFileSync(f.path) }));
}
