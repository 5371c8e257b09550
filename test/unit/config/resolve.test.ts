import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countListeningSockets, deepFreeze } from '../../../src/config/resolve.js';
import type { ListenConfig, ServerConfig } from '../../../src/config/types.js';
import { sslDefaults } from '../../helpers/config-fixture.js';
import { loadError, loadText, mailConf } from './load-text.js';

const CERT = '        ssl_certificate c.pem;\n        ssl_certificate_key k.pem;\n';

async function server(serverBody: string, mailLevel = '', main = ''): Promise<ServerConfig> {
  const r = await loadText(mailConf(serverBody, mailLevel, main));
  return r.config.mail?.servers[0] ?? assert.fail('no server');
}

/** Two servers: the first sets `own`, the second nothing; both under `mailLevel`. */
async function pair(own: string, mailLevel: string): Promise<[ServerConfig, ServerConfig]> {
  const text = `events {}\nmail {\n    auth_http 127.0.0.1:9/a;\n${mailLevel}    server {\n        listen 127.0.0.1:10143;\n        protocol imap;\n${own}    }\n    server {\n        listen 127.0.0.1:10144;\n        protocol imap;\n    }\n}\n`;
  const r = await loadText(text);
  const [a, b] = r.config.mail?.servers ?? [];
  assert.ok(a !== undefined && b !== undefined);
  return [a, b];
}

describe('server defaults', () => {
  it("applies nginx's defaults to a bare server", async () => {
    const s = await server('');
    assert.equal(s.protocol, 'imap');
    assert.equal(s.serverName, 'mx.test');
    assert.equal(s.timeoutMs, 60_000);
    assert.equal(s.resolver, null);
    assert.equal(s.resolverTimeoutMs, 30_000);
    assert.equal(s.maxErrors, 5);
    assert.deepEqual(s.authHttp, {
      url: '127.0.0.1:9000/auth',
      address: { kind: 'tcp', host: '127.0.0.1', port: 9000 },
      addrText: '127.0.0.1:9000',
      hostHeader: '127.0.0.1',
      uri: '/auth',
    });
    assert.deepEqual(s.authHttpHeaders, []);
    assert.equal(s.authHttpTimeoutMs, 60_000);
    assert.equal(s.authHttpPassClientCert, false);
    assert.equal(s.authHttpKeepalive, 0);
    assert.equal(s.authHttpMaxResponseBytes, 1024);
    assert.equal(s.proxyBufferBytes, 4096);
    assert.equal(s.proxyTimeoutMs, 86_400_000);
    assert.equal(s.proxyPassErrorMessage, false);
    assert.equal(s.proxyProtocol, 'off');
    assert.equal(s.proxySmtpAuth, false);
    assert.equal(s.xclient, true);
    assert.deepEqual(s.imap, {
      auth: { plain: true, login: false, cramMd5: false, external: false },
      capabilities: ['IMAP4', 'IMAP4rev1', 'UIDPLUS'],
      clientBufferBytes: 4096,
    });
    assert.deepEqual(s.pop3, {
      auth: { plain: true, apop: false, cramMd5: false, external: false },
      capabilities: ['TOP', 'USER', 'UIDL'],
      clientBufferBytes: 128,
    });
    assert.deepEqual(s.smtp, {
      auth: { plain: true, login: true, cramMd5: false, external: false, none: false },
      capabilities: [],
      clientBufferBytes: 4096,
      greetingDelayMs: 0,
    });
    assert.deepEqual(s.realIpFrom, []);
    assert.deepEqual(s.access, []);
    assert.deepEqual(s.ssl, sslDefaults());
  });

  it('takes the host name for an empty server_name', async () => {
    assert.equal((await server('        server_name "";\n')).serverName, 'mx.test');
  });
});

