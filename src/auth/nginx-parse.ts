/**
 * nginx's number and address parsers, as the auth_http response needs them (reference 3.4, 3.5).
 *
 * Owns: exact mirrors of ngx_atoi (Auth-Wait, Auth-Port), ngx_inet_addr and ngx_inet6_addr (via
 * ngx_parse_addr, for Auth-Server), and a canonical text for the parsed address that `net.connect`
 * accepts. nginx accepts forms Node does not (`1..2.3` is 1.0.2.3, `:1:2:3:4:5:6:7:8` is an IPv6
 * address) and rejects some Node accepts (`255.255.255.255` collides with INADDR_NONE), so Node's
 * `net.isIP` would not do. Does not own header parsing or the outcome rules.
 */

/** ngx_atoi's NGX_ERROR. */
export const ATOI_ERROR = -1;

// NGX_MAX_INT_T_VALUE on 64-bit Linux, as text: ngx_atoi rejects anything larger.
const MAX_INT_T_TEXT = '9223372036854775807';

/**
 * nginx: ngx_atoi — decimal digits only, at least one, no sign, at most NGX_MAX_INT_T_VALUE.
 * Returns ATOI_ERROR otherwise. Values above 2^53 come back rounded (callers clamp them anyway).
 */
export function ngxAtoi(buf: Buffer, start: number, end: number): number {
  if (end <= start) return ATOI_ERROR;
  let value = 0;
  let firstSignificant = -1;
  for (let i = start; i < end; i++) {
    const c = buf[i] as number;
    if (c < 0x30 || c > 0x39) return ATOI_ERROR;
    if (firstSignificant < 0 && c !== 0x30) firstSignificant = i;
    value = value * 10 + (c - 0x30);
  }
  if (firstSignificant >= 0) {
    const digits = end - firstSignificant;
    if (digits > MAX_INT_T_TEXT.length) return ATOI_ERROR;
    if (digits === MAX_INT_T_TEXT.length && buf.toString('latin1', firstSignificant, end) > MAX_INT_T_TEXT)
      return ATOI_ERROR;
  }
  return value;
}

/** nginx: INADDR_NONE, which ngx_inet_addr returns for errors and, by collision, for 255.255.255.255. */
const INADDR_NONE = 0xffffffff;

/**
 * nginx: ngx_inet_addr — `a.b.c.d` with exactly three dots and octets ≤ 255; empty octets count as 0
 * and leading zeros are decimal. Returns the address as a host-order uint32, or -1.
 */
export function ngxInetAddr(buf: Buffer, start: number, end: number): number {
  let addr = 0;
  let octet = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = buf[i] as number;
    if (c >= 0x30 && c <= 0x39) {
      octet = octet * 10 + (c - 0x30);
      if (octet > 255) return -1;
      continue;
    }
    if (c === 0x2e) {
      addr = addr * 256 + octet;
      octet = 0;
      dots++;
      continue;
    }
    return -1;
  }
  if (dots !== 3) return -1;
  addr = addr * 256 + octet;
  // nginx: a valid 255.255.255.255 equals INADDR_NONE and is rejected by every caller.
  return addr === INADDR_NONE ? -1 : addr;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

/** nginx: ngx_inet6_addr — the 16 bytes, or null. Mirrors its acceptance exactly (see the header comment). */
export function ngxInet6Addr(buf: Buffer, start: number, end: number): Uint8Array | null {
  let len = end - start;
  if (len === 0) return null;
  const addr = new Uint8Array(16);
  let a = 0;
  let zero = -1;
  let digit = -1;
  let nibbles = 0;
  let word = 0;
  let n = 8;
  let p = start;
  if (buf[p] === 0x3a) {
    p++;
    len--;
  }
  for (; len > 0; len--) {
    const c = buf[p++] as number;
    if (c === 0x3a) {
      if (nibbles > 0) {
        digit = p;
        addr[a++] = (word >>> 8) & 0xff;
        addr[a++] = word & 0xff;
        if (--n > 0) {
          nibbles = 0;
          word = 0;
          continue;
        }
      } else if (zero < 0) {
        digit = p;
        zero = a;
        continue;
      }
      return null;
    }
    if (c === 0x2e && nibbles > 0) {
      // an embedded IPv4 address runs from after the last colon to the end
      if (n < 2 || digit < 0) return null;
      const v4 = ngxInetAddr(buf, digit, end);
      if (v4 < 0) return null;
      word = v4;
      addr[a++] = (v4 >>> 24) & 0xff;
      addr[a++] = (v4 >>> 16) & 0xff;
      n--;
      break;
    }
    if (++nibbles > 4) return null;
    const h = hexValue(c);
    if (h < 0) return null;
    word = word * 16 + h;
  }
  if (nibbles === 0 && zero < 0) return null;
  addr[a++] = (word >>> 8) & 0xff;
  addr[a++] = word & 0xff;
  if (--n > 0) {
    if (zero >= 0) {
      // move the words after "::" to the end and zero the gap
      const gap = n * 2;
      for (let s = a - 1; s >= zero; s--) addr[s + gap] = addr[s] as number;
      addr.fill(0, zero, zero + gap);
      return addr;
    }
  } else if (zero < 0) {
    return addr;
  }
  return null;
}

/** A parsed Auth-Server: the family and a canonical text `net.connect` accepts. */
export interface ParsedAddr {
  readonly family: 4 | 6;
  readonly text: string;
}

/** nginx: ngx_parse_addr — IPv4 first, then IPv6; never a host name, never brackets. */
export function ngxParseAddr(buf: Buffer, start: number, end: number): ParsedAddr | null {
  const v4 = ngxInetAddr(buf, start, end);
  if (v4 >= 0) return { family: 4, text: ipv4Text(v4) };
  const v6 = ngxInet6Addr(buf, start, end);
  if (v6 !== null) return { family: 6, text: ipv6Text(v6) };
  return null;
}

function ipv4Text(v: number): string {
  return `${(v >>> 24) & 0xff}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
}

/** RFC 5952 text: lowercase hex, the longest run of two or more zero words as `::`, v4-mapped as dotted. */
export function ipv6Text(b: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((b[i] as number) << 8) | (b[i + 1] as number));
  const mapped = words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff;
  if (mapped) return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]): string => ws.map((w) => w.toString(16)).join(':');
  if (bestStart < 0) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLen))}`;
}
