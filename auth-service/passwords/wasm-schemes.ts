/**
 * BLF-CRYPT (bcrypt, `$2a$`/`$2b$`/`$2y$`) and ARGON2ID (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`), on the
 * `hash-wasm` package (WebAssembly: no native build, nothing downloaded at install time).
 *
 * Owns: parsing both string forms, recomputing the hash with the stored parameters and comparing it in
 * constant time. The digest is recomputed from the parsed salt rather than handed to a library's
 * `verify`, so the `$2y$` prefix Dovecot writes and the `$2b$` prefix the library writes compare alike.
 * Does not own the thread it runs on: only the piscina worker calls these (they take milliseconds).
 *
 * `hash-wasm` is loaded on first use. Until it is installed these schemes answer "unsupported" and the
 * login fails with an error logged, instead of the service refusing to start.
 */
import { timingSafeEqual } from 'node:crypto';

interface HashWasm {
  bcrypt(o: { password: Uint8Array; salt: Uint8Array; costFactor: number; outputType: 'encoded' }): Promise<string>;
  argon2id(o: {
    password: Uint8Array;
    salt: Uint8Array;
    iterations: number;
    parallelism: number;
    memorySize: number;
    hashLength: number;
    outputType: 'binary';
  }): Promise<Uint8Array>;
}

let loaded: Promise<HashWasm | null> | null = null;

/** The hash-wasm module, or null when it is not installed. */
export function loadHashWasm(): Promise<HashWasm | null> {
  // A variable specifier keeps tsc from requiring the package at build time.
  const specifier = 'hash-wasm';
  loaded ??= (import(specifier) as Promise<HashWasm>).catch(() => null);
  return loaded;
}

export class SchemeUnavailableError extends Error {
  constructor(scheme: string) {
    super(`password scheme ${scheme} needs the hash-wasm package, which is not installed`);
    this.name = 'SchemeUnavailableError';
  }
}

const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const BCRYPT_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < BCRYPT_ALPHABET.length; i++) BCRYPT_INDEX[BCRYPT_ALPHABET.charCodeAt(i)] = i;

/** bcrypt's own base64 (no padding, its alphabet) → bytes; null on a bad character. */
function bcryptBase64Decode(text: string, maxBytes: number): Buffer | null {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < text.length && out.length < maxBytes; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? (BCRYPT_INDEX[c] as number) : -1;
    if (v < 0) return null;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

export async function verifyBcrypt(stored: string, password: Buffer): Promise<boolean> {
  const m = /^\$2[abxy]?\$(\d\d)\$([./A-Za-z0-9]{22})([./A-Za-z0-9]{31})$/.exec(stored.trim());
  if (m === null) return false;
  const cost = Number(m[1]);
  if (cost < 4 || cost > 31) return false;
  const salt = bcryptBase64Decode(m[2] as string, 16);
  if (salt?.length !== 16) return false;
  const hw = await loadHashWasm();
  if (hw === null) throw new SchemeUnavailableError('BLF-CRYPT');
  // bcrypt uses at most 72 bytes of the password (the library truncates the same way)
  const encoded = await hw.bcrypt({ password: password.subarray(0, 72), salt, costFactor: cost, outputType: 'encoded' });
  const got = Buffer.from(encoded.slice(-31));
  const want = Buffer.from(m[3] as string);
  return timingSafeEqual(got, want);
}

/** PHC base64: standard alphabet, padding omitted. */
function phcBase64(text: string): Buffer | null {
  if (!/^[A-Za-z0-9+/]+$/.test(text)) return null;
  return Buffer.from(text, 'base64');
}

export async function verifyArgon2id(stored: string, password: Buffer): Promise<boolean> {
  const m = /^\$argon2id\$(?:v=(\d+)\$)?m=(\d+),t=(\d+),p=(\d+)(?:,[^$]*)?\$([^$]+)\$([^$]+)$/.exec(stored.trim());
  if (m === null) return false;
  if (m[1] !== undefined && m[1] !== '19') return false;
  const memorySize = Number(m[2]);
  const iterations = Number(m[3]);
  const parallelism = Number(m[4]);
  const salt = phcBase64(m[5] as string);
  const want = phcBase64(m[6] as string);
  if (salt === null || want === null || want.length < 4 || salt.length < 8) return false;
  // Refuse parameters that would let one stored hash exhaust a worker (4 GiB, 100 passes).
  if (memorySize > 4 * 1024 * 1024 || iterations > 100 || parallelism < 1 || parallelism > 64) return false;
  const hw = await loadHashWasm();
  if (hw === null) throw new SchemeUnavailableError('ARGON2ID');
  const got = Buffer.from(
    await hw.argon2id({ password, salt, iterations, parallelism, memorySize, hashLength: want.length, outputType: 'binary' }),
  );
  return got.length === want.length && timingSafeEqual(got, want);
}