describe('mail → server merge', () => {
  it('scalars: the server value, else the mail value, else the default', async () => {
    const [a, b] = await pair('        timeout 5s;\n        xclient off;\n', '    timeout 7s;\n');
    assert.equal(a.timeoutMs, 5000);
    assert.equal(b.timeoutMs, 7000);
    assert.equal(a.xclient, false);
    assert.equal(b.xclient, true);
  });

  it('bitmasks: lines on one level add up; a server line replaces the inherited set', async () => {
    const [a, b] = await pair(
      '        imap_auth cram-md5;\n',
      '    imap_auth login;\n    imap_auth plain;\n',
    );
    assert.deepEqual(a.imap.auth, { plain: false, login: false, cramMd5: true, external: false });
    assert.deepEqual(b.imap.auth, { plain: true, login: true, cramMd5: false, external: false });
  });

  it('bitmasks: a repeated value only warns', async () => {
    const r = await loadText(mailConf('        imap_auth plain plain;\n'));
    assert.deepEqual(r.warnings, [
      { level: 'warn', message: 'duplicate value "plain"', source: { file: r.config.confFile, line: 7 } },
    ]);
  });

  it('lists: all or nothing, lines on one level append', async () => {
    const [a, b] = await pair(
      '        imap_capabilities IDLE;\n',
      '    imap_capabilities IMAP4rev1 UIDPLUS;\n    imap_capabilities "X Y";\n',
    );
    assert.deepEqual(a.imap.capabilities, ['IDLE']);
    assert.deepEqual(b.imap.capabilities, ['IMAP4rev1', 'UIDPLUS', 'X Y']);
  });

  it('lists: auth_http_header, set_real_ip_from and access rules are all or nothing too', async () => {
    const [a, b] = await pair(
      '        auth_http_header X-B 2;\n        set_real_ip_from 10.0.0.0/8;\n        deny all;\n',
      '    auth_http_header X-A 1;\n    auth_http_header X-A 3;\n    set_real_ip_from unix:;\n    set_real_ip_from 192.0.2.1;\n    allow 127.0.0.1;\n',
    );
    assert.deepEqual(a.authHttpHeaders, [['X-B', '2']]);
    assert.deepEqual(b.authHttpHeaders, [
      ['X-A', '1'],
      ['X-A', '3'],
    ]);
    assert.deepEqual(a.realIpFrom, ['10.0.0.0/8']);
    assert.deepEqual(b.realIpFrom, ['unix:', '192.0.2.1/32']);
    assert.deepEqual(a.access, [{ action: 'deny', match: 'all' }]);
    assert.deepEqual(b.access, [{ action: 'allow', match: '127.0.0.1/32' }]);
  });

  it('lists: certificates pair up with keys in order, paths relative to the config directory', async () => {
    const r = await loadText(
      mailConf(
        '        starttls on;\n        ssl_certificate a.pem;\n        ssl_certificate /abs/b.pem;\n        ssl_certificate_key a.key;\n        ssl_certificate_key data:xyz;\n',
      ),
    );
    const dir = r.config.confFile.replace(/nginx\.conf$/, '');
    assert.deepEqual(r.config.mail?.servers[0]?.ssl.certificates, [
      { certificate: `${dir}a.pem`, key: `${dir}a.key` },
      { certificate: '/abs/b.pem', key: 'data:xyz' },
    ]);
  });

  it('auth_http moves as one unit; the last line on a level wins', async () => {
    const [a, b] = await pair(
      '        auth_http unix:/run/a.sock:/x;\n',
      '    auth_http 127.0.0.1:1/one;\n    auth_http auth.test:8080/two;\n',
    );
    assert.deepEqual(a.authHttp, {
      url: 'unix:/run/a.sock:/x',
      address: { kind: 'unix', path: '/run/a.sock' },
      addrText: 'unix:/run/a.sock',
      hostHeader: 'localhost',
      uri: '/x',
    });
    assert.deepEqual(b.authHttp, {
      url: 'auth.test:8080/two',
      address: { kind: 'tcp', host: '192.0.2.10', port: 8080 },
      addrText: '192.0.2.10:8080',
      hostHeader: 'auth.test',
      uri: '/two',
    });
  });

  it('auth_http: http:// stripped, port 80 and / by default, IPv6 Host keeps brackets, first address of a name', async () => {
    const [a, b] = await pair('        auth_http http://[::1];\n', '    auth_http dual.test?x=1;\n');
    assert.deepEqual(a.authHttp, {
      url: 'http://[::1]',
      address: { kind: 'tcp', host: '::1', port: 80 },
      addrText: '[::1]:80',
      hostHeader: '[::1]',
      uri: '/',
    });
    assert.deepEqual(b.authHttp, {
      url: 'dual.test?x=1',
      address: { kind: 'tcp', host: '192.0.2.1', port: 80 },
      addrText: '192.0.2.1:80',
      hostHeader: 'dual.test',
      uri: '?x=1',
    });
  });

  it('error_log: the server lines, else the mail lines, else the main lines', async () => {
    const text = `error_log stderr warn;\nevents {}\nmail {\n    auth_http 127.0.0.1:9/a;\n    error_log logs/mail.log info;\n    server {\n        listen 127.0.0.1:1;\n        protocol imap;\n        error_log logs/s.log debug;\n        error_log stderr;\n    }\n    server {\n        listen 127.0.0.1:2;\n        protocol imap;\n    }\n}\n`;
    const r = await loadText(text);
    const [a, b] = r.config.mail?.servers ?? [];
    assert.deepEqual(
      a?.errorLogs.map((l) => [l.target.kind, l.level]),
      [
        ['file', 'debug'],
        ['stderr', 'error'],
      ],
    );
    assert.deepEqual(
      b?.errorLogs.map((l) => [
        l.target.kind === 'file' ? l.target.path.replace(r.config.prefix, '') : l.target.kind,
        l.level,
      ]),
      [['logs/mail.log', 'info']],
    );
    const r2 = await loadText(mailConf('', '', 'error_log stderr notice;\n'));
    assert.deepEqual(r2.config.mail?.servers[0]?.errorLogs, r2.config.errorLogs);
  });

  it('error_log: main lines written after mail{} still reach servers', async () => {
    const r = await loadText(`${mailConf('')}error_log stderr crit;\n`);
    assert.deepEqual(
      r.config.mail?.servers[0]?.errorLogs.map((l) => l.level),
      ['crit'],
    );
  });

  it('resolver: off at the server hides the mail resolver; valid= and ipv6= are kept', async () => {
    const [a, b] = await pair(
      '        resolver off;\n',
      '    resolver 127.0.0.1 [::1]:5353 localhost valid=30s ipv6=off;\n',
    );
    assert.equal(a.resolver, null);
    assert.deepEqual(b.resolver, {
      addresses: ['127.0.0.1:53', '[::1]:5353', '127.0.0.1:53'],
      validSec: 30,
      ipv4: true,
      ipv6: false,
    });
  });

  it('ssl_session_cache: the built-in part and the shared zone are inherited separately', async () => {
    const [a, b] = await pair(
      '        ssl_session_cache builtin;\n',
      '    ssl_session_cache shared:MAIL:10m;\n',
    );
    assert.deepEqual(a.ssl.sessionCache, {
      mode: 'on',
      builtinSize: 20480,
      shared: { name: 'MAIL', sizeBytes: 10485760 },
    });
    assert.deepEqual(b.ssl.sessionCache, {
      mode: 'on',
      builtinSize: null,
      shared: { name: 'MAIL', sizeBytes: 10485760 },
    });
    const [c, d] = await pair(
      '        ssl_session_cache off;\n',
      '    ssl_session_cache builtin:100 none;\n',
    );
    assert.deepEqual(c.ssl.sessionCache, { mode: 'off', builtinSize: null, shared: null });
    assert.deepEqual(d.ssl.sessionCache, { mode: 'none', builtinSize: null, shared: null });
    const [e] = await pair('        ssl_session_cache builtin:100;\n', '');
    assert.deepEqual(e.ssl.sessionCache, { mode: 'on', builtinSize: 100, shared: null });
  });

  it('ssl_protocols: a bitmask listed in protocol order', async () => {
    assert.deepEqual((await server('        ssl_protocols TLSv1.3 TLSv1;\n')).ssl.protocols, [
      'TLSv1',
      'TLSv1.3',
    ]);
  });

  it('every value directive reaches its field', async () => {
    const s = await server(
      [
        'server_name m.example;',
        'timeout 1m;',
        'resolver_timeout 2s;',
        'max_errors 3;',
        'auth_http_timeout 4s;',
        'auth_http_pass_client_cert on;',
        'auth_http_keepalive 16;',
        'auth_http_max_response 8k;',
        'proxy on;',
        'proxy_buffer 16k;',
        'proxy_timeout 10m;',
        'proxy_pass_error_message on;',
        'proxy_protocol v2;',
        'proxy_smtp_auth on;',
        'imap_client_buffer 8k;',
        'pop3_client_buffer 1k;',
        'smtp_client_buffer 2k;',
        'smtp_greeting_delay 1500ms;',
        'pop3_auth apop;',
        'smtp_auth none;',
        'smtp_capabilities "SIZE 1";',
        'pop3_capabilities USER;',
        'starttls only;',
        'ssl_certificate c.pem;',
        'ssl_certificate_key k.pem;',
        'ssl_password_file pw;',
        'ssl_dhparam dh.pem;',
        'ssl_ecdh_curve X25519;',
        'ssl_ciphers HIGH;',
        'ssl_prefer_server_ciphers on;',
        'ssl_session_tickets off;',
        'ssl_session_ticket_key t.key;',
        'ssl_session_timeout 1h;',
        'ssl_verify_client optional;',
        'ssl_verify_depth 3;',
        'ssl_client_certificate ca.pem;',
        'ssl_trusted_certificate tr.pem;',
        'ssl_crl crl.pem;',
        'ssl_conf_command Options -SessionTicket;',
        'ssl_certificate_compression on;',
        'ssl_sni_certificate Mail.Example.COM s.pem s.key;',
      ]
        .map((l) => `        ${l}\n`)
        .join(''),
    );
    const dir = s.source.file.replace(/nginx\.conf$/, '');
    assert.equal(s.serverName, 'm.example');
    assert.deepEqual(
      [s.timeoutMs, s.resolverTimeoutMs, s.maxErrors, s.authHttpTimeoutMs],
      [60_000, 2000, 3, 4000],
    );
    assert.deepEqual(
      [s.authHttpPassClientCert, s.authHttpKeepalive, s.authHttpMaxResponseBytes],
      [true, 16, 8192],
    );
    assert.deepEqual(
      [s.proxyBufferBytes, s.proxyTimeoutMs, s.proxyPassErrorMessage, s.proxyProtocol, s.proxySmtpAuth],
      [16384, 600_000, true, 'v2', true],
    );
    assert.deepEqual(
      [s.imap.clientBufferBytes, s.pop3.clientBufferBytes, s.smtp.clientBufferBytes, s.smtp.greetingDelayMs],
      [8192, 1024, 2048, 1500],
    );
    assert.deepEqual(s.pop3.auth, { plain: false, apop: true, cramMd5: false, external: false });
    assert.deepEqual(s.smtp.auth, {
      plain: false,
      login: false,
      cramMd5: false,
      external: false,
      none: true,
    });
    assert.deepEqual([s.smtp.capabilities, s.pop3.capabilities], [['SIZE 1'], ['USER']]);
    assert.deepEqual(s.ssl, {
      starttls: 'only',
      certificates: [{ certificate: `${dir}c.pem`, key: `${dir}k.pem` }],
      passwordFile: `${dir}pw`,
      protocols: ['TLSv1.2', 'TLSv1.3'],
      ciphers: 'HIGH',
      preferServerCiphers: true,
      ecdhCurve: 'X25519',
      dhparam: `${dir}dh.pem`,
      sessionCache: { mode: 'none', builtinSize: null, shared: null },
      sessionTickets: false,
      sessionTicketKeys: [`${dir}t.key`],
      sessionTimeoutMs: 3_600_000,
      verifyClient: 'optional',
      verifyDepth: 3,
      clientCertificate: `${dir}ca.pem`,
      trustedCertificate: `${dir}tr.pem`,
      crl: `${dir}crl.pem`,
      confCommands: [['Options', '-SessionTicket']],
      certificateCompression: true,
      sniCertificates: [
        { serverName: 'mail.example.com', pair: { certificate: `${dir}s.pem`, key: `${dir}s.key` } },
      ],
    });
  });

  it('`ssl on` (deprecated) warns and puts ssl on every listen of the server', async () => {
    const r = await loadText(mailConf(`        listen 127.0.0.1:10993;\n        ssl on;\n${CERT}`));
    assert.deepEqual(
      r.config.mail?.servers[0]?.listens.map((l) => l.ssl),
      [true, true],
    );
    assert.deepEqual(
      r.warnings.map((w) => [w.message, w.source?.line]),
      [['the "ssl" directive is deprecated, use the "listen ... ssl" directive instead', 8]],
    );
  });

  it('`ssl on` at mail level reaches every server', async () => {
    const [a, b] = await pair('', `    ssl on;\n${CERT}`);
    assert.deepEqual([a.listens[0]?.ssl, b.listens[0]?.ssl], [true, true]);
  });

  it('`ssl` and `starttls` on one level conflict', async () => {
    assert.equal(
      await loadError(mailConf(`        ssl on;\n        starttls on;\n${CERT}`)),
      '"ssl" directive conflicts with "starttls" in P/nginx.conf:8',
    );
    assert.equal(
      await loadError(mailConf(`        starttls on;\n        ssl on;\n${CERT}`)),
      '"starttls" directive conflicts with "ssl on" in P/nginx.conf:8',
    );
    await loadText(mailConf(`        starttls off;\n        ssl on;\n${CERT}`));
  });
});

