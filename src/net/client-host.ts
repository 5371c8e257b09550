/**
 * The SMTP client host name lookup (nginx: ngx_mail_smtp_init_session and its resolver handlers,
 * reference 4.3.1): PTR of the client address, the name validated (nginx 1.29.7, CVE-2026-28753), then
 * forward-confirmed by A/AAAA records that must contain the client address.
 *
 * Owns: the DNS I/O for this one question and nginx's mapping of outcomes to `Client-Host` values and
 * ERR log texts. Returns the log line instead of writing it (the session logs, with its context).
 * Does not own caching (nginx's `valid=`), nor the session flow: the SMTP machine asks for a lookup
 * with a `resolveClientHost` action and the shell answers with `hostResolved`.
 *
 * Only the DNS is asked, never /etc/hosts, as nginx's own resolver does (Node's `reverse()` would read
 * /etc/hosts first, so the PTR name is queried directly).
 *
 * Ours: a v4-mapped IPv6 client (`::ffff:a.b.c.d` on a dual-stack socket) is looked up as the IPv4
 * address it is; nginx would ask ip6.arpa and never confirm it against A records.
 */
import { Resolver } from 'node:dns/promises';
import net from 'node:net';
import { HOST_TEMPUNAVAIL, HOST_UNAVAILABLE, isValidHostName } from '../protocol/smtp/host-name.js';

export { HOST_TEMPUNAVAIL, HOST_UNAVAILABLE, isValidHostName };

export interface ClientHostResolverOptions {
  /** `resolver` addresses as written: `ip`, `ip:port`, `[v6]:port` */
  readonly servers: readonly string[];
  /** `resolver_timeout`, applied to each of the two lookups as nginx does */
  readonly timeoutMs: number;
  /** `resolver … ipv4=` / `ipv6=`: which forward records to ask for */
  readonly ipv4: boolean;
  readonly ipv6: boolean;
}

/** An ERR line for the session to write, with nginx's "while …" action. */
export interface ClientHostLog {
  readonly level: 'error';
  readonly message: string;
  readonly action: 'in resolving client address' | 'in resolving client hostname';
}

export interface ClientHostResult {
  /** a confirmed host name, `[UNAVAILABLE]` or `[TEMPUNAVAIL]` */
  readonly host: string;
  readonly log?: ClientHostLog;
}

/** The client as the session knows it, after PROXY protocol and realip. */
export interface ClientEndpoint {
  readonly kind: 'tcp' | 'unix';
  /** IP text for tcp */
  readonly address: string;
}

const ADDR_ACTION = 'in resolving client address';
const NAME_ACTION = 'in resolving client hostname';

/** nginx's resolver codes and ngx_resolver_strerror texts, from Node's c-ares error codes. */
function nginxError(err: unknown): { readonly code: number; readonly text: string; readonly nxdomain: boolean } {
  const code = (err as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ENOTFOUND': // NXDOMAIN
    case 'ENODATA': // the name exists without records of that type: nginx reports it as NXDOMAIN
      return { code: 3, text: 'Host not found', nxdomain: true };
    case 'EFORMERR':
      return { code: 1, text: 'Format error', nxdomain: false };
    case 'ESERVFAIL':
      return { code: 2, text: 'Server failure', nxdomain: false };
    case 'ENOTIMP':
      return { code: 4, text: 'Unimplemented', nxdomain: false };
    case 'EREFUSED':
      return { code: 5, text: 'Operation refused', nxdomain: false };
    default:
      // Timeouts, and what nginx's resolver would drop and keep waiting on (unreachable server, a
      // broken answer) until resolver_timeout.
      return { code: 110, text: 'Operation timed out', nxdomain: false };
  }
}

class LookupTimeout extends Error {
  readonly code = 'ETIMEOUT';
}

/** The reverse-lookup name for an IP (RFC 1035 3.5, RFC 3596 2.5). */
export function ptrName(ip: string): string {
  if (net.isIPv4(ip)) return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
  const bytes = ipv6Bytes(ip);
  let out = '';
  for (let i = 15; i >= 0; i--) {
    const b = bytes[i] as number;
    out += `${(b & 0x0f).toString(16)}.${(b >> 4).toString(16)}.`;
  }
  return `${out}ip6.arpa`;
}

/** 16 bytes of an IPv6 text address (with `::` and an embedded IPv4 tail). */
function ipv6Bytes(ip: string): Buffer {
  let text = ip;
  const tail: number[] = [];
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4 !== null) {
    const [, a = '0', b = '0', c = '0', d = '0'] = v4;
    tail.push((Number(a) << 8) | Number(b), (Number(c) << 8) | Number(d));
    text = text.slice(0, text.length - v4[0].length);
    if (!text.endsWith('::')) text = text.slice(0, -1);
  }
  const words = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16) & 0xffff));
  const gap = text.indexOf('::');
  let all: number[];
  if (gap === -1) {
    all = [...words(text), ...tail];
  } else {
    const head = words(text.slice(0, gap));
    const rest = words(text.slice(gap + 2));
    const zeros = Math.max(0, 8 - head.length - rest.length - tail.length);
    all = [...head, ...new Array<number>(zeros).fill(0), ...rest, ...tail];
  }
  const out = Buffer.alloc(16);
  for (let i = 0; i < 8 && i < all.length; i++) out.writeUInt16BE(all[i] ?? 0, i * 2);
  return out;
}

