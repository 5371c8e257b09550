/**
 * Address arguments shared by several directives: `debug_connection` and `set_real_ip_from` (unix:,
 * CIDR, address or host name) and the allow/deny family (`all`, unix:, CIDR or address).
 *
 * Owns: ngx_event_debug_connection / ngx_mail_realip_from's parsing and ngx_http_access_rule's, with
 * their texts (`low address bits of ... are meaningless`, `host not found in ...`,
 * `invalid parameter "..."`). Does not own: what the rules mean at run time.
 */
import type { SetContext } from './state.js';
import type { AccessRule } from './types.js';
import { formatCidr, parseCidr, parseIPv4, parseIPv6 } from './values.js';

/** nginx: ngx_event_debug_connection and ngx_mail_realip_from share this form: unix:, CIDR, or a host. */
export async function parseAddressRule(c: SetContext, what: string): Promise<string[]> {
  const v = c.args[0] ?? '';
  if (v === 'unix:') return ['unix:'];
  const cidr = parseCidr(v);
  if (cidr !== null) {
    if (cidr.lowBits) c.warn(`low address bits of ${v} are meaningless`);
    return [formatCidr(cidr)];
  }
  const found = await c.state.env.lookup(v);
  if (found.length === 0) throw c.error(`host not found in ${what} "${v}"`);
  return found.map((a) => {
    const bytes = a.family === 4 ? parseIPv4(a.address) : parseIPv6(a.address);
    const parsed = bytes === null ? null : parseCidr(a.address);
    return parsed === null ? `${a.address}/${a.family === 4 ? '32' : '128'}` : formatCidr(parsed);
  });
}

/** Ours: allow/deny as nginx's http access module parses them (ngx_http_access_rule). */
export function accessRule(action: 'allow' | 'deny', listName: string): (c: SetContext) => void {
  return (c) => {
    const v = c.args[0] ?? '';
    let match: string;
    if (v === 'all' || v === 'unix:') {
      match = v;
    } else {
      const cidr = parseCidr(v);
      if (cidr === null) throw c.error(`invalid parameter "${v}"`);
      if (cidr.lowBits) c.warn(`low address bits of ${v} are meaningless`);
      match = formatCidr(cidr);
    }
    const rule: AccessRule = { action, match };
    c.level.push(listName, rule, c.source);
  };
}
