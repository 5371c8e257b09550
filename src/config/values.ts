/**
 * nginx's value parsers for directive arguments: numbers, sizes, offsets, times, IPv4/IPv6 literals and
 * CIDR masks, each accepting and rejecting exactly what nginx does.
 *
 * Owns: ngx_atoi, ngx_parse_size, ngx_parse_offset, ngx_parse_time (src/core/ngx_parse.c, ngx_string.c),
 * ngx_inet_addr, ngx_inet6_addr and ngx_ptocidr (src/core/ngx_inet.c), and canonical address text.
 * Does not own: error texts (callers know which directive failed) or host name lookups (host-lookup.ts).
 * Parsers return null on failure, as nginx's return NGX_ERROR.
 */
import { inet6Ntop } from '../inet6-ntop.js';

/** nginx: NGX_MAX_INT_T_VALUE on 64-bit Linux */
const MAX_INT = (1n << 63n) - 1n;

/** nginx: ngx_atoi — decimal digits only, no sign, no overflow past 2^63-1. */
export function atoi(text: string): number | null {
  const n = atoiBig(text);
  return n === null ? null : Number(n);
}

function atoiBig(text: string): bigint | null {
  if (text.length === 0 || !/^[0-9]+$/.test(text)) return null;
  const n = BigInt(text);
  return n > MAX_INT ? null : n;
}

/** nginx: ngx_parse_size — bytes, with an optional k/K or m/M suffix (no g: that is ngx_parse_offset). */
export function parseSize(text: string): number | null {
  return parseScaled(text, { k: 1024n, m: 1024n * 1024n });
}

/** nginx: ngx_parse_offset — bytes, with an optional k, m or g suffix. */
export function parseOffset(text: string): number | null {
  return parseScaled(text, { k: 1024n, m: 1024n * 1024n, g: 1024n * 1024n * 1024n });
}

function parseScaled(text: string, units: Readonly<Record<string, bigint>>): number | null {
  if (text.length === 0) return null;
  const unit = units[text.charAt(text.length - 1).toLowerCase()];
  const digits = unit === undefined ? text : text.slice(0, -1);
  const scale = unit ?? 1n;
  const n = atoiBig(digits);
  if (n === null || n > MAX_INT / scale) return null;
  return Number(n * scale);
}

const TIME_STEPS = ['start', 'year', 'month', 'week', 'day', 'hour', 'min', 'sec', 'msec', 'last'] as const;
type TimeStep = (typeof TIME_STEPS)[number];
const stepIndex = (s: TimeStep): number => TIME_STEPS.indexOf(s);

/**
 * nginx: ngx_parse_time. `isSec` parses seconds (ngx_conf_set_sec_slot), otherwise milliseconds
 * (ngx_conf_set_msec_slot), where `y` and `M` are rejected and `ms` is allowed. Units must come in
 * decreasing order, each once; a bare trailing number is seconds; spaces may separate parts.
 */
export function parseTime(text: string, isSec: boolean): number | null {
  let valid = false;
  let value = 0n;
  let total = 0n;
  let step: TimeStep = isSec ? 'start' : 'month';
  const cutoff = MAX_INT / 10n;
  const cutlim = MAX_INT % 10n;
  let p = 0;
  while (p < text.length) {
    const c = text.charAt(p);
    if (c >= '0' && c <= '9') {
      const d = BigInt(c.charCodeAt(0) - 48);
      if (value >= cutoff && (value > cutoff || d > cutlim)) return null;
      value = value * 10n + d;
      p++;
      valid = true;
      continue;
    }
    p++;
    let max: bigint;
    let scale: bigint;
    const at = stepIndex(step);
    switch (c) {
      case 'y':
        if (at > stepIndex('start')) return null;
        step = 'year';
        scale = 60n * 60n * 24n * 365n;
        break;
      case 'M':
        if (at >= stepIndex('month')) return null;
        step = 'month';
        scale = 60n * 60n * 24n * 30n;
        break;
      case 'w':
        if (at >= stepIndex('week')) return null;
        step = 'week';
        scale = 60n * 60n * 24n * 7n;
        break;
      case 'd':
        if (at >= stepIndex('day')) return null;
        step = 'day';
        scale = 60n * 60n * 24n;
        break;
      case 'h':
        if (at >= stepIndex('hour')) return null;
        step = 'hour';
        scale = 60n * 60n;
        break;
      case 'm':
        if (p < text.length && text.charAt(p) === 's') {
          if (isSec || at >= stepIndex('msec')) return null;
          p++;
          step = 'msec';
          scale = 1n;
          break;
        }
        if (at >= stepIndex('min')) return null;
        step = 'min';
        scale = 60n;
        break;
      case 's':
        if (at >= stepIndex('sec')) return null;
        step = 'sec';
        scale = 1n;
        break;
      case ' ':
        if (at >= stepIndex('sec')) return null;
        step = 'last';
        scale = 1n;
        break;
      default:
        return null;
    }
    max = MAX_INT / scale;
    if (step !== 'msec' && !isSec) {
      scale *= 1000n;
      max /= 1000n;
    }
    if (value > max) return null;
    value *= scale;
    if (total > MAX_INT - value) return null;
    total += value;
    value = 0n;
    while (p < text.length && text.charAt(p) === ' ') p++;
  }
  if (!valid) return null;
  if (!isSec) {
    if (value > MAX_INT / 1000n) return null;
    value *= 1000n;
  }
  if (total > MAX_INT - value) return null;
  return Number(total + value);
}

