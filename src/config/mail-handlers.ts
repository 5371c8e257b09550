/**
 * Handlers of the mail- and server-context directives that are more than a generic slot: server,
 * listen, protocol, resolver, auth_http, proxy_protocol, ssl, starttls, ssl_password_file,
 * ssl_session_cache, set_real_ip_from, ssl_sni_certificate.
 *
 * Owns: the checks and texts of ngx_mail_core_server/protocol/resolver (+ ngx_resolver_create),
 * ngx_mail_auth_http, ngx_mail_ssl_enable/starttls/password_file/session_cache and ngx_mail_realip_from,
 * as nginx 1.22 has them, plus `proxy_protocol v2` and `ssl_sni_certificate`. Does not own: the table
 * (directives.ts), `listen` itself (listen.ts) or merging (resolve.ts).
 */
import { ConfigError } from '../errors.js';
import { parseAddressRule } from './address-rules.js';
import { Level } from './level.js';
import { setListen } from './listen.js';
import { fullName } from './paths.js';
import { enumSlot, flagSlot } from './slots.js';
import type { BlockResult, SetContext } from './state.js';
import type { AuthHttpConfig, MailProtocolName, ResolverConfig } from './types.js';
import { addressText, parseUrl } from './url.js';
import { atoi, parseSize, parseTime } from './values.js';

export const MAIL_PROTOCOLS: readonly MailProtocolName[] = ['imap', 'pop3', 'smtp'];

/** nginx: ngx_mail_core_server */
export function openServer(c: SetContext): BlockResult {
  const level = new Level('server', c.source);
  c.state.servers.push(level);
  return {
    context: 'server',
    level,
    close: () => {
      // nginx: ngx_log_error (not ngx_conf_log_error) naming the line of `server {`
      if (!level.has('listen')) throw new ConfigError('no "listen" is defined for server', level.source);
    },
  };
}

/** nginx: ngx_mail_core_protocol (no duplicate check: the last line wins) */
export function setProtocol(c: SetContext): void {
  const v = c.args[0] ?? '';
  const found = MAIL_PROTOCOLS.find((p) => p === v);
  if (found === undefined) throw c.error(`unknown protocol "${v}"`);
  c.level.protocol = found;
}

/** nginx: ngx_mail_core_resolver + ngx_resolver_create */
export async function setResolver(c: SetContext): Promise<void> {
  if (c.level.has(c.name)) throw c.fail('is duplicate');
  if (c.args[0] === 'off') {
    c.level.set(c.name, null, c.source);
    return;
  }
  const addresses: string[] = [];
  let validSec: number | null = null;
  let ipv4 = true;
  let ipv6 = true;
  for (const v of c.args) {
    if (v.startsWith('valid=')) {
      validSec = parseTime(v.slice(6), true);
      if (validSec === null) throw c.error(`invalid parameter: ${v}`);
      continue;
    }
    if (v.startsWith('ipv4=') || v.startsWith('ipv6=')) {
      // ipv4= is nginx 1.23.1; 1.22 knows ipv6= only
      const flag = v.slice(5);
      if (flag !== 'on' && flag !== 'off') throw c.error(`invalid parameter: ${v}`);
      if (v.startsWith('ipv4=')) ipv4 = flag === 'on';
      else ipv6 = flag === 'on';
      continue;
    }
    const r = await parseUrl(v, {
      listen: false,
      uriPart: false,
      defaultPort: 53,
      lookup: c.state.env.lookup,
    });
    if (!r.ok) throw c.error(`${r.err} in resolver "${v}"`);
    // nginx would send UDP queries to a unix socket; postern's resolver cannot
    if (r.url.kind === 'unix') throw c.error(`unix domain sockets are not supported in resolver "${v}"`);
    for (const a of r.url.addrs) addresses.push(addressText(a.family, a.ip, a.port));
  }
  if (!ipv4 && !ipv6) throw c.error('"ipv4" and "ipv6" cannot both be "off"');
  if (addresses.length === 0) throw c.error('no name servers defined');
  const value: ResolverConfig = { addresses, validSec, ipv4, ipv6 };
  c.level.set(c.name, value, c.source);
}

/** nginx: ngx_mail_auth_http (no duplicate check: the last line wins) */
export async function setAuthHttp(c: SetContext): Promise<void> {
  const written = c.args[0] ?? '';
  const url = written.startsWith('http://') ? written.slice(7) : written;
  const r = await parseUrl(url, {
    listen: false,
    uriPart: true,
    defaultPort: 80,
    lookup: c.state.env.lookup,
  });
  if (!r.ok) throw c.error(`${r.err} in auth_http "${url}"`);
  const u = r.url;
  let value: AuthHttpConfig;
  if (u.kind === 'unix') {
    value = {
      url: written,
      address: { kind: 'unix', path: u.path },
      addrText: u.text,
      hostHeader: 'localhost',
      uri: u.uri === '' ? '/' : u.uri,
    };
  } else {
    const a = u.addrs[0];
    if (a === undefined) throw c.error(`host not found in auth_http "${url}"`);
    value = {
      url: written,
      address: { kind: 'tcp', host: a.ip, port: a.port },
      addrText: a.text,
      hostHeader: u.host,
      uri: u.uri === '' ? '/' : u.uri,
    };
  }
  c.level.set(c.name, value, c.source);
}

