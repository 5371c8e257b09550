/**
 * nginx's `%XX` escaping of Auth-User, Auth-Pass and Auth-SSL-Cert (reference 3.2).
 *
 * Owns: which bytes are escaped and the exact output form. nginx escapes with ngx_escape_uri() and its
 * NGX_ESCAPE_MAIL_AUTH map: the bytes 0x00–0x1F, space and `%`, each as `%` plus two uppercase hex digits.
 * Everything else passes raw, DEL (0x7F) and bytes ≥ 0x80 (so UTF-8) included.
 * Does not own unescaping (the auth service's side) or anything about where the headers go.
 */

/** 1 for a byte nginx escapes in auth headers. */
const ESCAPED = new Uint8Array(256);
for (let b = 0; b < 0x20; b++) ESCAPED[b] = 1;
ESCAPED[0x20] = 1; // space
ESCAPED[0x25] = 1; // %

// nginx: ngx_escape_uri writes the hex digits from "0123456789ABCDEF".
const HEX = Buffer.from('0123456789ABCDEF', 'latin1');

/** How many bytes of `src` need escaping (each grows by two bytes). */
export function countEscapes(src: Buffer): number {
  let n = 0;
  for (let i = 0; i < src.length; i++) n += ESCAPED[src[i] as number] as number;
  return n;
}

/** The length of `src` once escaped. */
export function escapedLength(src: Buffer): number {
  return src.length + 2 * countEscapes(src);
}

/**
 * Write `src` escaped into `dst` at `offset`; returns the offset after the last byte written.
 * `escapes` is countEscapes(src), which the caller already computed to size `dst`.
 */
export function writeEscaped(src: Buffer, dst: Buffer, offset: number, escapes: number): number {
  if (escapes === 0) return offset + src.copy(dst, offset);
  let o = offset;
  for (let i = 0; i < src.length; i++) {
    const b = src[i] as number;
    if (ESCAPED[b] === 1) {
      dst[o++] = 0x25;
      dst[o++] = HEX[b >> 4] as number;
      dst[o++] = HEX[b & 0x0f] as number;
    } else {
      dst[o++] = b;
    }
  }
  return o;
}

/** A new Buffer holding `src` escaped (tests and callers off the hot path). */
export function escapeAuthValue(src: Buffer): Buffer {
  const escapes = countEscapes(src);
  if (escapes === 0) return Buffer.from(src);
  const dst = Buffer.allocUnsafe(src.length + 2 * escapes);
  writeEscaped(src, dst, 0, escapes);
  return dst;
}
