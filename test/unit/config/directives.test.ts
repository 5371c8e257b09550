import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DIRECTIVES, arityOk, lookupDirective } from '../../../src/config/directives.js';
import { FOREIGN_DIRECTIVES } from '../../../src/config/foreign-names.js';
import { loadError, loadText, mailConf } from './load-text.js';

type Ctx = 'main' | 'events' | 'mail' | 'server';

/** The file around one directive line, and the line the directive lands on. */
function place(ctx: Ctx, line: string): { text: string; line: number } {
  switch (ctx) {
    case 'main':
      return { text: `${line}\nevents {}\n`, line: 1 };
    case 'events':
      return { text: `events {\n    ${line}\n}\n`, line: 2 };
    case 'mail':
      return { text: mailConf('', `    ${line}\n`), line: 4 };
    case 'server':
      return { text: mailConf(`        ${line}\n`), line: 7 };
  }
}

interface Case {
  readonly ctx: Ctx;
  /** argument strings that must load */
  readonly good: readonly string[];
  /** [arguments, nginx's message without location] */
  readonly bad: readonly (readonly [string, string])[];
}

const INVALID_VALUE = (name: string): string => `"${name}" directive invalid value`;
const INVALID_NUMBER = (name: string): string => `"${name}" directive invalid number`;
const FLAG_MSG = (v: string, name: string): string =>
  `invalid value "${v}" in "${name}" directive, it must be "on" or "off"`;
const flag = (name: string, ctx: Ctx): Case => ({
  ctx,
  good: ['on', 'off', 'ON'],
  bad: [['yes', FLAG_MSG('yes', name)]],
});
const msec = (name: string, ctx: Ctx): Case => ({
  ctx,
  good: ['10s', '500ms', '1h30m', '0'],
  bad: [
    ['1y', INVALID_VALUE(name)],
    ['soon', INVALID_VALUE(name)],
  ],
});
const size = (name: string, ctx: Ctx): Case => ({
  ctx,
  good: ['4k', '1m', '100'],
  bad: [['1g', INVALID_VALUE(name)]],
});
const num = (name: string, ctx: Ctx): Case => ({
  ctx,
  good: ['0', '8'],
  bad: [
    ['x', INVALID_NUMBER(name)],
    ['-1', INVALID_NUMBER(name)],
  ],
});
const str = (ctx: Ctx, value = 'x'): Case => ({ ctx, good: [value], bad: [] });

