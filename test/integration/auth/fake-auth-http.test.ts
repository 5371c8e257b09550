import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import {
  fail,
  ok,
  pctDecode,
  raw,
  respond,
  startFakeAuthHttp,
  wait,
  type FakeAuthHttp,
} from '../../helpers/fake-auth-http.js';

const fakes: FakeAuthHttp[] = [];
afterEach(async () => {
  for (const f of fakes.splice(0)) await f.close();
});

/** Send raw requests on one connection, one at a time, and collect each answer until the server goes quiet. */
async function exchange(
  port: number,
  requests: string[],
  quietMs = 60,
): Promise<{ answers: string[]; closed: boolean }> {
  const s = net.connect(port, '127.0.0.1');
  s.setEncoding('latin1');
  let buf = '';
  let closed = false;
  s.on('data', (d: string) => (buf += d));
  s.on('end', () => (closed = true));
  s.on('error', () => (closed = true));
  const answers: string[] = [];
  for (const r of requests) {
    s.write(r);
    let last = '';
    const deadline = Date.now() + 3000;
    // wait until the answer stops growing (bounded)
    while (Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, quietMs));
      if (buf !== '' && buf === last) break;
      last = buf;
    }
    answers.push(buf);
    buf = '';
  }
  await new Promise((res) => setTimeout(res, quietMs));
  s.destroy();
  return { answers, closed };
}

const REQ10 = 'GET /auth HTTP/1.0\r\nHost: 127.0.0.1\r\nAuth-User: a%20b\r\n\r\n';
const REQ11 = 'GET /auth HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';

describe('fake auth_http service', () => {
  it('records each request exactly and answers like an nginx-era auth script (HTTP/1.0, then close)', async () => {
    const auth = await startFakeAuthHttp({ script: [ok('10.0.0.5', 143)] });
    fakes.push(auth);
    const { answers, closed } = await exchange(auth.port, [REQ10]);
    assert.deepEqual(answers, [
      'HTTP/1.0 200 OK\r\nAuth-Status: OK\r\nAuth-Server: 10.0.0.5\r\nAuth-Port: 143\r\n\r\n',
    ]);
    assert.equal(closed, true);
    assert.equal(auth.requests.length, 1);
    assert.equal(auth.requests[0]!.raw.toString('latin1'), REQ10);
    assert.equal(auth.requests[0]!.requestLine, 'GET /auth HTTP/1.0');
    assert.deepEqual(auth.requests[0]!.headers, [
      ['Host', '127.0.0.1'],
      ['Auth-User', 'a%20b'],
    ]);
    assert.equal(auth.requests[0]!.header('auth-user'), 'a%20b');
    assert.deepEqual(pctDecode(auth.requests[0]!.header('Auth-User')!), Buffer.from('a b'));
    assert.equal(auth.addrText, `127.0.0.1:${auth.port}`);
    assert.equal(auth.url, `http://127.0.0.1:${auth.port}/auth`);
  });

  it('keeps HTTP/1.1 connections open with Content-Length and follows the script in order', async () => {
    const auth = await startFakeAuthHttp({
      script: [fail('no', { wait: 3 }), wait(1), respond({ headers: [['Auth-Status', 'OK']], body: 'hi' })],
    });
    fakes.push(auth);
    const { answers, closed } = await exchange(auth.port, [REQ11, REQ11, REQ11]);
    assert.deepEqual(answers, [
      'HTTP/1.1 200 OK\r\nAuth-Status: no\r\nAuth-Wait: 3\r\nContent-Length: 0\r\n\r\n',
      'HTTP/1.1 200 OK\r\nAuth-Status: WAIT\r\nAuth-Wait: 1\r\nContent-Length: 0\r\n\r\n',
      'HTTP/1.1 200 OK\r\nAuth-Status: OK\r\nContent-Length: 2\r\n\r\nhi',
    ]);
    assert.equal(closed, false);
    assert.equal(auth.connections, 1);
    assert.deepEqual(
      auth.requests.map((r) => [r.connection, r.seqOnConnection]),
      [
        [1, 1],
        [1, 2],
        [1, 3],
      ],
    );
  });

  it('sends raw bytes, chunked bodies and no status line on request', async () => {
    const auth = await startFakeAuthHttp({
      script: [
        raw(['Auth-', 'Status: OK\r\n\r\n'], { gapMs: 5, then: 'keep' }),
        respond({ statusLine: null, headers: [['A', '1']], body: 'xyz', chunked: true }),
      ],
    });
    fakes.push(auth);
    const { answers } = await exchange(auth.port, [REQ11, REQ11]);
    assert.deepEqual(answers, [
      'Auth-Status: OK\r\n\r\n',
      'A: 1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nxyz\r\n0\r\n\r\n',
    ]);
  });

  it('closes idle connections on request and cleans up on close()', async () => {
    const auth = await startFakeAuthHttp();
    const s = net.connect(auth.port, '127.0.0.1');
    const ended = new Promise<void>((r) =>
      s.on('end', () => {
        r();
      }),
    );
    s.on('data', () => undefined);
    s.write(REQ11);
    await auth.waitForRequests(1);
    await new Promise((r) => setTimeout(r, 20));
    auth.closeIdle();
    await ended;
    s.destroy();
    await auth.close();
    await assert.rejects(
      new Promise<void>((resolve, reject) => {
        const c = net.connect(auth.port, '127.0.0.1', () => {
          c.destroy();
          resolve();
        });
        c.on('error', reject);
      }),
    );
  });
});