/** Same address? Text forms of one IPv6 address differ, so IPv6 is compared as bytes. */
function sameAddress(a: string, b: string): boolean {
  const fa = net.isIP(a);
  if (fa === 0 || fa !== net.isIP(b)) return false;
  if (fa === 4) return a === b;
  return ipv6Bytes(a).equals(ipv6Bytes(b));
}

/** `::ffff:192.0.2.7` → `192.0.2.7`; anything else unchanged. */
function unmapped(ip: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return m?.[1] !== undefined && net.isIPv4(m[1]) ? m[1] : ip;
}

/**
 * One resolver per `resolver` configuration (it holds a c-ares channel); `lookup` may run for many
 * sessions at once.
 */
export class ClientHostResolver {
  private readonly resolver: Resolver;
  private readonly options: ClientHostResolverOptions;

  constructor(options: ClientHostResolverOptions) {
    this.options = options;
    const servers = Math.max(1, options.servers.length);
    // c-ares tries each server in turn; the whole lookup must still end within resolver_timeout.
    this.resolver = new Resolver({ timeout: Math.max(1, Math.floor(options.timeoutMs / servers)), tries: 1 });
    this.resolver.setServers([...options.servers]);
  }

  private bounded<T>(query: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        reject(new LookupTimeout('resolver timeout'));
      }, this.options.timeoutMs);
    });
    return Promise.race([query, deadline]).finally(() => {
      clearTimeout(timer);
    });
  }

  /** nginx's lookup for a TCP client address. Never rejects. */
  async lookup(clientAddress: string): Promise<ClientHostResult> {
    const ip = unmapped(clientAddress);
    let names: string[];
    try {
      names = await this.bounded(this.resolver.resolvePtr(ptrName(ip)));
    } catch (err) {
      const e = nginxError(err);
      return {
        host: e.nxdomain ? HOST_UNAVAILABLE : HOST_TEMPUNAVAIL,
        log: { level: 'error', message: `${clientAddress} could not be resolved (${String(e.code)}: ${e.text})`, action: ADDR_ACTION },
      };
    }
    // nginx uses the first PTR answer.
    const name = names[0] ?? '';
    // nginx 1.29.7: only [A-Za-z0-9.-] may reach Client-Host or XCLIENT NAME=. c-ares presents other
    // bytes escaped (`\032`), so the text logged here carries no raw control characters.
    if (!isValidHostName(name)) {
      return {
        host: HOST_TEMPUNAVAIL,
        log: { level: 'error', message: `${clientAddress} resolved to invalid host name "${name}"`, action: ADDR_ACTION },
      };
    }
    return this.confirm(ip, name);
  }

  /** Forward-confirm `name`: one of its A/AAAA records must be the client address. */
  private async confirm(ip: string, name: string): Promise<ClientHostResult> {
    const queries: Promise<string[]>[] = [];
    if (this.options.ipv4) queries.push(this.bounded(this.resolver.resolve4(name)));
    if (this.options.ipv6) queries.push(this.bounded(this.resolver.resolve6(name)));
    const results = await Promise.allSettled(queries);
    let answered = false;
    let failure: ReturnType<typeof nginxError> | null = null;
    for (const r of results) {
      if (r.status === 'fulfilled') {
        answered = true;
        if (r.value.some((a) => sameAddress(a, ip))) return { host: name };
      } else {
        const e = nginxError(r.reason);
        // A temporary failure outweighs "no such records" from the other family.
        if (failure === null || (failure.nxdomain && !e.nxdomain)) failure = e;
      }
    }
    if (answered || failure === null) return { host: HOST_UNAVAILABLE };
    return {
      host: failure.nxdomain ? HOST_UNAVAILABLE : HOST_TEMPUNAVAIL,
      log: { level: 'error', message: `"${name}" could not be resolved (${String(failure.code)}: ${failure.text})`, action: NAME_ACTION },
    };
  }
}

/**
 * nginx's rules before any DNS: no resolver → `[UNAVAILABLE]`; a unix-socket client → `[TEMPUNAVAIL]`;
 * otherwise the lookup. Never rejects.
 */
export function resolveClientHost(resolver: ClientHostResolver | null, client: ClientEndpoint): Promise<ClientHostResult> {
  if (resolver === null) return Promise.resolve({ host: HOST_UNAVAILABLE });
  if (client.kind === 'unix') return Promise.resolve({ host: HOST_TEMPUNAVAIL });
  return resolver.lookup(client.address);
}