/** Every directive of the table with forms it accepts and rejects (checked: the table has no others). */
const CASES: Readonly<Record<string, Case>> = {
  daemon: flag('daemon', 'main'),
  master_process: flag('master_process', 'main'),
  timer_resolution: msec('timer_resolution', 'main'),
  pid: str('main', 'logs/x.pid'),
  lock_file: str('main', 'logs/x.lock'),
  worker_processes: {
    ctx: 'main',
    good: ['1', 'auto', '0'],
    bad: [['many', INVALID_VALUE('worker_processes')]],
  },
  debug_points: { ctx: 'main', good: ['stop', 'abort'], bad: [['crash', 'invalid value "crash"']] },
  user: {
    ctx: 'main',
    good: ['nobody nogroup', 'mail', 'root root'],
    bad: [
      ['nosuch', 'getpwnam("nosuch") failed'],
      ['nobody', 'getgrnam("nobody") failed'],
    ],
  },
  worker_priority: {
    ctx: 'main',
    good: ['-5', '+5', '10'],
    bad: [['high', INVALID_NUMBER('worker_priority')]],
  },
  worker_cpu_affinity: {
    ctx: 'main',
    good: ['auto', 'auto 0101', '01 10', '0101'],
    bad: [
      ['01x', 'invalid character "x" in "worker_cpu_affinity"'],
      ['auto 01 10', 'invalid number of arguments in "worker_cpu_affinity" directive'],
    ],
  },
  worker_rlimit_nofile: num('worker_rlimit_nofile', 'main'),
  worker_rlimit_core: {
    ctx: 'main',
    good: ['10m', '1g'],
    bad: [['1t', INVALID_VALUE('worker_rlimit_core')]],
  },
  worker_shutdown_timeout: msec('worker_shutdown_timeout', 'main'),
  working_directory: str('main', '/tmp'),
  env: str('main', 'TZ=UTC'),
  load_module: str('main', 'modules/ngx_mail_module.so'),
  thread_pool: { ctx: 'main', good: ['default threads=32'], bad: [] },
  pcre_jit: flag('pcre_jit', 'main'),
  ssl_engine: str('main', 'rdrand'),
  error_log: {
    ctx: 'main',
    good: [
      'stderr',
      'stderr info',
      'logs/e.log debug',
      'logs/e.log debug_core debug_mail',
      'syslog:server=127.0.0.1 warn',
      'syslog:server=unix:/dev/log,tag=mail,nohostname',
    ],
    bad: [
      ['logs/e.log loud', 'invalid log level "loud"'],
      ['logs/e.log info warn', 'duplicate log level "warn"'],
      ['logs/e.log info debug_mail', 'invalid log level "debug_mail"'],
      ['memory:1m', 'the "memory:" error_log target is not supported'],
      ['syslog:tag=x', 'no syslog server specified'],
      ['syslog:server=no.such', 'host not found in syslog server "no.such"'],
      ['syslog:server=127.0.0.1,facility=local9', 'unknown syslog facility "local9"'],
      ['syslog:server=127.0.0.1,severity=loud', 'unknown syslog severity "loud"'],
      ['syslog:server=127.0.0.1,facility=mail,facility=mail', 'duplicate syslog "facility"'],
      ['syslog:server=127.0.0.1,severity=info,severity=info', 'duplicate syslog "severity"'],
      ['syslog:server=127.0.0.1,tag=a,tag=b', 'duplicate syslog "tag"'],
      ['syslog:server=127.0.0.1,tag=a.b', 'syslog "tag" only allows alphanumeric characters and underscore'],
      [`syslog:server=127.0.0.1,tag=${'t'.repeat(33)}`, 'syslog tag length exceeds 32'],
      ['syslog:server=127.0.0.1,server=127.0.0.2', 'duplicate syslog "server"'],
      ['syslog:server=127.0.0.1,x=1', 'unknown syslog parameter "x=1"'],
    ],
  },
  events: { ctx: 'main', good: [], bad: [] },
  mail: { ctx: 'main', good: [], bad: [] },
  http: { ctx: 'main', good: [], bad: [] },
  stream: { ctx: 'main', good: [], bad: [] },
  error_log_format: { ctx: 'main', good: ['nginx', 'json', 'JSON'], bad: [['xml', 'invalid value "xml"']] },
  status_listen: {
    ctx: 'main',
    good: ['127.0.0.1:8080', '8080', '[::1]:8080', 'localhost:8080'],
    bad: [
      ['127.0.0.1', 'invalid value "127.0.0.1": status_listen needs one address and one port'],
      ['unix:/x', 'invalid value "unix:/x": status_listen needs an address and a port'],
      ['127.0.0.1:0', 'invalid port in "127.0.0.1:0" of the "status_listen" directive'],
      ['dual.test:80', 'invalid value "dual.test:80": status_listen needs one address and one port'],
    ],
  },
  status_allow: {
    ctx: 'main',
    good: ['127.0.0.1', '10.0.0.0/8', 'all', '::1'],
    bad: [['nowhere', 'invalid parameter "nowhere"']],
  },
  status_deny: { ctx: 'main', good: ['all'], bad: [['10.0.0.0/40', 'invalid parameter "10.0.0.0/40"']] },

  worker_connections: { ctx: 'events', good: ['1024'], bad: [['many', 'invalid number "many"']] },
  use: {
    ctx: 'events',
    good: ['epoll'],
    bad: [
      ['select', 'invalid event type "select"'],
      ['poll', 'invalid event type "poll"'],
      ['kqueue', 'invalid event type "kqueue"'],
    ],
  },
  multi_accept: flag('multi_accept', 'events'),
  accept_mutex: flag('accept_mutex', 'events'),
  accept_mutex_delay: msec('accept_mutex_delay', 'events'),
  debug_connection: {
    ctx: 'events',
    good: ['127.0.0.1', '10.0.0.0/8', '::1', 'unix:', 'localhost', 'dual.test'],
    bad: [['no.such', 'host not found in debug_connection "no.such"']],
  },
  epoll_events: num('epoll_events', 'events'),
  worker_aio_requests: num('worker_aio_requests', 'events'),
  accept_policy: {
    ctx: 'events',
    good: ['shared', 'least_conn'],
    bad: [['random', 'invalid value "random"']],
  },

  server: { ctx: 'mail', good: [], bad: [] },
  listen: { ctx: 'server', good: [], bad: [] }, // listen.test.ts
  protocol: {
    ctx: 'server',
    good: ['imap', 'pop3', 'smtp'],
    bad: [
      ['IMAP', 'unknown protocol "IMAP"'],
      ['lmtp', 'unknown protocol "lmtp"'],
    ],
  },
  timeout: msec('timeout', 'server'),
  server_name: str('server', 'mail.example.com'),
  resolver: {
    ctx: 'server',
    good: [
      'off',
      '127.0.0.1',
      '127.0.0.1:5353 [::1] valid=30s',
      '127.0.0.1 ipv6=off',
      '127.0.0.1 ipv4=off',
      'localhost',
    ],
    bad: [
      ['127.0.0.1 valid=soon', 'invalid parameter: valid=soon'],
      ['127.0.0.1 ipv6=no', 'invalid parameter: ipv6=no'],
      ['127.0.0.1 ipv4=off ipv6=off', '"ipv4" and "ipv6" cannot both be "off"'],
      ['valid=1s', 'no name servers defined'],
      ['127.0.0.1:0', 'invalid port in resolver "127.0.0.1:0"'],
      ['no.such', 'host not found in resolver "no.such"'],
      ['unix:/run/dns', 'unix domain sockets are not supported in resolver "unix:/run/dns"'],
    ],
  },
  resolver_timeout: msec('resolver_timeout', 'server'),
  max_errors: num('max_errors', 'server'),

  auth_http: {
    ctx: 'server',
    good: [
      '127.0.0.1',
      'http://127.0.0.1:9000/auth',
      'unix:/run/auth.sock',
      'unix:/run/auth.sock:/x',
      '[::1]:81/a',
      'auth.test/a?b',
    ],
    bad: [
      ['127.0.0.1:0/a', 'invalid port in auth_http "127.0.0.1:0/a"'],
      ['http://:80/a', 'no host in auth_http ":80/a"'],
      ['no.such/a', 'host not found in auth_http "no.such/a"'],
      ['unix:', 'no path in the unix domain socket in auth_http "unix:"'],
      [
        `unix:/${'p'.repeat(120)}`,
        `too long path in the unix domain socket in auth_http "unix:/${'p'.repeat(120)}"`,
      ],
      ['[::1', 'invalid host in auth_http "[::1"'],
      ['[::g]:80', 'invalid IPv6 address in auth_http "[::g]:80"'],
      ['[::1]x', 'invalid host in auth_http "[::1]x"'],
    ],
  },
  auth_http_timeout: msec('auth_http_timeout', 'server'),
  auth_http_header: { ctx: 'server', good: ['X-Key secret', 'X-Two "a b"'], bad: [] },
  auth_http_pass_client_cert: flag('auth_http_pass_client_cert', 'server'),
  auth_http_keepalive: num('auth_http_keepalive', 'server'),
  auth_http_max_response: size('auth_http_max_response', 'server'),

  proxy: flag('proxy', 'server'),
  proxy_buffer: size('proxy_buffer', 'server'),
  proxy_timeout: msec('proxy_timeout', 'server'),
  proxy_pass_error_message: flag('proxy_pass_error_message', 'server'),
  proxy_protocol: {
    ctx: 'server',
    good: ['on', 'off', 'v2', 'V2'],
    bad: [['v3', FLAG_MSG('v3', 'proxy_protocol')]],
  },
  proxy_smtp_auth: flag('proxy_smtp_auth', 'server'),
  xclient: flag('xclient', 'server'),

  imap_client_buffer: size('imap_client_buffer', 'server'),
  imap_capabilities: { ctx: 'server', good: ['IMAP4rev1', 'IMAP4rev1 "X Y" IDLE'], bad: [] },
  imap_auth: {
    ctx: 'server',
    good: ['plain', 'PLAIN login cram-md5 external'],
    bad: [
      ['apop', 'invalid value "apop"'],
      ['plain none', 'invalid value "none"'],
    ],
  },
  pop3_capabilities: { ctx: 'server', good: ['TOP USER'], bad: [] },
  pop3_auth: {
    ctx: 'server',
    good: ['plain apop cram-md5 external'],
    bad: [['login', 'invalid value "login"']],
  },
  pop3_client_buffer: size('pop3_client_buffer', 'server'),
  smtp_client_buffer: size('smtp_client_buffer', 'server'),
  smtp_greeting_delay: msec('smtp_greeting_delay', 'server'),
  smtp_capabilities: { ctx: 'server', good: ['"SIZE 1000" 8BITMIME'], bad: [] },
  smtp_auth: {
    ctx: 'server',
    good: ['none', 'plain login cram-md5 external none'],
    bad: [['apop', 'invalid value "apop"']],
  },

  ssl: { ctx: 'server', good: ['off'], bad: [['maybe', FLAG_MSG('maybe', 'ssl')]] },
  starttls: { ctx: 'server', good: ['off', 'OFF'], bad: [['maybe', 'invalid value "maybe"']] },
  ssl_certificate: str('server', 'c.pem'),
  ssl_certificate_key: str('server', 'k.pem'),
  ssl_password_file: str('server', 'pw.txt'),
  ssl_dhparam: str('server', 'dh.pem'),
  ssl_ecdh_curve: str('server', 'X25519:prime256v1'),
  ssl_protocols: {
    ctx: 'server',
    good: ['TLSv1.2', 'SSLv2 SSLv3 TLSv1 TLSv1.1 TLSv1.2 TLSv1.3', 'tlsv1.3'],
    bad: [['TLSv1.4', 'invalid value "TLSv1.4"']],
  },
  ssl_ciphers: str('server', 'HIGH:!aNULL'),
  ssl_prefer_server_ciphers: flag('ssl_prefer_server_ciphers', 'server'),
  ssl_session_cache: {
    ctx: 'server',
    good: ['off', 'none', 'builtin', 'builtin:1000', 'shared:M:1m', 'builtin:10 shared:M:32k'],
    bad: [
      ['shared:M:1k', 'session cache "shared:M:1k" is too small'],
      ['shared:M', 'invalid session cache "shared:M"'],
      ['shared::1m', 'invalid session cache "shared::1m"'],
      ['shared:M:x', 'invalid session cache "shared:M:x"'],
      ['builtin:x', 'invalid session cache "builtin:x"'],
      ['builtin:', 'invalid session cache "builtin:"'],
      ['memcached', 'invalid session cache "memcached"'],
      [
        'shared:M:1m shared:M:2m',
        'the size 2097152 of shared memory zone "M" conflicts with already declared size 1048576',
      ],
    ],
  },
  ssl_session_tickets: flag('ssl_session_tickets', 'server'),
  ssl_session_ticket_key: str('server', 'ticket.key'),
  ssl_session_timeout: {
    ctx: 'server',
    good: ['5m', '1y', '300'],
    bad: [['10ms', INVALID_VALUE('ssl_session_timeout')]],
  },
  ssl_verify_client: {
    ctx: 'server',
    good: ['off', 'on', 'optional', 'optional_no_ca'],
    bad: [['sometimes', 'invalid value "sometimes"']],
  },
  ssl_verify_depth: num('ssl_verify_depth', 'server'),
  ssl_client_certificate: str('server', 'ca.pem'),
  ssl_trusted_certificate: str('server', 'ca.pem'),
  ssl_crl: str('server', 'crl.pem'),
  ssl_conf_command: { ctx: 'server', good: ['Options -SessionTicket'], bad: [] },
  ssl_certificate_compression: flag('ssl_certificate_compression', 'server'),
  ssl_sni_certificate: {
    ctx: 'server',
    good: ['mail.example.com c.pem k.pem'],
    bad: [['"" c.pem k.pem', 'invalid server name ""']],
  },

  set_real_ip_from: {
    ctx: 'server',
    good: ['10.0.0.0/8', '192.0.2.1', '2001:db8::/32', 'unix:', 'dual.test'],
    bad: [
      ['no.such', 'host not found in set_real_ip_from "no.such"'],
      ['10.0.0.0/33', 'host not found in set_real_ip_from "10.0.0.0/33"'],
    ],
  },
  allow: {
    ctx: 'server',
    good: ['all', 'unix:', '10.0.0.0/8', '::1'],
    bad: [['everyone', 'invalid parameter "everyone"']],
  },
  deny: { ctx: 'server', good: ['all'], bad: [['10.0.0.0/33', 'invalid parameter "10.0.0.0/33"']] },
};

