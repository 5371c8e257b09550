/**
 * The mail `listen` directive: address forms, parameters, the mail-wide duplicate check and protocol
 * detection from the port.
 *
 * Owns: ngx_mail_core_listen (src/mail/ngx_mail_core_module.c) as of nginx 1.22 — address, protocol
 * detection, parameters, then the duplicate check, in that order — with its error texts,
 * plus `multipath` (nginx 1.29.7). Does not own: socket grouping at bind time (the primary's job) or the
 * count of listening sockets (resolve.ts).
 */
import type { ConfigError } from '../errors.js';
import type { Level } from './level.js';
import type { LoadState } from './state.js';
import type { ListenConfig, MailProtocolName, SoKeepalive, SourceRef } from './types.js';
import { parseUrl } from './url.js';
import { atoi, parseSize, parseTime } from './values.js';
import { LISTEN_BACKLOG_DEFAULT } from '../limits.js';

/** nginx: the `port[]` of each ngx_mail_protocol_t, in module order (pop3, imap, smtp). */
export const PROTOCOL_PORTS: readonly (readonly [MailProtocolName, readonly number[]])[] = [
  ['pop3', [110, 995]],
  ['imap', [143, 993]],
  ['smtp', [25, 465, 587]],
];

export interface ListenInput {
  readonly args: readonly string[];
  readonly level: Level;
  readonly state: LoadState;
  readonly source: SourceRef;
  readonly error: (message: string) => ConfigError;
}

interface Params {
  bind: boolean;
  backlog: number;
  rcvbuf: number | null;
  sndbuf: number | null;
  ipv6only: boolean;
  ssl: boolean;
  proxyProtocol: boolean;
  soKeepalive: SoKeepalive;
  multipath: boolean;
}

/** nginx: ngx_mail_core_listen */
export async function setListen(c: ListenInput): Promise<void> {
  const [urlText = '', ...params] = c.args;
  const parsed = await parseUrl(urlText, {
    listen: true,
    uriPart: false,
    defaultPort: 0,
    lookup: c.state.env.lookup,
  });
  if (!parsed.ok) throw c.error(`${parsed.err} in "${urlText}" of the "listen" directive`);
  const url = parsed.url;

  const entries: { kind: 'tcp' | 'unix'; host: string; port: number; family: 4 | 6 | 0; text: string }[] =
    url.kind === 'unix'
      ? [{ kind: 'unix', host: url.path, port: 0, family: 0, text: url.text }]
      : url.addrs.map((a) => ({ kind: 'tcp', host: a.ip, port: a.port, family: a.family, text: a.text }));

  if (c.level.protocol === null && url.kind === 'inet') {
    for (const [name, ports] of PROTOCOL_PORTS) {
      if (ports.includes(url.port)) c.level.protocol = name;
    }
  }

  const p: Params = {
    bind: false,
    backlog: LISTEN_BACKLOG_DEFAULT,
    rcvbuf: null,
    sndbuf: null,
    ipv6only: true,
    ssl: false,
    proxyProtocol: false,
    soKeepalive: { kind: 'default' },
    multipath: false,
  };
  for (const v of params) parseParam(c, v, p);

  // nginx checks the address after the parameters, against every earlier listen of mail{} and the
  // earlier addresses of this one
  entries.forEach((e, i) => {
    if (
      c.state.mailListens.some((l) => l.addrText === e.text) ||
      entries.slice(0, i).some((x) => x.text === e.text)
    ) {
      throw c.error(`duplicate "${e.text}" address and port pair`);
    }
  });

  for (const e of entries) {
    const l: ListenConfig = {
      addrText: e.text,
      kind: e.kind,
      host: e.host,
      port: e.port,
      family: e.family,
      ssl: p.ssl,
      proxyProtocol: p.proxyProtocol,
      bind: p.bind,
      backlog: p.backlog,
      rcvbufBytes: p.rcvbuf,
      sndbufBytes: p.sndbuf,
      ipv6only: p.ipv6only,
      soKeepalive: p.soKeepalive,
      multipath: p.multipath,
      source: c.source,
    };
    c.level.listens.push(l);
    c.state.mailListens.push(l);
  }
}

function parseParam(c: ListenInput, v: string, p: Params): void {
  if (v === 'bind') {
    p.bind = true;
    return;
  }
  if (v.startsWith('backlog=')) {
    const n = atoi(v.slice(8));
    p.bind = true;
    if (n === null || n === 0) throw c.error(`invalid backlog "${v}"`);
    p.backlog = n;
    return;
  }
  if (v.startsWith('rcvbuf=') || v.startsWith('sndbuf=')) {
    const which = v.slice(0, 6);
    const n = parseSize(v.slice(7));
    p.bind = true;
    if (n === null) throw c.error(`invalid ${which} "${v}"`);
    if (which === 'rcvbuf') p.rcvbuf = n;
    else p.sndbuf = n;
    return;
  }
  if (v.startsWith('ipv6only=o')) {
    const rest = v.slice(10);
    if (rest === 'n') p.ipv6only = true;
    else if (rest === 'ff') p.ipv6only = false;
    else throw c.error(`invalid ipv6only flags "${v.slice(9)}"`);
    p.bind = true;
    return;
  }
  if (v === 'ssl') {
    // nginx: sslcf->listen = 1 and the ssl checks name this line
    c.level.sslListen = true;
    c.level.sslSource = c.source;
    p.ssl = true;
    return;
  }
  if (v.startsWith('so_keepalive=')) {
    p.soKeepalive = parseKeepalive(c, v.slice(13));
    p.bind = true;
    return;
  }
  if (v === 'proxy_protocol') {
    p.proxyProtocol = true;
    return;
  }
  if (v === 'multipath') {
    // nginx 1.29.7: IPPROTO_MPTCP on a separate socket. Node cannot open MPTCP sockets, so the primary
    // logs the notice for ignored directives once.
    p.multipath = true;
    p.bind = true;
    c.state.ignored.push({ name: 'multipath', source: c.source });
    return;
  }
  throw c.error(`the invalid "${v}" parameter`);
}

/** `on`, `off`, or `[idle]:[interval]:[count]` with times in nginx's second syntax. */
function parseKeepalive(c: ListenInput, text: string): SoKeepalive {
  if (text === 'on') return { kind: 'on' };
  if (text === 'off') return { kind: 'off' };
  const invalid = (): ConfigError => c.error(`invalid so_keepalive value: "${text}"`);
  const parts = text.split(':');
  const idleText = parts[0] ?? '';
  const intervalText = parts[1] ?? '';
  // nginx takes everything after the second colon as the count
  const countText = parts.length > 2 ? parts.slice(2).join(':') : '';
  let idle: number | null = null;
  let interval: number | null = null;
  let count: number | null = null;
  if (idleText !== '') {
    idle = parseTime(idleText, true);
    if (idle === null) throw invalid();
  }
  if (intervalText !== '') {
    interval = parseTime(intervalText, true);
    if (interval === null) throw invalid();
  }
  if (countText !== '') {
    count = atoi(countText);
    if (count === null) throw invalid();
  }
  if ((idle ?? 0) === 0 && (interval ?? 0) === 0 && (count ?? 0) === 0) throw invalid();
  return { kind: 'tuned', idleSec: idle, intervalSec: interval, count };
}