/** nginx: ngx_inet_addr — dotted quad, each part 0..255 (empty parts count as 0), exactly four parts. */
export function parseIPv4(text: string): number[] | null {
  const parts: number[] = [];
  let octet = 0;
  for (const c of text) {
    if (c >= '0' && c <= '9') {
      octet = octet * 10 + (c.charCodeAt(0) - 48);
      if (octet > 255) return null;
      continue;
    }
    if (c === '.') {
      parts.push(octet);
      octet = 0;
      continue;
    }
    return null;
  }
  if (parts.length !== 3) return null;
  parts.push(octet);
  // nginx compares with INADDR_NONE, so 255.255.255.255 is not an address to it
  if (parts.every((x) => x === 255)) return null;
  return parts;
}

/** nginx: ngx_inet6_addr — eight hex groups with one `::`, an embedded IPv4 tail allowed; 16 bytes. */
export function parseIPv6(text: string): number[] | null {
  if (text.length === 0) return null;
  let head = text;
  let v4: number[] | null = null;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    v4 = parseDottedStrict(text.slice(lastColon + 1));
    if (v4 === null) return null;
    head = text.slice(0, lastColon + 1);
    if (head.endsWith('::')) {
      // keep the "::" marker
    } else if (head.endsWith(':')) {
      head = head.slice(0, -1);
    }
  }
  const groupsWanted = v4 === null ? 8 : 6;
  const dbl = head.indexOf('::');
  if (dbl !== -1 && head.indexOf('::', dbl + 1) !== -1) return null;
  const parseGroups = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  let groups: number[];
  if (dbl === -1) {
    const g = parseGroups(head);
    if (g?.length !== groupsWanted) return null;
    groups = g;
  } else {
    const left = parseGroups(head.slice(0, dbl));
    const right = parseGroups(head.slice(dbl + 2));
    if (left === null || right === null) return null;
    const missing = groupsWanted - left.length - right.length;
    if (missing < 1) return null;
    groups = [...left, ...new Array<number>(missing).fill(0), ...right];
  }
  const bytes: number[] = [];
  for (const g of groups) bytes.push(g >> 8, g & 0xff);
  if (v4 !== null) bytes.push(...v4);
  return bytes;
}

function parseDottedStrict(text: string): number[] | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^[0-9]{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    out.push(n);
  }
  return out;
}

/** Canonical text of an address: dotted quad, or RFC 5952 compressed IPv6. */
export function formatAddress(bytes: readonly number[]): string {
  if (bytes.length === 4) return bytes.join('.');
  return inet6Ntop(Uint8Array.from(bytes));
}

export interface Cidr {
  readonly family: 4 | 6;
  readonly address: readonly number[];
  readonly prefix: number;
  /** the text had host bits set beyond the mask (nginx: NGX_DONE, "low address bits ... are meaningless") */
  readonly lowBits: boolean;
}

/** nginx: ngx_ptocidr — `addr` or `addr/bits`; host bits beyond the mask are cleared and reported. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const addrText = slash === -1 ? text : text.slice(0, slash);
  let address = parseIPv4(addrText);
  let family: 4 | 6 = 4;
  if (address === null) {
    address = parseIPv6(addrText);
    family = 6;
  }
  if (address === null) return null;
  const bits = family === 4 ? 32 : 128;
  if (slash === -1) return { family, address, prefix: bits, lowBits: false };
  const shift = atoi(text.slice(slash + 1));
  if (shift === null || shift > bits) return null;
  let lowBits = false;
  const masked = address.map((b, i) => {
    const keep = Math.max(0, Math.min(8, shift - i * 8));
    const m = keep === 0 ? 0 : (0xff << (8 - keep)) & 0xff;
    if ((b & m) !== b) lowBits = true;
    return b & m;
  });
  return { family, address: masked, prefix: shift, lowBits };
}

/** `10.0.0.0/8`, `192.0.2.1/32`, `2001:db8::/32` */
export function formatCidr(c: Cidr): string {
  return `${formatAddress(c.address)}/${String(c.prefix)}`;
}

/** nginx: ngx_strcasecmp against `on` / `off`. */
export function parseFlag(text: string): boolean | null {
  const lower = text.toLowerCase();
  if (lower === 'on') return true;
  if (lower === 'off') return false;
  return null;
}
