/**
 * Every example under examples/ and the embedded default conf/postern.conf load; broken variants of
 * them fail with nginx's message and line.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/load.js';
import { repoRoot } from '../../conformance/config/runner.js';
import { fakeLookup, loadError, MACHINE } from './load-text.js';

const ROOT = repoRoot();
const EXAMPLES = join(ROOT, 'examples');

async function load(file: string) {
  return loadConfig({
    confFile: file,
    prefix: `${ROOT}/`,
    globalDirectives: null,
    lookup: fakeLookup,
    machine: MACHINE,
  });
}

function example(name: string): string {
  return readFileSync(join(EXAMPLES, name), 'utf8');
}

/** Replaces the first occurrence of `from` (which must exist) in an example's text. */
function broken(name: string, from: string, to: string): string {
  const text = example(name);
  assert.ok(text.includes(from), `${from} not in ${name}`);
  return text.replace(from, to);
}

function lineIn(text: string, needle: string): number {
  return text.slice(0, text.indexOf(needle)).split('\n').length;
}

describe('examples', () => {
  const files = readdirSync(EXAMPLES)
    .filter((f) => f.endsWith('.conf'))
    .sort();

  it('are there: minimal IMAP, the full setup, an SMTP relay and a fleet node', () => {
    assert.deepEqual(files, ['fleet-node.conf', 'full.conf', 'minimal-imap.conf', 'smtp-relay.conf']);
  });

  for (const f of files) {
    it(`${f} loads without warnings`, async () => {
      const r = await load(join(EXAMPLES, f));
      assert.ok((r.config.mail?.servers.length ?? 0) > 0);
      assert.deepEqual(r.warnings, []);
    });
  }

  it('full.conf has six servers: STARTTLS and implicit TLS for IMAP, POP3 and SMTP', async () => {
    const r = await load(join(EXAMPLES, 'full.conf'));
    const servers = r.config.mail?.servers ?? [];
    assert.deepEqual(
      servers.map((s) => [
        s.protocol,
        s.listens.map((l) => `${l.addrText}${l.ssl ? ' ssl' : ''}`).join(','),
        s.ssl.starttls,
      ]),
      [
        ['imap', '0.0.0.0:143', 'on'],
        ['imap', '0.0.0.0:993 ssl', 'off'],
        ['pop3', '0.0.0.0:110', 'on'],
        ['pop3', '0.0.0.0:995 ssl', 'off'],
        ['smtp', '0.0.0.0:587', 'only'],
        ['smtp', '0.0.0.0:465 ssl', 'off'],
      ],
    );
    for (const s of servers) {
      assert.deepEqual(s.ssl.sessionCache, {
        mode: 'on',
        builtinSize: null,
        shared: { name: 'MAIL', sizeBytes: 10 * 1024 * 1024 },
      });
      assert.deepEqual(s.ssl.certificates, [
        {
          certificate: join(EXAMPLES, 'certs/mail.example.com.pem'),
          key: join(EXAMPLES, 'certs/mail.example.com.key'),
        },
      ]);
      assert.equal(s.serverName, 'mail.example.com');
    }
    assert.deepEqual(servers[0]?.imap.capabilities, [
      'IMAP4rev1',
      'LITERAL+',
      'SASL-IR',
      'ID',
      'ENABLE',
      'IDLE',
      'UIDPLUS',
      'MOVE',
    ]);
    assert.deepEqual(servers[4]?.smtp.capabilities, [
      'SIZE 52428800',
      '8BITMIME',
      'ENHANCEDSTATUSCODES',
      'PIPELINING',
    ]);
    assert.equal(r.config.workerProcesses, MACHINE.cpuCount);
  });

  it('smtp-relay.conf: no client auth, XCLIENT and a resolver', async () => {
    const s = (await load(join(EXAMPLES, 'smtp-relay.conf'))).config.mail?.servers[0];
    assert.ok(s !== undefined);
    assert.equal(s.smtp.auth.none, true);
    assert.equal(s.xclient, true);
    assert.deepEqual(s.resolver, { addresses: ['127.0.0.1:53'], validSec: 300, ipv4: true, ipv6: true });
    assert.equal(s.smtp.greetingDelayMs, 2000);
  });

  it('fleet-node.conf: PROXY protocol in and out, trusted balancers', async () => {
    const servers = (await load(join(EXAMPLES, 'fleet-node.conf'))).config.mail?.servers ?? [];
    assert.deepEqual(
      servers.map((s) => s.listens[0]?.proxyProtocol),
      [true, true],
    );
    const [imap, imaps] = servers;
    assert.ok(imap !== undefined && imaps !== undefined);
    assert.deepEqual(imap.realIpFrom, ['10.0.1.0/24', '10.0.2.5/32']);
    assert.equal(imaps.proxyProtocol, 'v1');
    assert.deepEqual(imaps.listens[0]?.soKeepalive, {
      kind: 'tuned',
      idleSec: 600,
      intervalSec: 60,
      count: 5,
    });
  });

  it('conf/postern.conf is the npm start default: three loopback listeners, keep-alive auth on 10081', async () => {
    const r = await load(join(ROOT, 'conf', 'postern.conf'));
    const c = r.config;
    assert.deepEqual(
      [c.daemon, c.masterProcess, c.workerProcesses, c.pidFile],
      [false, true, 2, join(ROOT, 'logs', 'postern.pid')],
    );
    assert.deepEqual(
      c.errorLogs.map((l) => [l.target.kind, l.level]),
      [['stderr', 'info']],
    );
    assert.deepEqual(
      c.mail?.servers.map((s) => [s.protocol, s.listens[0]?.addrText, s.authHttp.addrText, s.authHttp.uri, s.authHttpKeepalive]),
      [
        ['imap', '127.0.0.1:10143', '127.0.0.1:10081', '/auth', 16],
        ['pop3', '127.0.0.1:10110', '127.0.0.1:10081', '/auth', 16],
        ['smtp', '127.0.0.1:10025', '127.0.0.1:10081', '/auth', 16],
      ],
    );
  });

  describe('broken variants fail with the right message and line', () => {
    const cases: [string, string, string, (text: string) => string][] = [
      [
        'minimal-imap.conf',
        '    auth_http 127.0.0.1:9000/auth;\n',
        '',
        (t) => `no "auth_http" is defined for server in P/nginx.conf:${String(lineIn(t, 'server {'))}`,
      ],
      [
        'minimal-imap.conf',
        'listen 143;',
        'listen 10143;',
        (t) => `unknown mail protocol for server in P/nginx.conf:${String(lineIn(t, 'server {'))}`,
      ],
      ['minimal-imap.conf', 'events {}\n', '', () => 'no "events" section in configuration'],
      [
        'full.conf',
        '    ssl_certificate certs/mail.example.com.pem;\n',
        '',
        (t) =>
          `no "ssl_certificate" is defined for the "starttls" directive in P/nginx.conf:${String(lineIn(t, 'starttls on;'))}`,
      ],
      [
        'full.conf',
        'shared:MAIL:10m',
        'shared:MAIL:10k',
        (t) =>
          `session cache "shared:MAIL:10k" is too small in P/nginx.conf:${String(lineIn(t, 'ssl_session_cache'))}`,
      ],
      [
        'full.conf',
        'listen 465 ssl;',
        'listen 587 ssl;',
        (t) =>
          `duplicate "0.0.0.0:587" address and port pair in P/nginx.conf:${String(lineIn(t, 'listen 587 ssl;'))}`,
      ],
      [
        'full.conf',
        'imap_auth plain login;',
        'imap_auth plain digest-md5;',
        (t) => `invalid value "digest-md5" in P/nginx.conf:${String(lineIn(t, 'imap_auth'))}`,
      ],
      [
        'smtp-relay.conf',
        'smtp_auth none;',
        'smtp_auth nobody;',
        (t) => `invalid value "nobody" in P/nginx.conf:${String(lineIn(t, 'smtp_auth nobody'))}`,
      ],
      [
        'smtp-relay.conf',
        'resolver 127.0.0.1 valid=300s;',
        'resolver 127.0.0.1 valid=5 minutes;',
        (t) => `host not found in resolver "minutes" in P/nginx.conf:${String(lineIn(t, 'resolver 127'))}`,
      ],
      [
        'smtp-relay.conf',
        'xclient on;',
        'xclient yes;',
        (t) =>
          `invalid value "yes" in "xclient" directive, it must be "on" or "off" in P/nginx.conf:${String(lineIn(t, 'xclient'))}`,
      ],
      [
        'fleet-node.conf',
        'set_real_ip_from 10.0.2.5;',
        'set_real_ip_from 10.0.2.5/40;',
        (t) =>
          `host not found in set_real_ip_from "10.0.2.5/40" in P/nginx.conf:${String(lineIn(t, '10.0.2.5/40'))}`,
      ],
      [
        'fleet-node.conf',
        'so_keepalive=10m:1m:5',
        'so_keepalive=::',
        (t) => `invalid so_keepalive value: "::" in P/nginx.conf:${String(lineIn(t, 'so_keepalive'))}`,
      ],
      [
        'fleet-node.conf',
        'listen 10.0.0.21:143 proxy_protocol;',
        'listen 10.0.0.21:143 proxy-protocol;',
        (t) =>
          `the invalid "proxy-protocol" parameter in P/nginx.conf:${String(lineIn(t, 'proxy-protocol'))}`,
      ],
    ];
    for (const [name, from, to, expected] of cases) {
      it(`${name}: "${from.trim()}" → "${to.trim()}"`, async () => {
        const text = broken(name, from, to);
        assert.equal(await loadError(text), expected(text));
      });
    }
  });
});
