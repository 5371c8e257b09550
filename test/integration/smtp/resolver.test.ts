/**
 * The SMTP client host lookup (`resolver`, reference 4.3.1) against a scripted DNS server, on postern
 * and on Debian's nginx 1.22.1 side by side: the PTR name, its forward confirmation, nginx's
 * placeholders when a lookup fails, the ERR lines, and what reaches the auth service (`Client-Host`)
 * and the backend (`XCLIENT NAME=`). Names that are not `[A-Za-z0-9.-]` (CR/LF, spaces, underscores,
 * the empty name) must never reach either: postern does what nginx 1.29.7 does (CVE-2026-28753), and so
 * does Debian's 1.22.1, which carries the fix; only the refused name's text in the log differs.
 *
 * Every scenario has its own DNS server and its own `server {}` on each target, so nginx's resolver
 * cache cannot carry an answer from one scenario into another.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ok, startFakeAuthHttp, type FakeAuthHttp, type FakeAuthRequest } from '../../helpers/fake-auth-http.js';
import { startFakeUpstream, type FakeUpstream } from '../../helpers/fake-upstream.js';
import { DNS_TYPE, RCODE, startFakeDns, type DnsAnswer, type DnsQuestion, type FakeDns } from '../../helpers/fake-dns.js';
import { startNginx, type Nginx } from '../../helpers/nginx.js';
import { connectLine } from '../../helpers/line-client.js';
import { freePort } from '../../helpers/ports.js';
import { subDir } from '../../helpers/run-dir.js';
import { startProxy, type ProxyProcess } from '../pop3/proxy-process.js';

const PTR = '1.0.0.127.in-addr.arpa';
const B = (s: string): Buffer => Buffer.from(s, 'latin1');

interface Scenario {
  readonly name: string;
  readonly zone: (q: DnsQuestion) => DnsAnswer;
  /** Client-Host and NAME= expected */
  readonly host: string;
  /** the ERR line after `*<cid> `, without the context; null: no resolver line */
  readonly log: string | null;
  /**
   * nginx's line where it differs on purpose: it logs a refused name raw (CR LF included, lower-cased),
   * postern as c-ares escapes it, so no control byte reaches the log.
   */
  readonly nginxLog?: string;
}

const forward =
  (name: string, a: readonly string[]) =>
  (q: DnsQuestion): DnsAnswer => {
    if (q.name === PTR && q.type === DNS_TYPE.PTR) return { ptr: [name] };
    if (q.name === name && q.type === DNS_TYPE.A) return a.length === 0 ? { rcode: RCODE.NXDOMAIN } : { a };
    if (q.name === name) return a.length === 0 ? { rcode: RCODE.NXDOMAIN } : {};
    return { rcode: RCODE.NXDOMAIN };
  };

const badPtr =
  (labels: readonly Buffer[]) =>
  (q: DnsQuestion): DnsAnswer =>
    q.name === PTR && q.type === DNS_TYPE.PTR ? { ptr: [labels] } : { rcode: RCODE.NXDOMAIN };

/** One log entry (it may span lines): level, connection number, text. */
const ENTRY_RE = /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[(\w+)\] \d+#\d+: (?:\*(\d+) )?([\s\S]*)$/;

const ADDR = 'while in resolving client address';
const NAME = 'while in resolving client hostname';

