/**
 * The cheap schemes: `{PLAIN}` (and its aliases) and `{SSHA512}`, checked in constant time.
 *
 * Owns: comparing a cleartext password, and salted SHA-512 (`base64(sha512(password ‖ salt) ‖ salt)`,
 * Dovecot's SSHA512). Does not own scheme prefixes (schemes.ts) or the slow schemes.
 * These run on the event loop: each costs about a microsecond, less than a hop to a worker thread.
 */
import { hash as oneShotHash, timingSafeEqual } from 'node:crypto';

/** Constant-time equality of two byte strings of any lengths (compares their SHA-256). */
export function equalBytes(a: Buffer, b: Buffer): boolean {
  const da = oneShotHash('sha256', a, 'buffer');
  const db = oneShotHash('sha256', b, 'buffer');
  return timingSafeEqual(da, db) && a.length === b.length;
}

export function verifyPlain(stored: string, password: Buffer): boolean {
  return equalBytes(Buffer.from(stored, 'utf8'), password);
}

/** Dovecot's {SSHA512}: base64 of the 64-byte digest followed by the salt (any length ≥ 1). */
export function verifySsha512(stored: string, password: Buffer): boolean {
  const raw = Buffer.from(stored.trim(), 'base64');
  if (raw.length <= 64) return false;
  const digest = raw.subarray(0, 64);
  const salt = raw.subarray(64);
  const got = oneShotHash('sha512', Buffer.concat([password, salt]), 'buffer');
  return timingSafeEqual(got, digest);
}

/** `{SSHA512}` text for `password` with `salt` (tests and the hash command). */
export function ssha512(password: Buffer, salt: Buffer): string {
  const d = oneShotHash('sha512', Buffer.concat([password, salt]), 'buffer');
  return Buffer.concat([d, salt]).toString('base64');
}
