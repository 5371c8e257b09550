/**
 * The bench's pure parts: option parsing, the bench message, the DATA-terminator scanner the fake
 * backend and the clients share, the proxy config text, statistics and paired ratios, run order, the
 * SVG chart, and the http scenario's requests (auth headers, postern-auth config, HTTP/1.0 loader).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBenchArgs, SCENARIOS } from '../../../bench/options.js';
import { benchMessage, parseSize, MIN_MESSAGE_BYTES } from '../../../bench/servers/message.js';
import { scanDataEnd } from '../../../bench/servers/backend-conn.js';
import { renderMailConfig } from '../../../bench/proxies/mail-config.js';
import { median, pairedRatios, formatRatio, spread } from '../../../bench/report/stats.js';
import { roundOrder, baselinesOf } from '../../../bench/run/ab.js';
import { niceStep, renderLineChart } from '../../../bench/report/svg.js';
import type { ProxyVariant } from '../../../bench/proxies/types.js';
import { authServiceConfig, imapLoginHeaders } from '../../../bench/scenarios/http-targets.js';
import { oneShotRequest, statusOf } from '../../../bench/load/http-oneshot.js';

test('options: a scenario is required, "all" expands to every scenario, defaults bound every run', () => {
  const none = parseBenchArgs([]);
  assert.equal(none.ok, false);
  const all = parseBenchArgs(['all']);
  assert.ok(all.ok);
  assert.deepEqual(all.options.scenarios, [...SCENARIOS]);
  assert.deepEqual(all.options.protocols, ['imap', 'pop3', 'smtp']);
  assert.deepEqual(all.options.keepalive, [0, 32]);
  assert.deepEqual(all.options.acceptPolicies, ['shared']);
  assert.equal(all.options.seconds, 5);
  assert.equal(all.options.sessions, 1_000_000);
  assert.equal(all.options.smtpBytes, 2048);
  assert.equal(all.options.relayBytes, 8 * 1024 * 1024);
  assert.deepEqual(all.options.compare, []);
});

test('options: --compare repeats, lists and sizes parse, bad values are refused with the option named', () => {
  const r = parseBenchArgs([
    'sessions',
    'sessions',
    '--compare',
    'nginx',
    '--compare',
    'HEAD~1',
    '--keepalive',
    '0,8,8',
    '--relay-size',
    '64k',
    '--protocols',
    'smtp',
    '--accept-policy',
    'least_conn,shared',
  ]);
  assert.ok(r.ok);
  assert.deepEqual(r.options.scenarios, ['sessions']);
  assert.deepEqual(r.options.compare, ['nginx', 'HEAD~1']);
  assert.deepEqual(r.options.keepalive, [0, 8]);
  assert.equal(r.options.relayBytes, 65536);
  assert.deepEqual(r.options.protocols, ['smtp']);
  assert.deepEqual(r.options.acceptPolicies, ['least_conn', 'shared']);
  const bad = (args: string[], re: RegExp): void => {
    const x = parseBenchArgs(args);
    assert.ok(!x.ok, args.join(' '));
    assert.match(x.message, re);
  };
  bad(['nope'], /unknown scenario "nope"/);
  bad(['sessions', '--protocols', 'imap,nntp'], /unknown protocol "nntp"/);
  bad(['sessions', '--workers', '0'], /--workers must be an integer >= 1/);
  bad(['sessions', '--relay-size', '8x'], /not a size: "8x"/);
  bad(['sessions', '--backend', 'postfix'], /--backend is fake or dovecot/);
  bad(['sessions', '--accept-policy', 'round_robin'], /--accept-policy is shared or least_conn, not "round_robin"/);
  bad(['sessions', '--frobnicate'], /Unknown option '--frobnicate'/);
  const help = parseBenchArgs(['--help']);
  assert.ok(!help.ok && help.help);
});

test('sizes use powers of 1024', () => {
  assert.equal(parseSize('2048'), 2048);
  assert.equal(parseSize('2k'), 2048);
  assert.equal(parseSize('8M'), 8 * 1024 * 1024);
  assert.equal(parseSize('1g'), 1024 ** 3);
});

test('the bench message has the exact size, CRLF lines of at most 78 octets, and no line starting with a dot', () => {
  for (const size of [MIN_MESSAGE_BYTES, MIN_MESSAGE_BYTES + 1, 2048, 2049, 4096 + 77, 100_003]) {
    const m = benchMessage(size);
    assert.equal(m.length, size);
    assert.equal(m.subarray(-2).toString('latin1'), '\r\n');
    const text = m.toString('latin1');
    const lines = text.slice(0, -2).split('\r\n');
    for (const line of lines) {
      assert.ok(line.length <= 78, `line of ${line.length}`);
      assert.ok(!line.startsWith('.'));
      assert.ok(!line.includes('\n') && !line.includes('\r'));
    }
  }
  assert.equal(benchMessage(1).length, MIN_MESSAGE_BYTES);
});

test('the DATA terminator is found at every split of the stream, and only there', () => {
  const stream = Buffer.from('Subject: x\r\n\r\nbody\r\n..dot\r\n\r\n.\r\nNEXT', 'latin1');
  const end = stream.indexOf('NEXT');
  for (let a = 0; a <= stream.length; a++) {
    for (let b = a; b <= stream.length; b++) {
      const parts = [stream.subarray(0, a), stream.subarray(a, b), stream.subarray(b)];
      let matched = 2;
      let offset = 0;
      let found = -1;
      for (const p of parts) {
        const r = scanDataEnd(p, 0, matched);
        if (r.end >= 0) {
          found = offset + r.end;
          break;
        }
        matched = r.matched;
        offset += p.length;
      }
      assert.equal(found, end, `split ${a}/${b}`);
    }
  }
  // Right after DATA's CRLF, a lone "." line ends the message.
  assert.deepEqual(scanDataEnd(Buffer.from('.\r\n'), 0, 2), { end: 3, matched: 0 });
  // Not after a CRLF it does not; what is left is the CRLF that may start the terminator.
  assert.deepEqual(scanDataEnd(Buffer.from('x.\r\n'), 0, 2), { end: -1, matched: 2 });
  assert.deepEqual(scanDataEnd(Buffer.from('x.'), 0, 2), { end: -1, matched: 0 });
});

test('both proxies get the same mail config; only postern gets auth_http_keepalive, and only when above 0', () => {
  const base = {
    dir: '/tmp/x',
    workers: 2,
    workerConnections: 1024,
    logLevel: 'error',
    authUrl: 'http://127.0.0.1:9000/auth',
    ports: { imap: 1143, pop3: 1110, smtp: 1025 },
    proxyBuffer: null,
    tls: null,
  };
  const nginx = renderMailConfig({ ...base, kind: 'nginx', keepalive: 32 });
  const postern = renderMailConfig({ ...base, kind: 'postern', keepalive: 32 });
  const postern0 = renderMailConfig({ ...base, kind: 'postern', keepalive: 0 });
  assert.equal(
    nginx,
    `# written by bench/proxies/mail-config.ts (nginx)
daemon off;
master_process on;
worker_processes 2;
pid /tmp/x/proxy.pid;
error_log /tmp/x/error.log error;

events {
    worker_connections 1024;
}

mail {
    server_name bench.postern.test;
    auth_http http://127.0.0.1:9000/auth;
    proxy_pass_error_message on;
    imap_auth plain login;
    pop3_auth plain;
    smtp_auth plain login;
    xclient on;

    server { listen 127.0.0.1:1143; protocol imap; }
    server { listen 127.0.0.1:1110; protocol pop3; }
    server { listen 127.0.0.1:1025; protocol smtp; }
}
`,
  );
  assert.equal(
    postern,
    nginx.replace('(nginx)', '(postern)').replace('/auth;\n', '/auth;\n    auth_http_keepalive 32;\n'),
  );
  assert.equal(postern0, nginx.replace('(nginx)', '(postern)'));
  const tls = renderMailConfig({
    ...base,
    kind: 'nginx',
    keepalive: 0,
    tls: {
      certificate: '/c.pem',
      key: '/k.pem',
      implicit: { imap: 1993, pop3: 1995, smtp: 1465 },
      starttls: { imap: 2143, pop3: 2110, smtp: 2587 },
    },
  });
  assert.match(tls, /^ {4}ssl_protocols TLSv1\.2 TLSv1\.3;$/m);
  assert.match(tls, /^ {4}server \{ listen 127\.0\.0\.1:1993 ssl; protocol imap; \}$/m);
  assert.match(tls, /^ {4}server \{ listen 127\.0\.0\.1:2587; protocol smtp; starttls on; \}$/m);
  // status_listen (the http scenario) goes in postern's main context, never in nginx's.
  const status = renderMailConfig({ ...base, kind: 'postern', keepalive: 0, statusPort: 9100 });
  assert.equal(
    status,
    postern0.replace('error.log error;\n', 'error.log error;\nstatus_listen 127.0.0.1:9100;\n'),
  );
  assert.equal(renderMailConfig({ ...base, kind: 'nginx', keepalive: 0, statusPort: 9100 }), nginx);
  // accept_policy least_conn goes in postern's events block only; shared (the default) is not written.
  const lc = renderMailConfig({ ...base, kind: 'postern', keepalive: 0, acceptPolicy: 'least_conn' });
  assert.equal(lc, postern0.replace(/(worker_connections \d+;\n)/, '$1    accept_policy least_conn;\n'));
  assert.equal(renderMailConfig({ ...base, kind: 'postern', keepalive: 0, acceptPolicy: 'shared' }), postern0);
  assert.equal(renderMailConfig({ ...base, kind: 'nginx', keepalive: 0, acceptPolicy: 'least_conn' }), nginx);
});

test('statistics: median and spread, and ratios paired by round', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
  assert.deepEqual(spread([5, NaN, 1, 3]), { median: 3, min: 1, max: 5, n: 3 });
  assert.equal(spread([]), null);
  const target = [
    { round: 0, metrics: { sessionsPerS: 300 } },
    { round: 1, metrics: { sessionsPerS: 200 } },
    { round: 2, metrics: { sessionsPerS: 150 } },
  ];
  const base = [
    { round: 1, metrics: { sessionsPerS: 100 } },
    { round: 0, metrics: { sessionsPerS: 200 } },
  ];
  const r = pairedRatios(target, base);
  // round 0: 300/200, round 1: 200/100; round 2 has no baseline run.
  assert.deepEqual(r.sessionsPerS, { median: 1.75, min: 1.5, max: 2, n: 2 });
  assert.equal(formatRatio(r.sessionsPerS), '1.75× (1.50–2.00)');
  assert.equal(formatRatio({ median: 1.5, min: 1.5, max: 1.5, n: 1 }), '1.50×');
});

test('rounds rotate the order of proxies, and postern is compared with nginx and with the same keep-alive of a git ref', () => {
  assert.deepEqual(roundOrder(['a', 'b', 'c'], 0), ['a', 'b', 'c']);
  assert.deepEqual(roundOrder(['a', 'b', 'c'], 1), ['b', 'c', 'a']);
  assert.deepEqual(roundOrder(['a', 'b'], 3), ['b', 'a']);
  const tree = { main: 'm', execArgv: [], build: 'working tree' };
  const old = { main: 'o', execArgv: [], build: 'v1 (abc)' };
  const v: ProxyVariant[] = [
    { id: 'nginx', kind: 'nginx', keepalive: 0, acceptPolicy: 'shared', entry: null },
    { id: 'postern', kind: 'postern', keepalive: 0, acceptPolicy: 'shared', entry: tree },
    { id: 'postern-ka8', kind: 'postern', keepalive: 8, acceptPolicy: 'shared', entry: tree },
    { id: 'v1', kind: 'postern', keepalive: 0, acceptPolicy: 'shared', entry: old },
    { id: 'v1-ka8', kind: 'postern', keepalive: 8, acceptPolicy: 'shared', entry: old },
    { id: 'postern-ka8-lc', kind: 'postern', keepalive: 8, acceptPolicy: 'least_conn', entry: tree },
    { id: 'v1-ka8-lc', kind: 'postern', keepalive: 8, acceptPolicy: 'least_conn', entry: old },
  ];
  assert.deepEqual(
    baselinesOf(v[2]!, v).map((b) => b.id),
    ['nginx', 'v1-ka8'],
  );
  assert.deepEqual(
    baselinesOf(v[3]!, v).map((b) => b.id),
    ['nginx'],
  );
  assert.deepEqual(baselinesOf(v[0]!, v), []);
  // the same accept policy too
  assert.deepEqual(
    baselinesOf(v[5]!, v).map((b) => b.id),
    ['nginx', 'v1-ka8-lc'],
  );
});

test('the sweep chart is one SVG with a line and legend entry per series and round y ticks', () => {
  assert.equal(niceStep(4300), 1000);
  assert.equal(niceStep(1), 0.2);
  const svg = renderLineChart({
    title: 'IMAP <sessions>',
    xLabel: 'worker_processes',
    yLabel: 'sessions/s',
    xs: [1, 2, 4],
    series: [
      {
        name: 'nginx c=8',
        color: '#555555',
        dash: '',
        points: [
          { x: 1, y: 1000, lo: 900, hi: 1100 },
          { x: 2, y: 1800 },
          { x: 4, y: 1700 },
        ],
      },
      {
        name: 'postern c=8',
        color: '#1f77b4',
        dash: '6 3',
        points: [
          { x: 1, y: 800 },
          { x: 2, y: 1500 },
        ],
      },
    ],
  });
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="760" height="440"/);
  assert.equal(svg.match(/<polyline /g)?.length, 2);
  assert.equal(svg.match(/<circle /g)?.length, 5);
  assert.ok(svg.includes('IMAP &lt;sessions&gt;'));
  assert.ok(svg.includes('>postern c=8</text>'));
  assert.ok(svg.includes('stroke-dasharray="6 3"'));
  assert.ok(svg.trimEnd().endsWith('</svg>'));
});

test('http: the auth requests carry the header lines postern sends for an IMAP LOGIN, in its order', () => {
  const h = imapLoginHeaders('127.0.0.1:9000');
  assert.deepEqual(Object.entries(h), [
    ['Host', '127.0.0.1:9000'],
    ['Auth-Method', 'plain'],
    ['Auth-User', 'bench'],
    ['Auth-Pass', 'bench-password'],
    ['Auth-Protocol', 'imap'],
    ['Auth-Login-Attempt', '1'],
    ['Client-IP', '127.0.0.1'],
  ]);
  assert.equal(
    oneShotRequest('/auth', h).toString('latin1'),
    'GET /auth HTTP/1.0\r\nHost: 127.0.0.1:9000\r\nAuth-Method: plain\r\nAuth-User: bench\r\n' +
      'Auth-Pass: bench-password\r\nAuth-Protocol: imap\r\nAuth-Login-Attempt: 1\r\nClient-IP: 127.0.0.1\r\n\r\n',
  );
  // A scrape of the status listener, which closes every connection: HTTP/1.1 saying so.
  assert.equal(
    oneShotRequest('/metrics', { Host: '127.0.0.1:9100' }, 'HTTP/1.1').toString('latin1'),
    'GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9100\r\nConnection: close\r\n\r\n',
  );
  assert.equal(statusOf(Buffer.from('HTTP/1.0 200 OK\r\nAuth-Status: OK\r\n\r\n')), 200);
  assert.equal(statusOf(Buffer.from('HTTP/1.1 403 Forbidden\r\n')), 403);
  assert.equal(statusOf(Buffer.from('HTTP/1.0 2')), 0);
  assert.equal(statusOf(Buffer.from('* OK IMAP4rev1\r\n')), 0);
});

test('http: the bench postern-auth serves one PLAIN user on both listeners and routes every protocol to the backend', () => {
  assert.equal(
    authServiceConfig('/tmp/b/users', { imap: 1143, pop3: 1110, smtp: 1025 }),
    `listen 127.0.0.1:0;
listen 127.0.0.1:0 uws;
path /auth;
users file /tmp/b/users;
throttle memory;
backend imap 127.0.0.1:1143;
backend pop3 127.0.0.1:1110;
backend smtp 127.0.0.1:1025;
log_level warn;
`,
  );
});