const SCENARIOS: readonly Scenario[] = [
  { name: 'a PTR name confirmed by its A record is used', zone: forward('client-a.postern.test', ['127.0.0.1']), host: 'client-a.postern.test', log: null },
  {
    name: 'a PTR name whose addresses do not include the client gives [UNAVAILABLE] without a log line',
    zone: forward('other.postern.test', ['192.0.2.1']),
    host: '[UNAVAILABLE]',
    log: null,
  },
  {
    name: 'NXDOMAIN for the PTR gives [UNAVAILABLE]',
    zone: () => ({ rcode: RCODE.NXDOMAIN }),
    host: '[UNAVAILABLE]',
    log: `127.0.0.1 could not be resolved (3: Host not found) ${ADDR}`,
  },
  {
    name: 'SERVFAIL for the PTR gives [TEMPUNAVAIL]',
    zone: () => ({ rcode: RCODE.SERVFAIL }),
    host: '[TEMPUNAVAIL]',
    log: `127.0.0.1 could not be resolved (2: Server failure) ${ADDR}`,
  },
  {
    name: 'a DNS server that never answers gives [TEMPUNAVAIL] after resolver_timeout',
    zone: () => ({ drop: true }),
    host: '[TEMPUNAVAIL]',
    log: `127.0.0.1 could not be resolved (110: Operation timed out) ${ADDR}`,
  },
  {
    name: 'a PTR name that does not resolve forward gives [UNAVAILABLE]',
    zone: forward('gone.postern.test', []),
    host: '[UNAVAILABLE]',
    log: `"gone.postern.test" could not be resolved (3: Host not found) ${NAME}`,
  },
  {
    name: 'a PTR answer without records (NOERROR, no data) counts as NXDOMAIN',
    zone: () => ({}),
    host: '[UNAVAILABLE]',
    log: `127.0.0.1 could not be resolved (3: Host not found) ${ADDR}`,
  },
  {
    name: 'REFUSED for the PTR gives [TEMPUNAVAIL]',
    zone: () => ({ rcode: RCODE.REFUSED }),
    host: '[TEMPUNAVAIL]',
    log: `127.0.0.1 could not be resolved (5: Operation refused) ${ADDR}`,
  },
  {
    name: 'a PTR name with neither A nor AAAA records counts as not found',
    zone: (q) => (q.name === PTR ? { ptr: ['empty.postern.test'] } : {}),
    host: '[UNAVAILABLE]',
    log: `"empty.postern.test" could not be resolved (3: Host not found) ${NAME}`,
  },
  {
    name: 'a SERVFAIL for the forward lookup gives [TEMPUNAVAIL]',
    zone: (q) => (q.name === PTR ? { ptr: ['flaky.postern.test'] } : { rcode: RCODE.SERVFAIL }),
    host: '[TEMPUNAVAIL]',
    log: `"flaky.postern.test" could not be resolved (2: Server failure) ${NAME}`,
  },
  {
    name: 'a PTR name with CR LF never reaches the auth service or XCLIENT',
    zone: badPtr([B('evil\r\nX-Injected: 1'), B('example')]),
    host: '[TEMPUNAVAIL]',
    log: '127.0.0.1 resolved to invalid host name "evil\\013\\010X-Injected: 1.example" while in resolving client address',
    nginxLog: '127.0.0.1 resolved to invalid host name "evil\r\nx-injected: 1.example" while in resolving client address',
  },
  {
    name: 'a PTR name with a space is refused',
    zone: badPtr([B('a b'), B('example')]),
    host: '[TEMPUNAVAIL]',
    log: '127.0.0.1 resolved to invalid host name "a b.example" while in resolving client address',
  },
  {
    name: 'a PTR name with an underscore is refused',
    zone: badPtr([B('under_score'), B('example')]),
    host: '[TEMPUNAVAIL]',
    log: '127.0.0.1 resolved to invalid host name "under_score.example" while in resolving client address',
  },
];

interface Target {
  readonly name: 'postern' | 'nginx';
  readonly ports: number[];
  readonly logs: string[];
  readonly upstream: FakeUpstream;
}

