/**
 * Malformed and hostile requests get a failure answer (or a close), never a crash: missing headers,
 * bad %-escaping, huge heads, garbage, a slow-loris head, a body, the wrong path; on both listeners.
 * After each, the service still answers a good request.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ask, authLines, authRequest, exchange, sequential, startFixture, type Fixture } from './fixture.js';
import { parseHead } from '../../../auth-service/http/request-head.js';
import { percentDecode } from '../../../auth-service/core/percent.js';

const INVALID = 'Auth-Status: [UNAVAILABLE] Invalid authentication request.';
const INVALID_ANY = [INVALID, 'Auth-Error-Code: 454 4.7.0'];
const OK = ['Auth-Status: OK', 'Auth-Server: 127.0.0.1', 'Auth-Port: 1143'];

let fx: Fixture;
before(async () => {
  fx = await startFixture(['a@x.test:{PLAIN}pw'], 'throttle off;\ndomain x.test imap=127.0.0.1:1143;\nheader_timeout 300ms;\nmax_request_size 4k;');
});
after(() => fx.close());

async function stillServes(): Promise<void> {
  assert.deepEqual(await ask(fx.raw, { user: 'a@x.test', pass: 'pw' }), OK);
  const r = await exchange(fx.uws, authRequest({ user: 'a@x.test', pass: 'pw', version: '1.1' }), { untilBlank: true });
  assert.deepEqual(authLines(r.text), OK);
}

test('a request without Auth-Method, Auth-Protocol or Client-IP gets the invalid-request failure', async () => {
  const base = authRequest({ user: 'a@x.test', pass: 'pw' });
  for (const drop of ['Auth-Method', 'Auth-Protocol', 'Client-IP']) {
    const req = base.split('\r\n').filter((l) => !l.startsWith(`${drop}:`)).join('\r\n');
    const r = await exchange(fx.raw, req);
    const expected = drop === 'Auth-Protocol' ? INVALID_ANY : [INVALID];
    assert.deepEqual(authLines(r.text), expected, drop);
    assert.match(r.text, /^HTTP\/1\.0 200 OK\r\n/);
    assert.equal(r.closed, true);
  }
  await stillServes();
});

test('bad %-escapes, an unknown method and a bad or empty Client-IP are refused', async () => {
  const raw = (user: string, pass: string, method = 'plain', ip = '192.0.2.1'): string =>
    `GET /auth HTTP/1.0\r\nHost: x\r\nAuth-Method: ${method}\r\nAuth-User: ${user}\r\nAuth-Pass: ${pass}\r\nAuth-Protocol: imap\r\nAuth-Login-Attempt: 1\r\nClient-IP: ${ip}\r\n\r\n`;
  for (const req of [
    raw('a@x.test', 'p%2'),
    raw('a@x.test', 'p%zzw'),
    raw('a%@x.test', 'pw'),
    raw('a@x.test', 'pw', 'login'),
    raw('a@x.test', 'pw', 'plain', 'not-an-ip'),
    raw('a@x.test', 'pw', 'plain', ''),
  ]) {
    const r = await exchange(fx.raw, req);
    assert.deepEqual(authLines(r.text), [INVALID], req.slice(0, 120));
  }
  const log = fx.log.lines.filter((l) => l.msg === 'invalid auth request').map((l) => l.obj.reason);
  assert.ok(log.includes('bad %-escape in Auth-Pass') && log.includes('bad %-escape in Auth-User'), String(log));
  await stillServes();
});

test('a head over max_request_size, garbage and a bad request line get 400 with a failure and a close', async () => {
  for (const req of [
    authRequest({ user: 'a@x.test', pass: 'pw', extra: [['X-Big', 'y'.repeat(6000)]] }),
    'hello there\r\n\r\n',
    '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n',
    'GET /auth HTTP/2.0\r\n\r\n',
    `GET /auth HTTP/1.0\r\nAuth-User: a\r\nAuth-User: b\r\n\r\n`,
    `GET /auth HTTP/1.0\r\nAuth-User: a\r\n folded\r\n\r\n`,
  ]) {
    const r = await exchange(fx.raw, req);
    assert.match(r.text, /^HTTP\/1\.0 400 Bad Request\r\n/, JSON.stringify(req.slice(0, 60)));
    assert.deepEqual(authLines(r.text), INVALID_ANY);
    assert.equal(r.closed, true);
  }
  await stillServes();
});

test('a wrong path, another method or a body is refused with a failure', async () => {
  let r = await exchange(fx.raw, authRequest({ user: 'a@x.test', pass: 'pw' }).replace('/auth', '/other'));
  assert.match(r.text, /^HTTP\/1\.0 404 Not Found\r\n/);
  assert.deepEqual(authLines(r.text), INVALID_ANY);
  r = await exchange(fx.raw, authRequest({ user: 'a@x.test', pass: 'pw' }).replace('GET', 'POST'));
  assert.match(r.text, /^HTTP\/1\.0 405 /);
  r = await exchange(fx.raw, authRequest({ user: 'a@x.test', pass: 'pw', extra: [['Content-Length', '5']] }) + 'hello');
  assert.match(r.text, /^HTTP\/1\.0 400 /);
  r = await exchange(fx.uws, authRequest({ user: 'a@x.test', pass: 'pw', version: '1.1' }).replace('/auth', '/other'), { untilBlank: true });
  assert.match(r.text, /^HTTP\/1\.1 404 Not Found\r\n/);
  assert.deepEqual(authLines(r.text), INVALID_ANY);
  await stillServes();
});

test('a slow-loris head is cut off at header_timeout, and a head sent in pieces inside it is answered', async () => {
  const req = authRequest({ user: 'a@x.test', pass: 'pw' });
  const slow = await exchange(fx.raw, '', { pieces: [req.slice(0, 30), req.slice(30, 60)], gapMs: 50, timeoutMs: 3000 });
  assert.equal(slow.closed, true);
  assert.equal(slow.text, '');
  const pieces = req.match(/[\s\S]{1,7}/g)!;
  const ok = await exchange(fx.raw, '', { pieces, gapMs: 1, timeoutMs: 3000 });
  assert.deepEqual(authLines(ok.text), OK);
  await stillServes();
});

test('HTTP/1.1 keeps the connection for several requests, and Connection: close ends it', async () => {
  const a = authRequest({ user: 'a@x.test', pass: 'pw', version: '1.1' });
  const kept = await sequential(fx.raw, [a, a, a]);
  assert.deepEqual(kept.answers.map(authLines), [OK, OK, OK]);
  assert.match(kept.answers[0]!, /\r\nContent-Length: 0\r\n\r\n$/);
  assert.equal(kept.closed, false);
  const pipelined = await exchange(fx.raw, a + a, { timeoutMs: 500 });
  assert.equal(pipelined.text.split('Auth-Status: OK').length - 1, 2, 'pipelined requests are answered in order');
  const closing = await exchange(fx.raw, a.replace('Host: localhost\r\n', 'Host: localhost\r\nConnection: close\r\n'));
  assert.deepEqual(authLines(closing.text), OK);
  assert.equal(closing.closed, true);
});

test('garbage on the uWS listener does not crash the service', async () => {
  await exchange(fx.uws, 'hello there\r\n\r\n', { timeoutMs: 300 });
  await exchange(fx.uws, `GET /auth HTTP/1.1\r\nHost: x\r\nX-Big: ${'z'.repeat(200_000)}\r\n\r\n`, { timeoutMs: 500 });
  await stillServes();
});

test('the head parser is the same whole or byte by byte, and refuses what it must', () => {
  const req = Buffer.from(authRequest({ user: 'a b', pass: 'p%25' }), 'latin1');
  const whole = parseHead(req, req.length, { maxBytes: 4096, maxHeaders: 50 });
  assert.equal(whole.type, 'head');
  for (let n = 0; n < req.length; n++) assert.equal(parseHead(req, n, { maxBytes: 4096, maxHeaders: 50 }).type, 'incomplete');
  const lf = Buffer.from('GET /auth HTTP/1.0\nAuth-Method: plain\n\n');
  const r = parseHead(lf, lf.length, { maxBytes: 4096, maxHeaders: 50 });
  assert.ok(r.type === 'head' && r.head.headers.get('auth-method') === 'plain');
  const many = Buffer.from(`GET / HTTP/1.0\r\n${'A: b\r\n'.repeat(60)}\r\n`);
  assert.deepEqual(parseHead(many, many.length, { maxBytes: 4096, maxHeaders: 50 }), { type: 'invalid', reason: 'too many header lines', length: many.length });
});

test('percent-decoding undoes nginx escaping and refuses a malformed escape', () => {
  assert.deepEqual(percentDecode(Buffer.from('a%20b%25c%0D%0a')), Buffer.from('a b%c\r\n'));
  assert.equal(percentDecode(Buffer.from('%')), null);
  assert.equal(percentDecode(Buffer.from('ab%4')), null);
  assert.equal(percentDecode(Buffer.from('%GG')), null);
});
