/**
 * The challenge-response checks that need the cleartext password: APOP (RFC 1939 section 7:
 * MD5 of the greeting's timestamp followed by the password, lowercase hex) and CRAM-MD5 (RFC 2195:
 * HMAC-MD5 keyed with the password over the challenge, lowercase hex). The proxy sends the client's
 * digest as Auth-Pass and the challenge as Auth-Salt (reference 4.4.3–4.4.5).
 *
 * Owns: computing and comparing the digests in constant time (hex compared case-insensitively).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

function sameHex(want: string, got: Buffer): boolean {
  const g = Buffer.from(got.toString('latin1').toLowerCase(), 'latin1');
  const w = Buffer.from(want, 'latin1');
  return g.length === w.length && timingSafeEqual(g, w);
}

export function verifyApop(salt: string, password: Buffer, digest: Buffer): boolean {
  const want = createHash('md5').update(Buffer.from(salt, 'latin1')).update(password).digest('hex');
  return sameHex(want, digest);
}

export function verifyCramMd5(challenge: string, password: Buffer, digest: Buffer): boolean {
  const want = createHmac('md5', password).update(Buffer.from(challenge, 'latin1')).digest('hex');
  return sameHex(want, digest);
}