describe('SMTP resolver: client host names from a scripted DNS server', () => {
  const dnsServers: FakeDns[] = [];
  let auth: FakeAuthHttp;
  let proxy: ProxyProcess;
  let nginx: Nginx;
  const targets: Target[] = [];
  const requests = new Map<string, FakeAuthRequest>();

  before(async () => {
    for (const s of SCENARIOS) dnsServers.push(await startFakeDns(s.zone));
    const up = { postern: await startFakeUpstream({ flavour: 'smtp' }), nginx: await startFakeUpstream({ flavour: 'smtp' }) };
    auth = await startFakeAuthHttp({
      script: (req) => {
        requests.set(req.header('X-Scenario') ?? '', req);
        return ok('127.0.0.1', req.header('X-Scenario')?.startsWith('nginx') === true ? up.nginx.port : up.postern.port);
      },
    });
    const dir = subDir('resolver-logs');
    const block = (target: string, i: number, port: number | null): string => {
      const log = join(dir, `${target}-${String(i)}.log`);
      writeFileSync(log, '');
      return [
        ...(port === null ? [] : [`listen 127.0.0.1:${String(port)};`]),
        'protocol smtp;',
        'smtp_auth none;',
        `resolver ${(dnsServers[i] as FakeDns).address};`,
        'resolver_timeout 1s;',
        `error_log ${log} info;`,
        `auth_http_header X-Scenario ${target}-${String(i)};`,
      ].join('\n');
    };
    proxy = await startProxy({
      mail: `auth_http ${auth.url};\nserver_name mx.postern.test;`,
      servers: SCENARIOS.map((_s, i) => block('postern', i, null)),
    });
    targets.push({
      name: 'postern',
      ports: [...proxy.ports],
      logs: SCENARIOS.map((_s, i) => join(dir, `postern-${String(i)}.log`)),
      upstream: up.postern,
    });
    const nginxPorts: number[] = [];
    for (let i = 0; i < SCENARIOS.length; i++) nginxPorts.push(await freePort());
    nginx = await startNginx({
      mailConfig:
        `server_name mx.postern.test;\nauth_http ${auth.url};\n` +
        SCENARIOS.map((_s, i) => `server {\n${block('nginx', i, nginxPorts[i] as number)}\n}\n`).join(''),
    });
    targets.push({
      name: 'nginx',
      ports: nginxPorts,
      logs: SCENARIOS.map((_s, i) => join(dir, `nginx-${String(i)}.log`)),
      upstream: up.nginx,
    });
  });

  after(async () => {
    await nginx.stop();
    await proxy.stop();
    await auth.close();
    for (const t of targets) await t.upstream.close();
    for (const d of dnsServers) await d.close();
  });

  SCENARIOS.forEach((s, i) => {
    it(s.name, async () => {
      for (const t of targets) {
        const key = `${t.name}-${String(i)}`;
        const n = t.upstream.connections.length;
        const c = await connectLine({ port: t.ports[i] as number, timeoutMs: 8_000 });
        try {
          await c.expect('220 mx.postern.test ESMTP ready\r\n');
          c.send('EHLO client.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.test>\r\n');
          await c.expect('250 mx.postern.test\r\n250 2.0.0 OK\r\n250 2.1.5 Ok\r\n');
        } finally {
          c.destroy();
        }
        const req = requests.get(key);
        assert.equal(req?.header('Client-Host'), s.host, `${t.name}: Client-Host`);
        const conn = t.upstream.connections[n];
        assert.ok(conn !== undefined, `${t.name}: no backend connection`);
        assert.ok(
          conn.received.includes(B(`XCLIENT ADDR=127.0.0.1 NAME=${s.host}\r\n`)),
          `${t.name}: ${conn.received.toString('latin1')}`,
        );
        // No byte of a refused name may reach the auth request or the backend.
        assert.ok(!req.raw.includes(B('Injected')) && !conn.received.includes(B('Injected')));
        // Only this connection's lines: the start-up port probe also made a lookup.
        // Entries, not lines: nginx writes a refused name's CR LF into its log as they are.
        const all = readFileSync(t.logs[i] as string, 'utf8')
          .split(/\n(?=\d{4}\/\d\d\/\d\d )/)
          .map((entry) => ENTRY_RE.exec(entry.replace(/\n$/, '')))
          .filter((m) => m !== null)
          .map((m) => ({ level: m[1] as string, cid: m[2] === undefined ? null : Number(m[2]), text: m[3] as string }));
        const cid = all.find((l) => l.text.startsWith('client logged in'))?.cid;
        const lines = all.filter((l) => l.level === 'error' && l.cid === cid);
        const text = t.name === 'nginx' ? (s.nginxLog ?? s.log) : s.log;
        const want = text === null ? [] : [`${text}, client: 127.0.0.1, server: 127.0.0.1:${String(t.ports[i])}`];
        assert.deepEqual(
          lines.map((l) => l.text),
          want,
          `${t.name} error lines`,
        );
      }
    });
  });
});
