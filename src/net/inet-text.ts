/**
 * Address text as nginx prints it, and the strict address parsing the PROXY protocol and realip jobs need.
 *
 * Owns: `inet6Ntop` (nginx: ngx_inet6_ntop — the longest run of two or more zero groups becomes `::`, the
 * first one on a tie; `::ffff:a.b.c.d` and `::a.b.c.d` keep a dotted tail), `inetNtop` for 4- and 16-byte
 * addresses, and `parseIp` (an IPv4 dotted quad without leading zeros or an IPv6 text without a zone, to
 * bytes). Does not own: CIDR matching (cidr.ts) or address text of listening sockets (config/).
 */
import { isIPv4, isIPv6 } from 'node:net';
import ipaddr from 'ipaddr.js';

export { inet6Ntop } from '../inet6-ntop.js';
import { inet6Ntop } from '../inet6-ntop.js';

/** nginx: ngx_inet_ntop — a dotted quad for 4 bytes, ngx_inet6_ntop for 16. */
export function inetNtop(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${String(bytes[0])}.${String(bytes[1])}.${String(bytes[2])}.${String(bytes[3])}`;
  return inet6Ntop(bytes);
}

/** A parsed IP address: 4 or 16 bytes. */
export interface IpBytes {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
}

/**
 * Strict parse: an IPv4 dotted quad (no leading zeros, no shorthand) or an IPv6 text (no zone index).
 * Returns null for anything else, so untrusted text never reaches a lenient parser.
 */
export function parseIp(text: string): IpBytes | null {
  if (isIPv4(text)) return { family: 4, bytes: Uint8Array.from(ipaddr.IPv4.parse(text).toByteArray()) };
  if (text.includes('%') || !isIPv6(text)) return null;
  return { family: 6, bytes: Uint8Array.from(ipaddr.IPv6.parse(text).toByteArray()) };
}

/** The IPv4 address inside `::ffff:a.b.c.d`, or null. */
export function unmapIpv4(ip: IpBytes): IpBytes | null {
  if (ip.family !== 6) return null;
  for (let i = 0; i < 10; i++) if (ip.bytes[i] !== 0) return null;
  if (ip.bytes[10] !== 0xff || ip.bytes[11] !== 0xff) return null;
  return { family: 4, bytes: ip.bytes.slice(12, 16) };
}

/** `::ffff:a.b.c.d` for an IPv4 address. */
export function mapIpv4(ip: IpBytes): IpBytes {
  if (ip.family === 6) return ip;
  const bytes = new Uint8Array(16);
  bytes[10] = 0xff;
  bytes[11] = 0xff;
  bytes.set(ip.bytes, 12);
  return { family: 6, bytes };
}
