/**
 * CIDR lists compiled once per server for the access and realip jobs.
 *
 * Owns: turning config text (`10.0.0.0/8`, `2001:db8::/32`, a bare address) into ipaddr.js ranges split by
 * family, and matching an address against them. Does not own: what a match means (access.ts, realip.ts)
 * or `unix:` / `all` entries (the callers handle those words).
 *
 * IPv4-mapped IPv6 peers (`::ffff:a.b.c.d`, what a dual-stack `[::]` socket reports for IPv4 clients) are
 * matched by the caller choosing which address to try; this module matches exactly what it is given.
 */
import { ProxyError } from '../errors.js';
import ipaddr from 'ipaddr.js';
import type { IpBytes } from './inet-text.js';

export interface CidrRange {
  /** the text as configured, for logs and for reporting the matching rule */
  readonly text: string;
  readonly family: 4 | 6;
  readonly range: [ipaddr.IPv4 | ipaddr.IPv6, number];
}

/** Parses one CIDR or single address; throws ProxyError(ERR_CONFIG_SYNTAX) for text config/ should have refused. */
export function parseCidrRange(text: string): CidrRange {
  let range: [ipaddr.IPv4 | ipaddr.IPv6, number];
  try {
    if (text.includes('/')) {
      range = ipaddr.parseCIDR(text);
    } else {
      const a = ipaddr.parse(text);
      range = [a, a.kind() === 'ipv4' ? 32 : 128];
    }
  } catch (cause) {
    throw new ProxyError('ERR_CONFIG_SYNTAX', `invalid address "${text}"`, { cause });
  }
  return { text, family: range[0].kind() === 'ipv4' ? 4 : 6, range };
}

/** An ipaddr.js address object for raw bytes (4 or 16). */
export function toIpaddr(ip: IpBytes): ipaddr.IPv4 | ipaddr.IPv6 {
  return ipaddr.fromByteArray(Array.from(ip.bytes));
}

/** True when `addr` lies in `r` (families must agree; a v4 address never matches a v6 range). */
export function inRange(addr: ipaddr.IPv4 | ipaddr.IPv6, r: CidrRange): boolean {
  // ipaddr.js throws when the kinds differ
  return addr.kind() === r.range[0].kind() && addr.match(r.range);
}
