/**
 * One password check, whatever the scheme, run where it is called: the piscina worker runs this for
 * the slow schemes, the event loop for the cheap ones (see pool.ts).
 *
 * Owns: the dispatch from Scheme to its implementation. Does not own threads or caching.
 */
import type { Scheme } from './schemes.js';
import { verifyShaCrypt } from './sha-crypt.js';
import { verifyPlain, verifySsha512 } from './simple.js';
import { verifyArgon2id, verifyBcrypt } from './wasm-schemes.js';

export async function verifyPassword(scheme: Scheme, value: string, password: Buffer): Promise<boolean> {
  switch (scheme) {
    case 'PLAIN':
      return verifyPlain(value, password);
    case 'SSHA512':
      return verifySsha512(value, password);
    case 'SHA512-CRYPT':
    case 'SHA256-CRYPT':
      return verifyShaCrypt(value, password);
    case 'BLF-CRYPT':
      return verifyBcrypt(value, password);
    case 'ARGON2ID':
      return verifyArgon2id(value, password);
  }
}
