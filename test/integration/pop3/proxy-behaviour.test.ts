/**
 * POP3 behaviour a transcript cannot show, against a real postern process and a scripted backend: STLS
 * with a real TLS handshake (and the CVE-2014-3556 rule that plaintext sent behind STLS is dropped),
 * implicit TLS with poplib, `pop3_client_buffer` (ours) for logins longer than nginx's 128 bytes, a
 * worker that keeps serving while another session waits on the auth service, and a slow reader of a
 * large RETR.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { hang, ok, startFakeAuthHttp, type FakeAuthHttp } from '../../helpers/fake-auth-http.js';
import { startFakeUpstream, type FakeUpstream } from '../../helpers/fake-upstream.js';
import { makeCerts } from '../../helpers/certs.js';
import { connectLine } from '../../helpers/line-client.js';
import { pyPop3Retr } from '../../helpers/clients.js';
import { makeMessage, sha256 } from '../../helpers/mailbox.js';
import { startProxy, type ProxyProcess } from './proxy-process.js';

const CAPA = '+OK Capability list follows\r\nTOP\r\nUSER\r\nUIDL\r\nSASL PLAIN LOGIN\r\n';

describe('POP3 through postern: TLS, buffers and a busy worker', () => {
  let upstream: FakeUpstream;
  let big: FakeUpstream;
  let auth: FakeAuthHttp;
  let proxy: ProxyProcess;
  let starttls: number;
  let implicit: number;
  let largeBuffer: number;
  let plain: number;
  let bigPort: number;
  const message = makeMessage({ sizeBytes: 5_000, seed: 'pop3-tls' });
  const bigMessage = makeMessage({ sizeBytes: 24 * 1024 * 1024, seed: 'pop3-slow-reader' });

  before(async () => {
    const certs = await makeCerts();
    upstream = await startFakeUpstream({ flavour: 'pop3', message });
    big = await startFakeUpstream({ flavour: 'pop3', message: bigMessage });
    auth = await startFakeAuthHttp({
      script: (req) => (req.header('X-Backend') === 'big' ? ok('127.0.0.1', big.port) : ok('127.0.0.1', upstream.port)),
    });
    const tls = `ssl_certificate ${certs.serverRsa.cert};\nssl_certificate_key ${certs.serverRsa.key};`;
    proxy = await startProxy({
      mail: `auth_http ${auth.url};\nserver_name pop.postern.test;`,
      servers: [
        `protocol pop3;\nstarttls on;\n${tls}`,
        { body: `protocol pop3;\n${tls}`, ssl: true },
        'protocol pop3;\npop3_client_buffer 1k;',
        'protocol pop3;',
        'protocol pop3;\nauth_http_header X-Backend big;',
      ],
    });
    [starttls, implicit, largeBuffer, plain, bigPort] = proxy.ports as [number, number, number, number, number];
  });

  after(async () => {
    await proxy.stop();
    await auth.close();
    await upstream.close();
    await big.close();
  });

  it('STLS upgrades the connection; plaintext sent behind it is dropped; CAPA then lists no STLS', async () => {
    const mark = proxy.mark();
    const n = upstream.connections.length;
    const c = await connectLine({ port: starttls });
    try {
      await c.expect('+OK POP3 ready\r\n');
      c.send('CAPA\r\n');
      await c.expect(`${CAPA}STLS\r\n.\r\n`);
      // An attacker's plaintext after STLS must not be read as commands of the TLS session.
      c.send('STLS\r\nUSER mallory\r\nPASS injected\r\n');
      await c.expect('+OK\r\n');
      await c.starttls({ rejectUnauthorized: false });
      c.send('CAPA\r\n');
      await c.expect(`${CAPA}.\r\n`);
      c.send('STLS\r\n');
      await c.expect('-ERR invalid command\r\n');
      c.send('USER alice\r\nPASS secret\r\nSTAT\r\n');
      await c.expect(`+OK\r\n+OK Logged in.\r\n+OK 1 ${String(message.length)}\r\n`);
    } finally {
      c.destroy();
    }
    assert.equal(auth.requests.at(-1)?.header('Auth-User'), 'alice');
    assert.equal(auth.requests.at(-1)?.header('Auth-SSL'), 'on');
    assert.deepEqual(upstream.connections[n]?.logins, [{ user: 'alice', pass: 'secret' }]);
    await proxy.waitForLog(
      'info',
      `client logged in, client: 127.0.0.1 using starttls, server: 127.0.0.1:${String(starttls)}, login: "alice", upstream: 127.0.0.1:${String(upstream.port)}`,
      { since: mark },
    );
  });

  it('poplib over implicit TLS (listen ... ssl) retrieves a message unchanged', async () => {
    const r = await pyPop3Retr({ port: implicit, tls: 'implicit', user: 'alice', password: 'secret' });
    assert.equal(r.ok, true, r.error ?? '');
    assert.equal(r.result.greeting, '+OK POP3 ready');
    assert.ok(r.message?.equals(message));
  });

  it('pop3_client_buffer 1k takes a 600-byte AUTH PLAIN response that nginx 128 bytes would call too long', async () => {
    const password = 'p'.repeat(440);
    const ir = Buffer.from(`\0alice\0${password}`).toString('base64');
    const c = await connectLine({ port: largeBuffer });
    try {
      await c.expect('+OK POP3 ready\r\n');
      c.send(`AUTH PLAIN ${ir}\r\n`);
      await c.expect('+OK Logged in.\r\n');
    } finally {
      c.destroy();
    }
    assert.equal(auth.requests.at(-1)?.header('Auth-Pass'), password);
    const mark = proxy.mark();
    const d = await connectLine({ port: plain });
    try {
      await d.expect('+OK POP3 ready\r\n');
      d.send(`AUTH PLAIN ${ir}\r\n`);
      await d.expect('-ERR invalid command\r\n');
      await d.waitClosed();
    } finally {
      d.destroy();
    }
    await proxy.waitForLog(
      'info',
      `client sent too long command "AUTH ***" while in auth state, client: 127.0.0.1, server: 127.0.0.1:${String(plain)}`,
      { since: mark },
    );
  });

  it('while one session waits on a hanging auth service, the worker logs others in', async () => {
    const before = auth.script;
    let first = true;
    auth.script = (req) => {
      if (first) {
        first = false;
        return hang();
      }
      return ok('127.0.0.1', upstream.port, req.header('Auth-User') === 'x' ? [] : []);
    };
    const stuck = await connectLine({ port: plain });
    try {
      await stuck.expect('+OK POP3 ready\r\n');
      stuck.send('USER stuck\r\nPASS pw\r\n');
      await stuck.expect('+OK\r\n');
      await auth.waitForRequests(auth.requests.length);
      for (let i = 0; i < 5; i++) {
        const c = await connectLine({ port: plain });
        try {
          await c.expect('+OK POP3 ready\r\n');
          c.send(`USER user${String(i)}\r\nPASS pw\r\nQUIT\r\n`);
          await c.expect('+OK\r\n+OK Logged in.\r\n+OK Logging out.\r\n');
          await c.waitClosed();
        } finally {
          c.destroy();
        }
      }
      await stuck.expectSilence(50);
    } finally {
      stuck.destroy();
      auth.script = before;
    }
  });

  it('a client that reads slowly still gets all of a 24 MiB RETR', async () => {
    const c = await connectLine({ port: bigPort, timeoutMs: 10_000 });
    try {
      await c.expect('+OK POP3 ready\r\n');
      c.send('USER alice\r\nPASS secret\r\n');
      await c.expect('+OK\r\n+OK Logged in.\r\n');
      c.send('RETR 1\r\n');
      // Stop reading for a moment, so the client's queue in postern grows past proxy_buffer.
      c.socket.pause();
      await sleep(300);
      c.socket.resume();
      const head = `+OK ${String(bigMessage.length)} octets\r\n`;
      await c.expect(head);
      const body = await c.readUntil('\r\n.\r\n', { timeoutMs: 10_000 });
      const unstuffed = Buffer.from(body.toString('latin1').replace(/(^|\r\n)\.\./g, '$1.'), 'latin1');
      assert.equal(sha256(unstuffed.subarray(0, unstuffed.length - 3)), sha256(bigMessage));
    } finally {
      c.destroy();
    }
  });
});
