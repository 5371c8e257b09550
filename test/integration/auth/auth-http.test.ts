import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuthHttpResult } from '../../../src/auth/types.js';
import { AuthHttpClient, type AuthHttpClientOptions } from '../../../src/auth/auth-http.js';
import { buildAuthRequest, prepareAuthTarget } from '../../../src/auth/request.js';
import {
  closeConn,
  fail,
  hang,
  ok,
  raw,
  reset,
  respond,
  startFakeAuthHttp,
  wait,
  type FakeAuthHttp,
} from '../../helpers/fake-auth-http.js';
import { authInput as input, authRequest as request } from '../../helpers/auth-fixture.js';
import { freePort } from '../../helpers/ports.js';

const fakes: FakeAuthHttp[] = [];
const clients: AuthHttpClient[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const f of fakes.splice(0)) await f.close();
});

after(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function fake(script?: Parameters<typeof startFakeAuthHttp>[0]): Promise<FakeAuthHttp> {
  const f = await startFakeAuthHttp(script);
  fakes.push(f);
  return f;
}

function client(
  auth: { config(uri?: string): AuthHttpClientOptions['target'] },
  over: Partial<AuthHttpClientOptions> = {},
): AuthHttpClient {
  const c = new AuthHttpClient({
    target: auth.config(),
    headers: [['X-Auth-Key', 's3cret']],
    timeoutMs: 3000,
    passClientCert: false,
    keepalive: 0,
    maxResponseBytes: 1024,
    ...over,
  });
  clients.push(c);
  return c;
}

/** Poll a condition with a bound (tests never wait unboundedly). */
async function until(cond: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const OK_RESULT: AuthHttpResult = {
  type: 'ok',
  server: '10.0.0.5',
  port: 143,
  upstreamText: '10.0.0.5:143',
  user: null,
  pass: null,
};

describe('auth_http client: request and outcome', () => {
  it("sends nginx's exact bytes and returns the OK outcome", async () => {
    const auth = await fake({ script: [ok('10.0.0.5', 143)] });
    const c = client(auth);
    const result = await c.authenticate(input());
    assert.deepEqual(result, OK_RESULT);
    assert.equal(auth.requests.length, 1);
    const expected = buildAuthRequest(
      prepareAuthTarget({
        uri: '/auth',
        hostHeader: '127.0.0.1',
        headers: [['X-Auth-Key', 's3cret']],
        passClientCert: false,
        keepalive: false,
      }),
      input(),
    );
    assert.equal(auth.requests[0]!.raw.toString('latin1'), expected.toString('latin1'));
    assert.equal(auth.requests[0]!.requestLine, 'GET /auth HTTP/1.0');
  });

  it('returns a refusal with its Auth-Wait and error code at once (the session does the waiting)', async () => {
    const auth = await fake({ script: [fail('Invalid login', { wait: 2, code: '451 4.3.0' })] });
    const result = await client(auth).authenticate(input({ protocol: 'smtp' }));
    assert.deepEqual(result, {
      type: 'fail',
      text: Buffer.from('Invalid login'),
      errorCode: Buffer.from('451 4.3.0'),
      waitSec: 2,
    });
    assert.equal(auth.requests.length, 1);
  });

  it('opens a new connection per request and closes it after the headers when keep-alive is off', async () => {
    const auth = await fake({
      script: [
        respond({
          headers: [
            ['Auth-Status', 'OK'],
            ['Auth-Server', '10.0.0.5'],
            ['Auth-Port', '143'],
          ],
          body: 'ignored body',
          keepAlive: true,
        }),
      ],
    });
    const c = client(auth);
    for (let i = 0; i < 3; i++) assert.deepEqual(await c.authenticate(input()), OK_RESULT);
    assert.equal(auth.connections, 3);
    assert.ok(auth.requests.every((r) => r.requestLine === 'GET /auth HTTP/1.0' && r.seqOnConnection === 1));
    await until(() => auth.openConnections === 0, 'the client to close every connection');
    assert.equal(c.idleConnections, 0);
  });

  it('reads a response that arrives a few bytes at a time', async () => {
    const text = 'HTTP/1.0 200 OK\r\nAuth-Status: OK\r\nAuth-Server: 10.0.0.5\r\nAuth-Port: 143\r\n\r\n';
    const pieces = text.match(/.{1,7}/gs) ?? [];
    const auth = await fake({ script: [raw(pieces, { gapMs: 2 })] });
    assert.deepEqual(await client(auth).authenticate(input()), OK_RESULT);
  });
});

describe('auth_http client: faults', () => {
  it('reports a refused connection as nginx does', async () => {
    const port = await freePort();
    const c = client({
      config: () => ({
        url: `http://127.0.0.1:${port}/auth`,
        address: { kind: 'tcp', host: '127.0.0.1', port },
        addrText: `127.0.0.1:${port}`,
        hostHeader: '127.0.0.1',
        uri: '/auth',
      }),
    });
    const result = await c.authenticate(input());
    // nginx's non-blocking connect learns of the refusal at the next read (checked against nginx 1.22)
    assert.deepEqual(result, {
      type: 'error',
      message: 'recv() failed',
      level: 'error',
      err: { errno: 111, text: 'Connection refused' },
      kind: 'connect',
    });
    assert.equal(c.stats.errors.connect, 1);
  });

  it('reports a missing unix socket at crit, as nginx does for unusual connect errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'postern-auth-'));
    dirs.push(dir);
    const path = join(dir, 'missing.sock');
    const c = client({
      config: () => ({
        url: `unix:${path}:/auth`,
        address: { kind: 'unix', path },
        addrText: `unix:${path}`,
        hostHeader: 'localhost',
        uri: '/auth',
      }),
    });
    assert.deepEqual(await c.authenticate(input()), {
      type: 'error',
      message: `connect() to unix:${path} failed`,
      level: 'crit',
      err: { errno: 2, text: 'No such file or directory' },
      kind: 'connect',
    });
  });

  it('times out a service that never answers and drops the connection', async () => {
    const auth = await fake({ script: [hang()] });
    const result = await client(auth, { timeoutMs: 150 }).authenticate(input());
    assert.deepEqual(result, {
      type: 'error',
      message: `auth http server ${auth.addrText} timed out`,
      level: 'error',
      err: { errno: 110, text: 'Connection timed out' },
      kind: 'timeout',
    });
    await until(() => auth.openConnections === 0, 'the timed-out connection to close');
  });

  it('times out a service that answers after auth_http_timeout', async () => {
    const auth = await fake({ script: [{ ...ok('10.0.0.5', 143), delayMs: 600 }] });
    const result = await client(auth, { timeoutMs: 100 }).authenticate(input());
    assert.equal(result.type === 'error' && result.kind, 'timeout');
  });

  it('counts auth_http_timeout as one deadline, not an idle timer (a trickling answer still times out)', async () => {
    const pieces = [
      'Auth-Status: OK\r\n',
      'X-A: 1\r\n',
      'X-B: 1\r\n',
      'X-C: 1\r\n',
      'X-D: 1\r\n',
      'X-E: 1\r\n',
      'X-F: 1\r\n',
      '\r\n',
    ];
    const auth = await fake({ script: [raw(pieces, { gapMs: 80 })] });
    const result = await client(auth, { timeoutMs: 250 }).authenticate(input());
    assert.equal(result.type === 'error' && result.kind, 'timeout');
  });

  it('refuses garbage with nginx log texts', async () => {
    const auth = await fake({ script: [raw('\x00\x01garbage\r\n\r\n')] });
    const c = client(auth);
    assert.deepEqual(await c.authenticate(input()), {
      type: 'error',
      message: `auth http server ${auth.addrText} sent invalid header in response`,
      level: 'error',
      kind: 'invalid',
    });
    auth.script = [raw('HTTP/1.0 200 OK\rgarbage')];
    assert.deepEqual(await c.authenticate(input()), {
      type: 'error',
      message: `auth http server ${auth.addrText} sent invalid response`,
      level: 'error',
      kind: 'invalid',
    });
  });

  it('refuses response headers over the limit and accepts them under a larger configured one', async () => {
    const big = respond({
      headers: [
        ['Auth-Status', 'OK'],
        ['Auth-Server', '10.0.0.5'],
        ['Auth-Port', '143'],
        ['X-Padding', 'p'.repeat(2000)],
      ],
    });
    const auth = await fake({ script: [big] });
    assert.deepEqual(await client(auth).authenticate(input()), {
      type: 'error',
      message: `auth http server ${auth.addrText} sent too big header (more than 1024 bytes, see auth_http_max_response)`,
      level: 'error',
      kind: 'tooBig',
    });
    assert.deepEqual(await client(auth, { maxResponseBytes: 4096 }).authenticate(input()), OK_RESULT);
  });

  it('reports a connection closed before the end of the headers', async () => {
    const auth = await fake({ script: [closeConn()] });
    const c = client(auth);
    const closed: AuthHttpResult = {
      type: 'error',
      message: `auth http server ${auth.addrText} prematurely closed connection`,
      level: 'error',
      kind: 'closed',
    };
    assert.deepEqual(await c.authenticate(input()), closed);
    auth.script = [raw('HTTP/1.0 200 OK\r\nAuth-Status: OK\r\n')];
    assert.deepEqual(await c.authenticate(input()), closed);
  });

  it('reports a reset connection as recv() failed', async () => {
    const auth = await fake({ script: [reset()] });
    assert.deepEqual(await client(auth).authenticate(input()), {
      type: 'error',
      message: 'recv() failed',
      level: 'error',
      err: { errno: 104, text: 'Connection reset by peer' },
      kind: 'io',
    });
  });

  it('refuses a success without Auth-Pass when the session has no password (IMAP CRAM-MD5)', async () => {
    const auth = await fake({ script: [ok('10.0.0.5', 143)] });
    const cram = request({
      method: 'cram-md5',
      salt: Buffer.from('<1.2@h>\r\n'),
      password: Buffer.from('0123456789abcdef0123456789abcdef'),
    });
    assert.deepEqual(await client(auth).authenticate(input({ request: cram })), {
      type: 'error',
      message: `auth http server ${auth.addrText} did not send password`,
      level: 'error',
      kind: 'noPassword',
    });
    auth.script = [ok('10.0.0.5', 143, [['Auth-Pass', 'real']])];
    assert.deepEqual(await client(auth).authenticate(input({ request: cram })), {
      ...OK_RESULT,
      pass: Buffer.from('real'),
    });
  });
});

describe('auth_http client: WAIT (Q-7 and Q-8 fixed)', () => {
  it('waits Auth-Wait seconds, then re-sends the same request with the same attempt number', async () => {
    const auth = await fake({ script: [wait(1), ok('10.0.0.5', 143)] });
    const result = await client(auth).authenticate(input({ attempt: 2 }));
    assert.deepEqual(result, OK_RESULT);
    assert.equal(auth.requests.length, 2);
    const [first, second] = [auth.requests[0]!, auth.requests[1]!];
    assert.deepEqual(second.raw, first.raw);
    assert.equal(second.header('Auth-Login-Attempt'), '2');
    // a lower bound only: timers never fire early by more than clock rounding
    assert.ok(
      second.receivedAt - first.receivedAt >= 900,
      `waited ${second.receivedAt - first.receivedAt} ms`,
    );
  });

  it('keeps the APOP/CRAM-MD5 digest on the retry (nginx re-sends an empty Auth-Pass)', async () => {
    const auth = await fake({ script: [wait(), ok('10.0.0.5', 143, [['Auth-Pass', 'pw']])] });
    const cram = request({
      method: 'cram-md5',
      salt: Buffer.from('<1.2@h>\r\n'),
      password: Buffer.from('f066570e29cc80cdb9430847ecead707'),
    });
    const result = await client(auth, { waitMinRetryMs: 20 }).authenticate(input({ request: cram }));
    assert.equal(result.type, 'ok');
    assert.equal(auth.requests[1]!.header('Auth-Pass'), 'f066570e29cc80cdb9430847ecead707');
    assert.equal(auth.requests[1]!.header('Auth-Salt'), '<1.2@h>');
  });

  it('gives up with an error after the configured number of WAIT retries instead of looping', async () => {
    const auth = await fake({ script: [wait()] });
    const c = client(auth, { waitMinRetryMs: 20, waitMaxRetries: 3 });
    const result = await c.authenticate(input());
    assert.deepEqual(result, {
      type: 'error',
      message: `auth http server ${auth.addrText} sent WAIT 4 times in a row`,
      level: 'error',
      kind: 'waitLimit',
    });
    assert.equal(auth.requests.length, 4);
    assert.ok(auth.requests.every((r) => r.raw.equals(auth.requests[0]!.raw)));
    assert.equal(c.stats.waitRetries, 3);
  });

  it('treats a WAIT after an error status as the error (nginx 1.22.1)', async () => {
    const auth = await fake({
      script: [
        respond({
          headers: [
            ['Auth-Status', 'Nope'],
            ['Auth-Status', 'WAIT'],
          ],
        }),
      ],
    });
    assert.deepEqual(await client(auth).authenticate(input()), {
      type: 'fail',
      text: Buffer.from('Nope'),
      errorCode: null,
      waitSec: 0,
    });
    assert.equal(auth.requests.length, 1);
  });

  it('stops waiting when the session aborts', async () => {
    const auth = await fake({ script: [wait(30)] });
    const ac = new AbortController();
    const pending = client(auth).authenticate(input({ signal: ac.signal }));
    await auth.waitForRequests(1);
    ac.abort();
    assert.deepEqual(await pending, {
      type: 'error',
      message: 'auth http request aborted',
      level: 'error',
      kind: 'aborted',
    });
  });
});

describe('auth_http client: keep-alive (ours)', () => {
  const OK_KA = ok('10.0.0.5', 143);

  it('reuses one connection for sequential logins, with HTTP/1.1 and otherwise nginx headers', async () => {
    const auth = await fake({ script: [OK_KA] });
    const c = client(auth, { keepalive: 2 });
    for (let i = 0; i < 5; i++) assert.deepEqual(await c.authenticate(input()), OK_RESULT);
    assert.equal(auth.connections, 1);
    assert.deepEqual(
      auth.requests.map((r) => [r.requestLine, r.seqOnConnection]),
      [1, 2, 3, 4, 5].map((n) => ['GET /auth HTTP/1.1', n]),
    );
    assert.equal(
      auth.requests[0]!.raw.toString('latin1').replace('HTTP/1.1', 'HTTP/1.0'),
      buildAuthRequest(
        prepareAuthTarget({
          uri: '/auth',
          hostHeader: '127.0.0.1',
          headers: [['X-Auth-Key', 's3cret']],
          passClientCert: false,
          keepalive: false,
        }),
        input(),
      ).toString('latin1'),
    );
    assert.equal(c.stats.connectionsOpened, 1);
    assert.equal(c.stats.connectionsReused, 4);
    assert.equal(c.idleConnections, 1);
  });

  it('skips chunked and Content-Length bodies, even when they arrive late, before reusing', async () => {
    const head = 'HTTP/1.1 200 OK\r\nAuth-Status: OK\r\nAuth-Server: 10.0.0.5\r\nAuth-Port: 143\r\n';
    const auth = await fake({
      script: [
        respond({
          headers: [
            ['Auth-Status', 'OK'],
            ['Auth-Server', '10.0.0.5'],
            ['Auth-Port', '143'],
          ],
          body: 'x'.repeat(300),
          chunked: true,
        }),
        raw([`${head}Content-Length: 10\r\n\r\n01234`, '56789'], { gapMs: 30, then: 'keep' }),
        OK_KA,
      ],
    });
    const c = client(auth, { keepalive: 1 });
    for (let i = 0; i < 3; i++) {
      // the result comes at the end of the headers; the connection rejoins the pool once its body is read
      assert.deepEqual(await c.authenticate(input()), OK_RESULT);
      await until(() => c.idleConnections === 1, 'the connection to return to the pool');
    }
    assert.equal(auth.connections, 1);
    assert.equal(c.stats.connectionsReused, 2);
  });

  it('opens more connections under concurrency and keeps at most the pool size idle', async () => {
    const auth = await fake({ script: [{ ...OK_KA, delayMs: 30 }] });
    const c = client(auth, { keepalive: 2 });
    const results = await Promise.all([1, 2, 3, 4].map(() => c.authenticate(input())));
    assert.ok(results.every((r) => r.type === 'ok'));
    assert.equal(auth.connections, 4);
    assert.equal(c.idleConnections, 2);
    await until(() => auth.openConnections === 2, 'the extra connections to close');
    await c.authenticate(input());
    await c.authenticate(input());
    assert.equal(auth.connections, 4);
  });

  it('retries once on a fresh connection when a reused one closes before answering', async () => {
    const auth = await fake({
      script: (r) => (r.connection === 1 && r.seqOnConnection === 2 ? closeConn() : OK_KA),
    });
    const c = client(auth, { keepalive: 1 });
    assert.deepEqual(await c.authenticate(input()), OK_RESULT);
    assert.deepEqual(await c.authenticate(input()), OK_RESULT);
    assert.equal(auth.connections, 2);
    assert.equal(auth.requests.length, 3);
    assert.ok(auth.requests[2]!.raw.equals(auth.requests[1]!.raw));
    assert.equal(c.stats.keepaliveRetries, 1);
  });

  it('retries a reset reused connection too, but only once', async () => {
    const auth = await fake({
      script: (r) => (r.seqOnConnection === 1 && r.connection === 1 ? OK_KA : reset()),
    });
    const c = client(auth, { keepalive: 1 });
    assert.deepEqual(await c.authenticate(input()), OK_RESULT);
    const result = await c.authenticate(input());
    assert.equal(result.type === 'error' && result.message, 'recv() failed');
    assert.equal(auth.requests.length, 3);
    assert.equal(c.stats.keepaliveRetries, 1);
  });

  it('does not retry once part of a response arrived', async () => {
    const auth = await fake({
      script: (r) => (r.seqOnConnection === 2 ? raw('HTTP/1.1 200 OK\r\nAuth-Sta') : OK_KA),
    });
    const c = client(auth, { keepalive: 1 });
    await c.authenticate(input());
    assert.deepEqual(await c.authenticate(input()), {
      type: 'error',
      message: `auth http server ${auth.addrText} prematurely closed connection`,
      level: 'error',
      kind: 'closed',
    });
    assert.equal(auth.requests.length, 2);
    assert.equal(c.stats.keepaliveRetries, 0);
  });

  it('notices a server closing idle connections between requests and opens a new one', async () => {
    const auth = await fake({ script: [OK_KA] });
    const c = client(auth, { keepalive: 2 });
    await c.authenticate(input());
    assert.equal(c.idleConnections, 1);
    auth.closeIdle();
    await until(() => c.idleConnections === 0, 'the client to drop the closed connection');
    assert.deepEqual(await c.authenticate(input()), OK_RESULT);
    assert.equal(auth.connections, 2);
    assert.equal(c.stats.keepaliveRetries, 0);
  });

  it('does not pool a connection the server answers with Connection: close', async () => {
    const auth = await fake({ script: [{ ...OK_KA, keepAlive: false }] });
    const c = client(auth, { keepalive: 2 });
    await c.authenticate(input());
    await c.authenticate(input());
    assert.equal(auth.connections, 2);
    assert.equal(c.idleConnections, 0);
  });

  it('closes idle connections after the idle timeout and on close()', async () => {
    const auth = await fake({ script: [OK_KA] });
    const c = client(auth, { keepalive: 2, keepaliveIdleMs: 50 });
    await c.authenticate(input());
    await until(() => auth.openConnections === 0 && c.idleConnections === 0, 'the idle timeout');
    const d = client(auth, { keepalive: 2 });
    await d.authenticate(input());
    assert.equal(d.idleConnections, 1);
    d.close();
    assert.equal(d.idleConnections, 0);
    await until(() => auth.openConnections === 0, 'close() to drop idle connections');
  });
});

describe('auth_http client: unix socket, stats and hooks', () => {
  it('talks to a unix-socket auth service with Host: localhost', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'postern-auth-'));
    dirs.push(dir);
    const auth = await fake({ unixPath: join(dir, 'auth.sock'), script: [ok('10.0.0.5', 143)] });
    const c = client(auth, { keepalive: 1 });
    assert.deepEqual(await c.authenticate(input()), OK_RESULT);
    assert.deepEqual(await c.authenticate(input()), OK_RESULT);
    assert.equal(auth.requests[0]!.header('Host'), 'localhost');
    assert.equal(auth.connections, 1);
  });

  it('counts outcomes and reports each one to the result hook', async () => {
    const seen: [string, number][] = [];
    const auth = await fake({ script: [ok('10.0.0.5', 143), fail('no'), raw('bad header\r\n\r\n')] });
    const c = client(auth, { onResult: (r, ms) => seen.push([r.type, ms]) });
    await c.authenticate(input());
    await c.authenticate(input());
    await c.authenticate(input());
    assert.deepEqual(
      seen.map(([t]) => t),
      ['ok', 'fail', 'error'],
    );
    assert.ok(seen.every(([, ms]) => ms >= 0));
    assert.equal(c.stats.authentications, 3);
    assert.equal(c.stats.requests, 3);
    assert.deepEqual([c.stats.ok, c.stats.fail, c.stats.error, c.stats.errors.invalid], [1, 1, 1, 1]);
  });
});
