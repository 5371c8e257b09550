/**
 * nginx's address parser for `listen`, `auth_http`, `resolver` and `syslog:server=`: unix:path,
 * [ipv6]:port, ip:port, host:port, a bare port, port ranges for listen, and the uri part.
 *
 * Owns: ngx_parse_url with its three branches (src/core/ngx_inet.c) and nginx's `u->err` texts
 * ("invalid port", "invalid host", "no host", "host not found", ...). Does not own: the message around
 * them (`... in "<url>" of the "listen" directive` is the caller's) or what each directive does next.
 */
import type { HostLookup } from './host-lookup.js';
import { atoi, formatAddress, parseIPv4, parseIPv6 } from './values.js';

export interface UrlOptions {
  /** nginx: u->listen — port ranges and bare ports allowed, no uri */
  readonly listen: boolean;
  /** nginx: u->uri_part — a `/uri` (or `unix:/path:/uri`) may follow */
  readonly uriPart: boolean;
  readonly defaultPort: number;
  readonly lookup: HostLookup;
}

export interface ParsedAddress {
  readonly family: 4 | 6;
  /** canonical IP text, no brackets */
  readonly ip: string;
  readonly port: number;
  /** nginx's name: `127.0.0.1:143`, `[::1]:993` */
  readonly text: string;
}

export type ParsedUrl =
  | { readonly kind: 'unix'; readonly path: string; readonly uri: string; readonly text: string }
  | {
      readonly kind: 'inet';
      /** the host part as written (IPv6 with brackets) */
      readonly host: string;
      readonly port: number;
      readonly noPort: boolean;
      readonly wildcard: boolean;
      readonly uri: string;
      /** one per address and port (a range or a host name gives several) */
      readonly addrs: readonly ParsedAddress[];
    };

export type UrlResult =
  { readonly ok: true; readonly url: ParsedUrl } | { readonly ok: false; readonly err: string };

const fail = (err: string): UrlResult => ({ ok: false, err });

/** nginx's sockaddr text for one address and port. */
export function addressText(family: 4 | 6, ip: string, port: number): string {
  return family === 6 ? `[${ip}]:${String(port)}` : `${ip}:${String(port)}`;
}

/** nginx: ngx_parse_url */
export async function parseUrl(url: string, opts: UrlOptions): Promise<UrlResult> {
  if (url.length >= 5 && url.slice(0, 5).toLowerCase() === 'unix:') return parseUnix(url, opts);
  if (url.startsWith('[')) return parseInet6(url, opts);
  return parseInet(url, opts);
}

/** nginx: sizeof(sun_path) on Linux */
const SUN_PATH_MAX = 108;

function parseUnix(url: string, opts: UrlOptions): UrlResult {
  let path = url.slice(5);
  let uri = '';
  if (opts.uriPart) {
    const colon = path.indexOf(':');
    if (colon !== -1) {
      uri = path.slice(colon + 1);
      path = path.slice(0, colon);
    }
  }
  if (path.length === 0) return fail('no path in the unix domain socket');
  if (Buffer.byteLength(path) + 1 > SUN_PATH_MAX) return fail('too long path in the unix domain socket');
  return { ok: true, url: { kind: 'unix', path, uri, text: `unix:${path}` } };
}

function portRange(text: string, listen: boolean): { port: number; last: number } | string {
  let first = text;
  let last = 0;
  if (listen) {
    const dash = text.indexOf('-');
    if (dash !== -1) {
      const n = atoi(text.slice(dash + 1));
      if (n === null || n < 1 || n > 65535) return 'invalid port';
      last = n;
      first = text.slice(0, dash);
    }
  }
  const n = atoi(first);
  if (n === null || n < 1 || n > 65535) return 'invalid port';
  if (last !== 0 && n > last) return 'invalid port range';
  return { port: n, last };
}

function expandPorts(family: 4 | 6, ip: string, port: number, last: number): ParsedAddress[] {
  const out: ParsedAddress[] = [];
  const end = last === 0 ? port : last;
  for (let p = port; p <= end; p++) out.push({ family, ip, port: p, text: addressText(family, ip, p) });
  return out;
}

