/**
 * SHA256-CRYPT and SHA512-CRYPT (`$5$` / `$6$`), the glibc crypt(3) schemes Dovecot stores as
 * `{SHA256-CRYPT}` / `{SHA512-CRYPT}`, implemented from the published algorithm description
 * ("Unix crypt using SHA-256 and SHA-512", U. Drepper, 2007) on node:crypto.
 *
 * Owns: parsing a `$5$`/`$6$` string (optional `rounds=N$`, salt of at most 16 bytes), computing the
 * digest and its crypt-base64 text, and a constant-time check. Does not own scheme prefixes (`{...}`,
 * see schemes.ts) or where the work runs (the piscina pool, see pool.ts).
 *
 * Speed: each round hashes one contiguous Buffer with `crypto.hash` (no Hash object per round); the
 * round inputs are laid out once so a round only copies the previous digest in.
 */
import { hash as oneShotHash, timingSafeEqual } from 'node:crypto';

export type ShaCryptVariant = 'sha256' | 'sha512';

const ROUNDS_DEFAULT = 5000;
const ROUNDS_MIN = 1000;
const ROUNDS_MAX = 999_999_999;
const SALT_MAX = 16;

/** crypt(3)'s base64 alphabet (not RFC 4648's). */
const ALPHABET = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** The order the digest bytes are packed into 24-bit groups (published tables). */
const ORDER_512: readonly (readonly [number, number, number])[] = [
  [0, 21, 42], [22, 43, 1], [44, 2, 23], [3, 24, 45], [25, 46, 4], [47, 5, 26], [6, 27, 48],
  [28, 49, 7], [50, 8, 29], [9, 30, 51], [31, 52, 10], [53, 11, 32], [12, 33, 54], [34, 55, 13],
  [56, 14, 35], [15, 36, 57], [37, 58, 16], [59, 17, 38], [18, 39, 60], [40, 61, 19], [62, 20, 41],
];
const ORDER_256: readonly (readonly [number, number, number])[] = [
  [0, 10, 20], [21, 1, 11], [12, 22, 2], [3, 13, 23], [24, 4, 14], [15, 25, 5], [6, 16, 26],
  [27, 7, 17], [18, 28, 8], [9, 19, 29],
];

export interface ShaCryptParams {
  readonly variant: ShaCryptVariant;
  readonly salt: Buffer;
  readonly rounds: number;
  /** true when the string named its rounds (they are then printed back) */
  readonly roundsGiven: boolean;
  /** the encoded digest after the last `$` */
  readonly digest: string;
}

/** Parses `$5$[rounds=N$]salt$digest` / `$6$…`; null when it is not such a string. */
export function parseShaCrypt(text: string): ShaCryptParams | null {
  let variant: ShaCryptVariant;
  if (text.startsWith('$5$')) variant = 'sha256';
  else if (text.startsWith('$6$')) variant = 'sha512';
  else return null;
  let rest = text.slice(3);
  let rounds = ROUNDS_DEFAULT;
  let roundsGiven = false;
  const m = /^rounds=(\d{1,10})\$/.exec(rest);
  if (m) {
    // glibc clamps out-of-range counts rather than refusing them
    rounds = Math.min(ROUNDS_MAX, Math.max(ROUNDS_MIN, Number(m[1])));
    roundsGiven = true;
    rest = rest.slice(m[0].length);
  }
  const dollar = rest.lastIndexOf('$');
  if (dollar < 0) return null;
  const salt = Buffer.from(rest.slice(0, dollar), 'utf8').subarray(0, SALT_MAX);
  const digest = rest.slice(dollar + 1);
  if (salt.includes(0x24)) return null;
  return { variant, salt, rounds, roundsGiven, digest };
}

function h(variant: ShaCryptVariant, data: Buffer): Buffer {
  return oneShotHash(variant, data, 'buffer');
}

/** `len` bytes made of `block` repeated (the last copy cut short). */
function repeatTo(block: Buffer, len: number): Buffer {
  const out = Buffer.allocUnsafe(len);
  for (let o = 0; o < len; o += block.length) block.copy(out, o, 0, Math.min(block.length, len - o));
  return out;
}

