/**
 * The unprivileged system user that owns test mailboxes (Dovecot refuses to run mail processes as
 * root, and Postfix's virtual(8) delivers as a configured uid).
 *
 * Owns: finding or creating `postern-mail` (a system user with its own group, no home, no shell),
 * idempotently and safe against two test processes creating it at once.
 * Does not own: mailbox directories (dovecot.ts, postfix.ts create them with this uid/gid).
 */
import { runCmd } from './proc.js';

export const MAIL_USER_NAME = 'postern-mail';

export interface MailUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

let cached: Promise<MailUser> | null = null;

async function lookup(name: string): Promise<MailUser | null> {
  const r = await runCmd('getent', ['passwd', name], { timeoutMs: 10_000 });
  if (r.code !== 0) return null;
  // name:x:uid:gid:gecos:home:shell
  const f = r.stdout.toString().trim().split(':');
  const uid = Number(f[2]);
  const gid = Number(f[3]);
  if (!Number.isInteger(uid) || !Number.isInteger(gid))
    throw new Error(`getent passwd ${name}: unexpected "${r.stdout.toString()}"`);
  return { name, uid, gid };
}

async function findOrCreate(): Promise<MailUser> {
  const found = await lookup(MAIL_USER_NAME);
  if (found) return found;
  const r = await runCmd(
    'useradd',
    [
      '--system',
      '--user-group',
      '--no-create-home',
      '--home-dir',
      '/nonexistent',
      '--shell',
      '/usr/sbin/nologin',
      MAIL_USER_NAME,
    ],
    { timeoutMs: 20_000 },
  );
  // Another test process may have created it in the meantime (useradd then fails): look again.
  const after = await lookup(MAIL_USER_NAME);
  if (after) return after;
  throw new Error(
    `cannot create system user ${MAIL_USER_NAME} (tests must run as root): ${r.stderr.toString()}`,
  );
}

/** The mail user's uid/gid, creating the user on first use (cached per process). */
export function ensureMailUser(): Promise<MailUser> {
  cached ??= findOrCreate().catch((err: unknown) => {
    cached = null;
    throw err;
  });
  return cached;
}
