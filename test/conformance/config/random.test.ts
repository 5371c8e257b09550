/**
 * Random configurations (a fixed-seed generator, so every run checks the same ones) through nginx -t and
 * postern: same verdict, same message and line. Complements the hand-written corpus with combinations
 * nobody thought of: several servers, inherited settings, merge-time checks meeting directive errors.
 * Only directives where postern means to agree with nginx 1.22 are drawn.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FIXTURES_DIR, GLOBAL_DIRECTIVES_BASE, runNginx, runPosternInProcess, type PreparedCase } from './runner.js';

const CONFIGS = 400;
const BAD = 0.05;

/** A small linear congruential generator: deterministic across runs and machines. */
function generator(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

const GOOD_VALUES: Readonly<Record<string, readonly string[]>> = {
  time: ['10s', '500ms', '1h30m', '0', '5', '"1h 30m"', '10d'],
  size: ['4k', '1m', '0', '100', '8K'],
  flag: ['on', 'off', 'ON'],
  num: ['0', '5'],
  str: ['a', '"a b"', '""'],
};
const BAD_VALUES: Readonly<Record<string, readonly string[]>> = {
  time: ['1y', '1M', 'x', '1s1h'],
  size: ['1g', '-1', 'x'],
  flag: ['yes', 'on off'],
  num: ['-1', 'x', '99999999999999999999'],
  str: ['', 'x y'],
};
const VALUE_DIRECTIVES: readonly (readonly [string, string])[] = [
  ['timeout', 'time'],
  ['server_name', 'str'],
  ['resolver_timeout', 'time'],
  ['max_errors', 'num'],
  ['auth_http_timeout', 'time'],
  ['auth_http_pass_client_cert', 'flag'],
  ['proxy', 'flag'],
  ['proxy_buffer', 'size'],
  ['proxy_timeout', 'time'],
  ['proxy_pass_error_message', 'flag'],
  ['xclient', 'flag'],
  ['proxy_smtp_auth', 'flag'],
  ['proxy_protocol', 'flag'],
  ['imap_client_buffer', 'size'],
  ['smtp_client_buffer', 'size'],
  ['smtp_greeting_delay', 'time'],
  ['ssl_prefer_server_ciphers', 'flag'],
  ['ssl_session_tickets', 'flag'],
  ['ssl_session_timeout', 'time'],
  ['ssl_verify_depth', 'num'],
  ['ssl_ecdh_curve', 'str'],
];
const GOOD_LINES = [
  'imap_auth plain',
  'imap_auth login plain',
  'pop3_auth apop',
  'smtp_auth none login',
  'imap_capabilities IMAP4rev1 IDLE',
  'smtp_capabilities "SIZE 1"',
  'pop3_capabilities TOP',
  'auth_http 127.0.0.1:9/a',
  'auth_http localhost/x',
  'auth_http unix:/tmp/a.sock',
  'auth_http_header X-A b',
  'starttls on',
  'starttls only',
  'starttls off',
  'ssl on',
  'ssl off',
  'ssl_certificate cert.pem',
  'ssl_certificate_key key.pem',
  'ssl_protocols TLSv1.2',
  'ssl_session_cache shared:Z:1m',
  'ssl_session_cache shared:Z:2m',
  'ssl_session_cache builtin:5',
  'ssl_session_cache off',
  'set_real_ip_from 10.0.0.1/8',
  'set_real_ip_from unix:',
  'resolver 127.0.0.1',
  'resolver off',
  'error_log stderr info',
  'include nothing*.conf',
];
const BAD_LINES = [
  'imap_auth apop',
  'smtp_auth bogus',
  'auth_http 127.0.0.1:0',
  'auth_http_header X',
  'starttls x',
  'ssl_protocols TLSv9',
  'ssl_session_cache x',
  'set_real_ip_from 10.0.0.0/33',
  'resolver 127.0.0.1 valid=x',
  'error_log stderr bogus',
  'root /x',
  'location /',
  'listen 127.0.0.1:41999',
  'protocol imap',
  'server x',
  'bogus on',
];
const GOOD_LISTENS = [
  '127.0.0.1:41001',
  '127.0.0.1:41002',
  '127.0.0.1:41003',
  '41004',
  '127.0.0.77:143',
  '127.0.0.77:110',
  '127.0.0.77:25',
  '[::1]:41005',
  'unix:logs/a.sock',
  '127.0.0.1:41001 ssl',
  '127.0.0.1:41006 bind',
  'localhost:41008',
  '127.0.0.1:41009 so_keepalive=on',
];
const BAD_LISTENS = ['127.0.0.1:41007 backlog=0', '127.0.0.1:0', '127.0.0.1:41010 foo'];

function configText(rnd: () => number): string {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)] as T;
  const bad = (): boolean => rnd() < BAD;
  const value = (kind: string): string => pick((bad() ? BAD_VALUES : GOOD_VALUES)[kind] ?? []);
  const mailLine = (): string => {
    if (rnd() < 0.5) return bad() ? pick(BAD_LINES) : pick(GOOD_LINES);
    const [name, kind] = pick(VALUE_DIRECTIVES);
    return `${name} ${value(kind)}`;
  };
  let t = '';
  if (rnd() < 0.3) {
    t += bad()
      ? pick(['worker_processes x;\n', 'bogus;\n'])
      : pick(['worker_processes 2;\n', 'daemon off;\n', 'error_log stderr;\n']);
  }
  if (rnd() < 0.98) {
    t += bad()
      ? pick(['events {\n    use epoll;\n    bogus;\n}\n', 'events {\n    worker_connections 1;\n}\n'])
      : pick(['events {}\n', 'events {\n    worker_connections 3;\n}\n', 'events {\n    use epoll;\n}\n']);
  }
  if (rnd() < 0.95) {
    t += 'mail {\n';
    if (rnd() < 0.8) t += '    auth_http 127.0.0.1:9000/auth;\n';
    for (let i = Math.floor(rnd() * 4); i > 0; i--) t += `    ${mailLine()};\n`;
    for (let s = 1 + Math.floor(rnd() * 3); s > 0; s--) {
      t += '    server {\n';
      for (let i = Math.floor(rnd() * 3); i > 0; i--)
        t += `        listen ${bad() ? pick(BAD_LISTENS) : pick(GOOD_LISTENS)};\n`;
      if (rnd() < 0.8) t += `        protocol ${bad() ? 'lmtp' : pick(['imap', 'pop3', 'smtp'])};\n`;
      for (let i = Math.floor(rnd() * 4); i > 0; i--) t += `        ${mailLine()};\n`;
      t += '    }\n';
    }
    t += '}\n';
  }
  if (rnd() < 0.05) t += pick(['}\n', '"x"y;\n', 'a {\n']);
  return t;
}