function parseInet6(url: string, opts: UrlOptions): UrlResult {
  const close = url.indexOf(']');
  if (close === -1) return fail('invalid host');
  let rest = url.slice(close + 1);
  let uri = '';
  const slash = rest.indexOf('/');
  if (slash !== -1) {
    if (opts.listen || !opts.uriPart) return fail('invalid host');
    uri = rest.slice(slash);
    rest = rest.slice(0, slash);
  }
  let port = opts.defaultPort;
  let last = 0;
  let noPort = false;
  if (rest.length > 0) {
    if (!rest.startsWith(':')) return fail('invalid host');
    const r = portRange(rest.slice(1), opts.listen);
    if (typeof r === 'string') return fail(r);
    port = r.port;
    last = r.last;
  } else {
    noPort = true;
  }
  const hostText = url.slice(1, close);
  if (hostText.length === 0) return fail('no host');
  const bytes = parseIPv6(hostText);
  if (bytes === null) return fail('invalid IPv6 address');
  const ip = formatAddress(bytes);
  return {
    ok: true,
    url: {
      kind: 'inet',
      host: `[${hostText}]`,
      port,
      noPort,
      wildcard: bytes.every((b) => b === 0),
      uri,
      addrs: expandPorts(6, ip, port, last),
    },
  };
}

async function parseInet(url: string, opts: UrlOptions): Promise<UrlResult> {
  let last = url.length;
  let portAt = url.indexOf(':');
  let uriAt = url.indexOf('/', portAt === -1 ? 0 : portAt);
  const argsAt = url.indexOf('?');
  if (argsAt !== -1 && (uriAt === -1 || argsAt < uriAt)) uriAt = argsAt;
  let uri = '';
  if (uriAt !== -1) {
    if (opts.listen || !opts.uriPart) return fail('invalid host');
    uri = url.slice(uriAt);
    last = uriAt;
    if (uriAt < portAt) portAt = -1;
  }
  let port = opts.defaultPort;
  let lastPort = 0;
  let noPort = false;
  let hostEnd = last;
  if (portAt !== -1) {
    const r = portRange(url.slice(portAt + 1, last), opts.listen);
    if (typeof r === 'string') return fail(r);
    port = r.port;
    lastPort = r.last;
    hostEnd = portAt;
  } else {
    if (uriAt === -1 && opts.listen) {
      // nginx: "test value as port only"
      const whole = url.slice(0, last);
      let text = whole;
      let err: string | null = null;
      const dash = whole.indexOf('-');
      let bad = false;
      if (dash !== -1) {
        const n = atoi(whole.slice(dash + 1));
        if (n === null) bad = true;
        else if (n < 1 || n > 65535) err = 'invalid port';
        else lastPort = n;
        text = whole.slice(0, dash);
      }
      const n = bad ? null : atoi(text);
      if (n !== null) {
        if (err !== null) return fail(err);
        if (n < 1 || n > 65535) return fail('invalid port');
        if (lastPort !== 0 && n > lastPort) return fail('invalid port range');
        return {
          ok: true,
          url: {
            kind: 'inet',
            host: '',
            port: n,
            noPort: false,
            wildcard: true,
            uri: '',
            addrs: expandPorts(4, '0.0.0.0', n, lastPort),
          },
        };
      }
      lastPort = 0;
    }
    noPort = true;
  }
  const host = url.slice(0, hostEnd);
  if (host.length === 0) return fail('no host');
  if (opts.listen && host === '*') {
    return {
      ok: true,
      url: {
        kind: 'inet',
        host,
        port,
        noPort,
        wildcard: true,
        uri,
        addrs: expandPorts(4, '0.0.0.0', port, lastPort),
      },
    };
  }
  const v4 = parseIPv4(host);
  if (v4 !== null) {
    const ip = formatAddress(v4);
    return {
      ok: true,
      url: {
        kind: 'inet',
        host,
        port,
        noPort,
        wildcard: ip === '0.0.0.0',
        uri,
        addrs: expandPorts(4, ip, port, lastPort),
      },
    };
  }
  const found = await opts.lookup(host);
  if (found.length === 0) return fail('host not found');
  const addrs: ParsedAddress[] = [];
  for (const a of found) {
    const bytes = a.family === 4 ? parseIPv4(a.address) : parseIPv6(a.address);
    const ip = bytes === null ? a.address : formatAddress(bytes);
    addrs.push(...expandPorts(a.family, ip, port, lastPort));
  }
  const first = addrs[0];
  const wildcard = first !== undefined && (first.ip === '0.0.0.0' || first.ip === '::');
  return { ok: true, url: { kind: 'inet', host, port, noPort, wildcard, uri, addrs } };
}