describe('merge-time checks', () => {
  it('names the line that asked for TLS when the certificate is missing', async () => {
    assert.equal(
      await loadError(mailConf('        starttls on;\n')),
      'no "ssl_certificate" is defined for the "starttls" directive in P/nginx.conf:7',
    );
    assert.equal(
      await loadError(mailConf('', '    starttls on;\n')),
      'no "ssl_certificate" is defined for the "starttls" directive in P/nginx.conf:4',
    );
    assert.equal(
      await loadError(mailConf('        ssl on;\n')),
      'no "ssl_certificate" is defined for the "ssl" directive in P/nginx.conf:7',
    );
    assert.equal(
      await loadError(mailConf('        ssl_certificate c.pem;\n        starttls on;\n')),
      'no "ssl_certificate_key" is defined for the "starttls" directive in P/nginx.conf:8',
    );
    assert.equal(
      await loadError(
        mailConf(
          '        ssl_certificate c.pem;\n        ssl_certificate d.pem;\n        ssl_certificate_key k.pem;\n        starttls on;\n',
        ),
      ),
      'no "ssl_certificate_key" is defined for certificate "d.pem" and the "starttls" directive in P/nginx.conf:10',
    );
  });

  it('keeps naming the listen ... ssl line once one was seen on the level', async () => {
    assert.equal(
      await loadError(mailConf('        listen 127.0.0.1:10993 ssl;\n        starttls on;\n')),
      'no "ssl_certificate" is defined for the "listen ... ssl" directive in P/nginx.conf:7',
    );
    assert.equal(
      await loadError(mailConf('        starttls on;\n        listen 127.0.0.1:10993 ssl;\n')),
      'no "ssl_certificate" is defined for the "listen ... ssl" directive in P/nginx.conf:8',
    );
  });

  it('wants a CA for ssl_verify_client on/optional, unless optional_no_ca', async () => {
    assert.equal(
      await loadError(mailConf(`        starttls on;\n        ssl_verify_client on;\n${CERT}`)),
      'no ssl_client_certificate or ssl_trusted_certificate for ssl_verify_client',
    );
    await loadText(mailConf(`        starttls on;\n        ssl_verify_client optional_no_ca;\n${CERT}`));
    await loadText(mailConf('        ssl_verify_client on;\n'));
  });

  it('needs auth_http for every server, named by the line of server {', async () => {
    const text =
      'events {}\nmail {\n    server {\n        listen 127.0.0.1:1;\n        protocol imap;\n        auth_http 127.0.0.1:9;\n    }\n    server {\n        listen 127.0.0.1:2;\n        protocol imap;\n    }\n}\n';
    assert.equal(await loadError(text), 'no "auth_http" is defined for server in P/nginx.conf:8');
  });

  it('checks module by module: every server protocol before any certificate, certificates before auth_http', async () => {
    const text =
      'events {}\nmail {\n    server {\n        listen 127.0.0.1:1 ssl;\n        protocol imap;\n    }\n    server {\n        listen 127.0.0.1:2;\n    }\n}\n';
    assert.equal(await loadError(text), 'unknown mail protocol for server in P/nginx.conf:7');
    const text2 =
      'events {}\nmail {\n    server {\n        listen 127.0.0.1:1;\n        protocol imap;\n    }\n    server {\n        listen 127.0.0.1:2 ssl;\n        protocol imap;\n    }\n}\n';
    assert.equal(
      await loadError(text2),
      'no "ssl_certificate" is defined for the "listen ... ssl" directive in P/nginx.conf:8',
    );
  });

  it('runs the mail checks at the end of mail{}, before later directives', async () => {
    assert.equal(
      await loadError(`${mailConf('', '').replace('    auth_http 127.0.0.1:9000/auth;\n', '')}bogus;\n`),
      'no "auth_http" is defined for server in P/nginx.conf:3',
    );
  });

  it('needs an events block, checked after everything else', async () => {
    assert.equal(await loadError('worker_processes 1;\n'), 'no "events" section in configuration');
    assert.equal(
      await loadError('daemon off;\nevents {}\nevents {}\n'),
      '"events" directive is duplicate in P/nginx.conf:3',
    );
  });

  it('needs a worker connection per listening socket, plus one', async () => {
    assert.equal(
      await loadError('events {\n    worker_connections 0;\n}\n'),
      '0 worker_connections are not enough for 0 listening sockets',
    );
    const two =
      'events {\n    worker_connections 2;\n}\nmail {\n    auth_http 127.0.0.1:9/a;\n    server {\n        listen 127.0.0.1:1;\n        listen 127.0.0.1:2;\n        protocol imap;\n    }\n}\n';
    assert.equal(await loadError(two), '2 worker_connections are not enough for 2 listening sockets');
    await loadText(two.replace('worker_connections 2', 'worker_connections 3'));
  });

  it('counts sockets as nginx binds them: a wildcard shares its port unless bind is given', () => {
    const l = (host: string, port: number, extra: Partial<ListenConfig> = {}): ListenConfig =>
      ({
        kind: 'tcp',
        host,
        port,
        family: host.includes(':') ? 6 : 4,
        bind: false,
        ...extra,
      }) as ListenConfig;
    assert.equal(countListeningSockets([l('0.0.0.0', 1), l('127.0.0.1', 1), l('127.0.0.2', 1)]), 1);
    assert.equal(countListeningSockets([l('0.0.0.0', 1), l('127.0.0.1', 1, { bind: true })]), 2);
    assert.equal(countListeningSockets([l('127.0.0.1', 1), l('127.0.0.2', 1)]), 2);
    assert.equal(countListeningSockets([l('0.0.0.0', 1), l('::', 1), l('::1', 1)]), 2);
    assert.equal(countListeningSockets([l('0.0.0.0', 1), l('0.0.0.0', 2)]), 2);
    assert.equal(
      countListeningSockets([
        { kind: 'unix', host: '/a', port: 0, family: 0 } as ListenConfig,
        { kind: 'unix', host: '/b', port: 0, family: 0 } as ListenConfig,
      ]),
      2,
    );
  });

  it('is deeply frozen', async () => {
    const r = await loadText(mailConf(''));
    const s = r.config.mail?.servers[0];
    assert.ok(Object.isFrozen(r.config));
    assert.ok(Object.isFrozen(r.config.errorLogs[0]?.target));
    assert.ok(Object.isFrozen(s?.listens[0]?.soKeepalive));
    assert.ok(Object.isFrozen(s?.imap.capabilities));
    assert.ok(Object.isFrozen(s?.authHttp.address));
    assert.throws(() => {
      (s?.imap.capabilities as string[]).push('X');
    }, TypeError);
  });

  it('is plain JSON, so it crosses the IPC channel unchanged', async () => {
    const r = await loadText(
      mailConf(
        `        listen 127.0.0.1:10993 ssl so_keepalive=1m::3;\n        ssl_session_cache shared:M:1m;\n${CERT}`,
        '    resolver 127.0.0.1;\n',
        'error_log syslog:server=127.0.0.1;\n',
      ),
    );
    assert.deepEqual(JSON.parse(JSON.stringify(r.config)), r.config);
  });

  it('deepFreeze leaves primitives and null alone', () => {
    assert.equal(deepFreeze(null), null);
    assert.equal(deepFreeze(3), 3);
    const o = deepFreeze({ a: [{ b: 1 }] });
    assert.ok(Object.isFrozen(o.a[0]));
  });
});