/** The raw digest for `password` under `params` (salt and rounds). */
export function shaCryptDigest(variant: ShaCryptVariant, password: Buffer, salt: Buffer, rounds: number): Buffer {
  const hl = variant === 'sha512' ? 64 : 32;
  const pl = password.length;
  const b = h(variant, Buffer.concat([password, salt, password]));
  const aParts: Buffer[] = [password, salt, repeatTo(b, pl)];
  for (let n = pl; n > 0; n >>>= 1) aParts.push((n & 1) !== 0 ? b : password);
  let c = h(variant, Buffer.concat(aParts));

  const dp = h(variant, repeatTo(password, pl * pl));
  const p = repeatTo(dp, pl);
  const ds = h(variant, repeatTo(salt, salt.length * (16 + (c[0] as number))));
  const s = ds.subarray(0, salt.length);

  // Each round hashes: (odd ? P : C) + (i%3 ? S : '') + (i%7 ? P : '') + (odd ? C : P).
  // Lay out the four possible buffers once per shape and only copy C in.
  const shapes = new Map<number, { buf: Buffer; cAt: number }>();
  const shapeOf = (i: number): { buf: Buffer; cAt: number } => {
    const key = (i & 1) | (i % 3 !== 0 ? 2 : 0) | (i % 7 !== 0 ? 4 : 0);
    let shape = shapes.get(key);
    if (shape === undefined) {
      const odd = (i & 1) !== 0;
      const len = hl + pl + (i % 3 !== 0 ? s.length : 0) + (i % 7 !== 0 ? pl : 0);
      const buf = Buffer.allocUnsafe(len);
      let o = odd ? p.copy(buf, 0) : hl;
      if (i % 3 !== 0) o += s.copy(buf, o);
      if (i % 7 !== 0) o += p.copy(buf, o);
      // C goes first on even rounds, last on odd ones
      const cAt = odd ? o : 0;
      if (!odd) p.copy(buf, o);
      shape = { buf, cAt };
      shapes.set(key, shape);
    }
    return shape;
  };
  for (let i = 0; i < rounds; i++) {
    const shape = shapeOf(i);
    c.copy(shape.buf, shape.cAt);
    c = h(variant, shape.buf);
  }
  return c;
}

/** crypt-base64 of the final digest in the published byte order. */
export function encodeShaCrypt(variant: ShaCryptVariant, digest: Buffer): string {
  let out = '';
  const put = (b2: number, b1: number, b0: number, n: number): void => {
    let w = (b2 << 16) | (b1 << 8) | b0;
    for (let k = 0; k < n; k++) {
      out += ALPHABET.charAt(w & 0x3f);
      w >>>= 6;
    }
  };
  const at = (i: number): number => digest[i] as number;
  if (variant === 'sha512') {
    for (const [x, y, z] of ORDER_512) put(at(x), at(y), at(z), 4);
    put(0, 0, at(63), 2);
  } else {
    for (const [x, y, z] of ORDER_256) put(at(x), at(y), at(z), 4);
    put(0, at(31), at(30), 3);
  }
  return out;
}

/** The full `$5$`/`$6$` string for `password` (used by tests and the CLI's hash command). */
export function shaCrypt(variant: ShaCryptVariant, password: Buffer, salt: Buffer, rounds?: number): string {
  const r = rounds ?? ROUNDS_DEFAULT;
  const digest = encodeShaCrypt(variant, shaCryptDigest(variant, password, salt.subarray(0, SALT_MAX), r));
  const prefix = variant === 'sha512' ? '$6$' : '$5$';
  const roundsText = rounds === undefined ? '' : `rounds=${r}$`;
  return `${prefix}${roundsText}${salt.subarray(0, SALT_MAX).toString('utf8')}$${digest}`;
}

/** True when `password` matches the `$5$`/`$6$` string. Constant-time on the encoded digest. */
export function verifyShaCrypt(text: string, password: Buffer): boolean {
  const params = parseShaCrypt(text);
  if (params === null) return false;
  const got = Buffer.from(encodeShaCrypt(params.variant, shaCryptDigest(params.variant, password, params.salt, params.rounds)));
  const want = Buffer.from(params.digest);
  return got.length === want.length && timingSafeEqual(got, want);
}
