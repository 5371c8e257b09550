/**
 * The throttle allow-list: client networks (CIDRs) that are never counted or locked out — webmail
 * front ends and monitoring that log in for many users from one address.
 *
 * Owns: parsing CIDRs (ipaddr.js) and matching a Client-IP against them, IPv4-mapped IPv6 included.
 */
import ipaddr from 'ipaddr.js';

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

export class AllowList {
  readonly #v4: Range[] = [];
  readonly #v6: Range[] = [];

  /** Throws on a malformed CIDR (config time). A bare address is a /32 or /128. */
  constructor(cidrs: readonly string[]) {
    for (const c of cidrs) {
      const range: Range = c.includes('/') ? ipaddr.parseCIDR(c) : [ipaddr.parse(c), ipaddr.parse(c).kind() === 'ipv4' ? 32 : 128];
      (range[0].kind() === 'ipv4' ? this.#v4 : this.#v6).push(range);
    }
  }

  get size(): number {
    return this.#v4.length + this.#v6.length;
  }

  has(ip: string): boolean {
    if (this.size === 0 || !ipaddr.isValid(ip)) return false;
    let addr = ipaddr.parse(ip);
    if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) addr = (addr as ipaddr.IPv6).toIPv4Address();
    const list = addr.kind() === 'ipv4' ? this.#v4 : this.#v6;
    for (const r of list) if (addr.match(r)) return true;
    return false;
  }
}
