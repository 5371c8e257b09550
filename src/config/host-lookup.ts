/**
 * Host name lookups made while loading a configuration (listen, auth_http, resolver, set_real_ip_from,
 * debug_connection, syslog server).
 *
 * Owns: nginx's ngx_inet_resolve_host order — getaddrinfo with AI_ADDRCONFIG, IPv4 results first, then
 * IPv6, duplicates dropped. Does not own: what the caller does with several addresses.
 */
import { ADDRCONFIG } from 'node:dns';
import { lookup } from 'node:dns/promises';

export interface LookedUpAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Replaceable for tests (no network here): returns [] when the name does not resolve. */
export type HostLookup = (host: string) => Promise<readonly LookedUpAddress[]>;

export const systemLookup: HostLookup = async (host) => {
  try {
    const found = await lookup(host, { all: true, hints: ADDRCONFIG, order: 'verbatim' });
    const out: LookedUpAddress[] = [];
    for (const family of [4, 6] as const) {
      for (const a of found) {
        if (a.family === family && !out.some((o) => o.address === a.address))
          out.push({ address: a.address, family });
      }
    }
    return out;
  } catch {
    return [];
  }
};
