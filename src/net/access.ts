/**
 * `allow` / `deny` for mail servers (ours: nginx has these only in http and stream), evaluated the way
 * nginx's access modules do (ngx_stream_access_handler, ngx_http_access_handler).
 *
 * Owns: compiling `ServerConfig.access` once per server and deciding for one client address. Pure: no
 * sockets, no logging (the caller logs `ACCESS_FORBIDDEN_LOG` at error and closes without a reply).
 * Does not own: which address is the client's (realip.ts runs first when PROXY protocol is in use).
 *
 * nginx keeps one rule list per family (IPv4, IPv6, UNIX); `all` belongs to every list and `unix:` to the
 * UNIX list only; within a list the first match wins, and no match allows. An IPv4-mapped IPv6 client
 * (`::ffff:a.b.c.d` on a dual-stack socket) is checked as the IPv4 address against the IPv4 list when
 * that list has rules, as nginx does, and otherwise as IPv6 against the IPv6 list.
 */
import type { AccessRule } from '../config/types.js';
import { inRange, parseCidrRange, toIpaddr, type CidrRange } from './cidr.js';
import { parseIp, unmapIpv4 } from './inet-text.js';

/** nginx: ngx_stream_access_found logs this at NGX_LOG_ERR when a deny rule matches. */
export const ACCESS_FORBIDDEN_LOG = 'access forbidden by rule';

interface Entry {
  readonly rule: AccessRule;
  /** null for `all` and `unix:` */
  readonly range: CidrRange | null;
}

/** A server's rules, split by family; build once with `compileAccess`. */
export interface CompiledAccess {
  readonly empty: boolean;
  readonly v4: readonly Entry[];
  readonly v6: readonly Entry[];
  readonly unix: readonly Entry[];
}

export type AccessDecision =
  | { readonly allowed: true; readonly rule: AccessRule | null }
  | { readonly allowed: false; readonly rule: AccessRule | null };

/** Compiles the rules of one server (config time; throws only on text config/ should have refused). */
export function compileAccess(rules: readonly AccessRule[]): CompiledAccess {
  const v4: Entry[] = [];
  const v6: Entry[] = [];
  const unix: Entry[] = [];
  for (const rule of rules) {
    if (rule.match === 'all') {
      const e = { rule, range: null };
      v4.push(e);
      v6.push(e);
      unix.push(e);
    } else if (rule.match === 'unix:') {
      unix.push({ rule, range: null });
    } else {
      const range = parseCidrRange(rule.match);
      (range.family === 4 ? v4 : v6).push({ rule, range });
    }
  }
  return { empty: rules.length === 0, v4, v6, unix };
}

const ALLOW_NO_RULES: AccessDecision = { allowed: true, rule: null };

/**
 * Decides for a client address: `unix:` (or `unix:<path>`) for UNIX-socket clients, otherwise IP text as
 * Node reports it. An address that does not parse is denied when rules exist (fail closed).
 */
export function checkAccess(access: CompiledAccess, client: string): AccessDecision {
  if (access.empty) return ALLOW_NO_RULES;
  if (client.startsWith('unix:')) return firstMatch(access.unix, null);
  const ip = parseIp(client);
  if (ip === null) return { allowed: false, rule: null };
  if (ip.family === 4) return firstMatch(access.v4, toIpaddr(ip));
  const mapped = unmapIpv4(ip);
  // nginx: a v4-mapped client meets the IPv4 rules when there are any (ngx_http_access_handler)
  if (mapped !== null && access.v4.length > 0) return firstMatch(access.v4, toIpaddr(mapped));
  return firstMatch(access.v6, toIpaddr(ip));
}

function firstMatch(list: readonly Entry[], addr: ReturnType<typeof toIpaddr> | null): AccessDecision {
  for (const e of list) {
    if (e.range === null || (addr !== null && inRange(addr, e.range))) {
      return { allowed: e.rule.action === 'allow', rule: e.rule };
    }
  }
  return ALLOW_NO_RULES;
}