/** nginx: ngx_mail_proxy_module's proxy_protocol is a flag in 1.22; current nginx adds `v2`. */
export function setProxyProtocol(c: SetContext): void {
  if (c.level.has(c.name)) throw c.fail('is duplicate');
  const v = c.args[0] ?? '';
  const lower = v.toLowerCase();
  if (lower === 'v2') {
    c.level.set(c.name, 'v2', c.source);
    return;
  }
  if (lower === 'on' || lower === 'off') {
    c.level.set(c.name, lower === 'on' ? 'v1' : 'off', c.source);
    return;
  }
  throw c.error(`invalid value "${v}" in "${c.name}" directive, it must be "on" or "off"`);
}

/** nginx 1.22: ngx_mail_ssl_enable (deprecated `ssl on|off`) */
export function setSsl(c: SetContext): void {
  flagSlot(c);
  const starttls = c.level.value('starttls');
  if (c.level.value('ssl') === true && starttls !== undefined && starttls !== 'off') {
    throw c.error('"starttls" directive conflicts with "ssl on"');
  }
  c.warn('the "ssl" directive is deprecated, use the "listen ... ssl" directive instead');
  // nginx: a `listen ... ssl` already seen at this level keeps naming the line
  if (!c.level.sslListen) c.level.sslSource = c.source;
}

/** nginx: ngx_mail_ssl_starttls */
export function setStarttls(c: SetContext): void {
  enumSlot(['off', 'on', 'only'])(c);
  if (c.level.value('ssl') === true && c.level.value('starttls') !== 'off') {
    throw c.error('"ssl" directive conflicts with "starttls"');
  }
  if (!c.level.sslListen) c.level.sslSource = c.source;
}

/** nginx: ngx_mail_ssl_password_file (the file itself is read by the TLS module, not here) */
export function setPasswordFile(c: SetContext): void {
  if (c.level.has(c.name)) throw c.fail('is duplicate');
  c.level.set(c.name, fullName(c.state.env.confPrefix, c.args[0] ?? ''), c.source);
}

/** nginx: ngx_mail_ssl_session_cache */
export function setSessionCache(c: SetContext): void {
  let builtin: 'off' | 'none' | 'builtin' | 'noBuiltin' | number | undefined =
    c.level.value('ssl_session_cache.builtin');
  let shared = c.level.value('ssl_session_cache.shared');
  for (const v of c.args) {
    const invalid = (): Error => c.error(`invalid session cache "${v}"`);
    if (v === 'off') builtin = 'off';
    else if (v === 'none') builtin = 'none';
    else if (v === 'builtin') builtin = 'builtin';
    else if (v.length > 8 && v.startsWith('builtin:')) {
      const n = atoi(v.slice(8));
      if (n === null) throw invalid();
      builtin = n;
    } else if (v.length > 7 && v.startsWith('shared:')) {
      const rest = v.slice(7);
      const colon = rest.indexOf(':');
      if (colon <= 0) throw invalid();
      const name = rest.slice(0, colon);
      const size = parseSize(rest.slice(colon + 1));
      if (size === null) throw invalid();
      // nginx: at least 8 pages
      if (size < 8 * 4096) throw c.error(`session cache "${v}" is too small`);
      const known = c.state.shmZones.get(name);
      if (known !== undefined && known !== size) {
        throw c.error(
          `the size ${String(size)} of shared memory zone "${name}" conflicts with already declared size ${String(known)}`,
        );
      }
      c.state.shmZones.set(name, size);
      shared = { name, sizeBytes: size };
    } else {
      throw invalid();
    }
  }
  if (shared !== undefined && builtin === undefined) builtin = 'noBuiltin';
  if (builtin !== undefined) c.level.set('ssl_session_cache.builtin', builtin, c.source);
  if (shared !== undefined) c.level.set('ssl_session_cache.shared', shared, c.source);
}

/** nginx: ngx_mail_realip_from */
export async function setRealIpFrom(c: SetContext): Promise<void> {
  for (const r of await parseAddressRule(c, 'set_real_ip_from')) c.level.push(c.name, r, c.source);
}

/** Ours: `ssl_sni_certificate server_name cert key` */
export function setSniCertificate(c: SetContext): void {
  const [serverName = '', cert = '', key = ''] = c.args;
  if (serverName === '') throw c.error(`invalid server name "${serverName}"`);
  c.level.push(
    c.name,
    {
      serverName: serverName.toLowerCase(),
      pair: {
        certificate: fullName(c.state.env.confPrefix, cert),
        key: fullName(c.state.env.confPrefix, key),
      },
    },
    c.source,
  );
}

/** nginx: ngx_mail_core_listen (listen.ts) */
export async function listenHandler(c: SetContext): Promise<void> {
  c.level.set('listen', true, c.source);
  const source = c.source ?? { file: 'command line', line: 0 };
  await setListen({ args: c.args, level: c.level, state: c.state, source, error: (msg) => c.error(msg) });
}
