/**
 * Undoing the proxy's `%XX` escaping of Auth-User and Auth-Pass (reference 3.2: nginx escapes bytes
 * 0x00–0x1F, space and `%` as `%` plus two uppercase hex digits; everything else is sent raw).
 *
 * Owns: strict decoding — a `%` not followed by two hex digits is malformed (the proxy never sends
 * one, so it means a broken or hostile client) and the request is refused. Lowercase hex is accepted.
 */

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** The decoded bytes, or null when an escape is malformed. Returns `src` itself when it has no `%`. */
export function percentDecode(src: Buffer): Buffer | null {
  const pct = src.indexOf(0x25);
  if (pct < 0) return src;
  const out = Buffer.allocUnsafe(src.length);
  let o = src.copy(out, 0, 0, pct);
  let i = pct;
  while (i < src.length) {
    const b = src[i] as number;
    if (b !== 0x25) {
      out[o++] = b;
      i++;
      continue;
    }
    if (i + 2 >= src.length) return null;
    const hi = hexVal(src[i + 1] as number);
    const lo = hexVal(src[i + 2] as number);
    if (hi < 0 || lo < 0) return null;
    out[o++] = (hi << 4) | lo;
    i += 3;
  }
  return out.subarray(0, o);
}
