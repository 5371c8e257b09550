/**
 * A minimal DER reader: just enough of X.690 to walk an X.509 certificate to its serial number, issuer and
 * subject (cert-fields.ts). Pure; throws `DerError` on malformed input (callers catch it: a certificate
 * OpenSSL accepted is well-formed, so this is a bug guard, not a protocol path).
 */

export class DerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DerError';
  }
}

/** One TLV: its tag byte, where its content starts and ends, and where the whole element starts. */
export interface DerNode {
  readonly tag: number;
  readonly start: number;
  readonly contentStart: number;
  readonly end: number;
}

/** ASN.1 universal tags used here. */
export const TAG = {
  INTEGER: 0x02,
  OID: 0x06,
  SEQUENCE: 0x30,
  SET: 0x31,
  CONTEXT_0: 0xa0,
} as const;

/** Reads the element at `offset` of `buf` (which must lie within `limit`). */
export function readNode(buf: Uint8Array, offset: number, limit: number = buf.length): DerNode {
  if (offset + 2 > limit) throw new DerError('truncated element');
  const tag = buf[offset] ?? 0;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte tags are not used in certificates');
  let p = offset + 1;
  const first = buf[p++] ?? 0;
  let length: number;
  if (first < 0x80) {
    length = first;
  } else {
    const n = first & 0x7f;
    if (n === 0 || n > 4) throw new DerError('unsupported length');
    if (p + n > limit) throw new DerError('truncated length');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + (buf[p++] ?? 0);
  }
  const end = p + length;
  if (end > limit) throw new DerError('element runs past its container');
  return { tag, start: offset, contentStart: p, end };
}

/** The children of a constructed element. */
export function children(buf: Uint8Array, node: DerNode): DerNode[] {
  const out: DerNode[] = [];
  let p = node.contentStart;
  while (p < node.end) {
    const c = readNode(buf, p, node.end);
    out.push(c);
    p = c.end;
  }
  return out;
}

/** Dotted text of an OBJECT IDENTIFIER's content. */
export function oidText(buf: Uint8Array, node: DerNode): string {
  const parts: number[] = [];
  let value = 0;
  let first = true;
  for (let p = node.contentStart; p < node.end; p++) {
    const b = buf[p] ?? 0;
    value = value * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      if (first) {
        const x = value < 40 ? 0 : value < 80 ? 1 : 2;
        parts.push(x, value - x * 40);
        first = false;
      } else {
        parts.push(value);
      }
      value = 0;
    }
  }
  return parts.join('.');
}
