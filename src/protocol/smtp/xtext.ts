/**
 * xtext (RFC 3461 section 4), the encoding of XCLIENT attribute values (nginx 1.29.2 encodes LOGIN=).
 *
 * Owns: the byte rule only: `!` to `~` pass except `+` and `=`; every other byte becomes `+XX` with
 * uppercase hex. Pure.
 */

const HEX = '0123456789ABCDEF';

function passes(c: number): boolean {
  return c > 0x20 && c < 0x7f && c !== 0x2b && c !== 0x3d;
}

/** Encode `value` as xtext. Returns `value` itself when nothing needs escaping. */
export function xtextEncode(value: Buffer): Buffer {
  let extra = 0;
  for (let i = 0; i < value.length; i++) if (!passes(value[i] as number)) extra += 2;
  if (extra === 0) return value;
  const out = Buffer.allocUnsafe(value.length + extra);
  let o = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i] as number;
    if (passes(c)) {
      out[o++] = c;
    } else {
      out[o++] = 0x2b; // +
      out[o++] = HEX.charCodeAt(c >> 4);
      out[o++] = HEX.charCodeAt(c & 0x0f);
    }
  }
  return out;
}
