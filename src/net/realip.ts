/**
 * `set_real_ip_from`: the client address a PROXY protocol header may set (nginx: ngx_mail_realip_module,
 * reference 6.6).
 *
 * Owns: compiling the trusted list once per server and deciding, for one connection, the effective client
 * address and port. Pure: no sockets. Does not own: parsing the header (proxy-protocol.ts) or what the
 * session changes with the result (log context, Client-IP, XCLIENT ADDR, outgoing PROXY header).
 *
 * The header's source replaces the peer only when all hold, as in nginx: the list is not empty, the
 * header carried addresses (not `UNKNOWN`/`LOCAL`), the immediate peer is trusted, and the source parses
 * as an IP address. The new text is nginx's (ngx_sock_ntop): dotted quad, or ngx_inet6_ntop's IPv6 form.
 *
 * IPv4-mapped peers (ours, deliberately): a balancer reaching a dual-stack `[::]` listener over IPv4 shows
 * up as `::ffff:a.b.c.d`; nginx's ngx_cidr_match compares it with IPv6 entries only, so
 * `set_real_ip_from 10.0.0.0/8` would not trust it. Here such a peer is trusted by IPv4 entries for
 * `a.b.c.d` as well as by IPv6 entries for the full address.
 */
import { inRange, parseCidrRange, toIpaddr, type CidrRange } from './cidr.js';
import { inetNtop, parseIp, unmapIpv4 } from './inet-text.js';
import type { ProxyHeader } from './proxy-protocol.js';

/** The compiled `set_real_ip_from` list of one server. */
export interface RealIpTrust {
  readonly empty: boolean;
  /** a `unix:` entry: every UNIX-socket peer is trusted */
  readonly unix: boolean;
  readonly ranges: readonly CidrRange[];
}

export type RealIpResult =
  | { readonly changed: false }
  | {
      readonly changed: true;
      /** nginx's address text, without port */
      readonly address: string;
      readonly port: number;
      readonly family: 4 | 6;
    };

const UNCHANGED: RealIpResult = { changed: false };

/** Compiles `ServerConfig.realIpFrom` (CIDRs in canonical text, or `unix:`). */
export function compileRealIpFrom(list: readonly string[]): RealIpTrust {
  let unix = false;
  const ranges: CidrRange[] = [];
  for (const entry of list) {
    if (entry === 'unix:') unix = true;
    else ranges.push(parseCidrRange(entry));
  }
  return { empty: list.length === 0, unix, ranges };
}

/** True when the immediate peer (`unix:…` or IP text as Node reports it) is in the trusted list. */
export function isTrustedPeer(trust: RealIpTrust, peer: string): boolean {
  if (peer.startsWith('unix:')) return trust.unix;
  const ip = parseIp(peer);
  if (ip === null) return false;
  const addr = toIpaddr(ip);
  if (trust.ranges.some((r) => inRange(addr, r))) return true;
  const mapped = unmapIpv4(ip);
  if (mapped === null) return false;
  const v4 = toIpaddr(mapped);
  return trust.ranges.some((r) => inRange(v4, r));
}

/**
 * nginx: ngx_mail_realip_handler. `peer` is the connection's own peer (`unix:` for UNIX sockets);
 * `header` the parsed PROXY header, or null when the listener has no `proxy_protocol`.
 */
export function realClientAddress(trust: RealIpTrust, peer: string, header: ProxyHeader | null): RealIpResult {
  if (trust.empty || header === null || header.addresses === null) return UNCHANGED;
  if (!isTrustedPeer(trust, peer)) return UNCHANGED;
  const src = parseIp(header.addresses.srcAddr);
  if (src === null) return UNCHANGED;
  return { changed: true, address: inetNtop(src.bytes), port: header.addresses.srcPort, family: src.family };
}