describe('directive table', () => {
  it('has a test case for every directive and no case for a missing one', () => {
    const names = new Set(DIRECTIVES.map((d) => d.name));
    assert.deepEqual(
      [...names].filter((n) => !(n in CASES)),
      [],
    );
    assert.deepEqual(
      Object.keys(CASES).filter((n) => !names.has(n)),
      [],
    );
  });

  it('never lists a table name as foreign', () => {
    assert.deepEqual(
      DIRECTIVES.filter((d) => FOREIGN_DIRECTIVES.has(d.name)).map((d) => d.name),
      [],
    );
  });

  it('tells unknown names from names nginx knows elsewhere', () => {
    assert.equal(lookupDirective('frobnicate', 'main').kind, 'unknown');
    assert.equal(lookupDirective('location', 'server').kind, 'notAllowed');
    assert.equal(lookupDirective('listen', 'mail').kind, 'notAllowed');
    assert.equal(lookupDirective('listen', 'server').kind, 'found');
    assert.equal(lookupDirective('error_log', 'events').kind, 'notAllowed');
  });

  it('checks argument counts as nginx does (at most 7 arguments for TAKEn)', () => {
    assert.equal(arityOk({ kind: 'take', counts: [1, 2] }, 2), true);
    assert.equal(arityOk({ kind: 'take', counts: [1, 2] }, 3), false);
    assert.equal(arityOk({ kind: 'flag' }, 1), true);
    assert.equal(arityOk({ kind: 'flag' }, 2), false);
    assert.equal(arityOk({ kind: '1more' }, 0), false);
    assert.equal(arityOk({ kind: '2more' }, 1), false);
    assert.equal(arityOk({ kind: '2more' }, 2), true);
    assert.equal(arityOk({ kind: 'any' }, 0), true);
    assert.equal(arityOk({ kind: 'take', counts: [8] }, 8), false);
  });

  for (const [name, c] of Object.entries(CASES)) {
    for (const good of c.good) {
      it(`${name} accepts "${good}" in ${c.ctx}`, async () => {
        await loadText(place(c.ctx, `${name} ${good};`).text);
      });
    }
    for (const [args, message] of c.bad) {
      it(`${name} rejects "${args}" with nginx's text and line`, async () => {
        const p = place(c.ctx, `${name} ${args};`);
        assert.equal(await loadError(p.text), `${message} in P/nginx.conf:${String(p.line)}`);
      });
    }
    const spec = DIRECTIVES.find((d) => d.name === name);
    if (spec !== undefined && !spec.block && spec.arity.kind !== 'any' && name !== 'include') {
      it(`${name} rejects a wrong number of arguments`, async () => {
        const argc =
          spec.arity.kind === 'take'
            ? Math.max(...spec.arity.counts) + 1
            : spec.arity.kind === 'flag'
              ? 2
              : 0;
        const p = place(c.ctx, `${name}${' a'.repeat(argc)};`);
        assert.equal(
          await loadError(p.text),
          `invalid number of arguments in "${name}" directive in P/nginx.conf:${String(p.line)}`,
        );
      });
      it(`${name} is not allowed where it does not belong`, async () => {
        const other: Ctx = c.ctx === 'events' ? 'main' : 'events';
        const p = place(other, `${name} x;`);
        assert.equal(
          await loadError(p.text),
          `"${name}" directive is not allowed here in P/nginx.conf:${String(p.line)}`,
        );
      });
    }
    if (
      spec?.merge === 'scalar' &&
      spec.value !== 'special' &&
      c.good.length > 0 &&
      spec.origin === 'nginx' &&
      name !== 'ssl'
    ) {
      it(`${name} twice on one level is a duplicate`, async () => {
        const v = c.good[0] ?? '';
        const p = place(c.ctx, `${name} ${v}; ${name} ${v};`);
        assert.equal(
          await loadError(p.text),
          `"${name}" directive is duplicate in P/nginx.conf:${String(p.line)}`,
        );
      });
    }
  }
});