function prepare(text: string): PreparedCase {
  const dir = mkdtempSync(join(tmpdir(), 'postern-random-'));
  mkdirSync(join(dir, 'logs'));
  cpSync(FIXTURES_DIR, dir, { recursive: true });
  writeFileSync(join(dir, 'nginx.conf'), text);
  return {
    dir: `${dir}/`,
    confFile: join(dir, 'nginx.conf'),
    // nginx -t creates the pid file: keep it in the directory (the generator never writes `pid` at main)
    globalDirectives: `${GLOBAL_DIRECTIVES_BASE} pid ${join(dir, 'logs', 'nginx.pid')};`,
    cleanup: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('random configurations: postern -t agrees with nginx -t', () => {
  it(`agrees on ${String(CONFIGS)} generated configurations, valid and invalid`, async () => {
    const rnd = generator(20261126);
    let valid = 0;
    for (let i = 0; i < CONFIGS; i++) {
      const text = configText(rnd);
      const c = prepare(text);
      try {
        const nginx = runNginx(c);
        if (nginx.ok) valid++;
        assert.deepEqual(await runPosternInProcess(c), nginx, `configuration #${String(i)}:\n${text}`);
      } finally {
        c.cleanup();
      }
    }
    assert.ok(
      valid >= 10 && valid <= CONFIGS - 10,
      `${String(valid)} of ${String(CONFIGS)} valid: the generator lost its mix`,
    );
  });
});
