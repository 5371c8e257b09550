/**
 * DATA passes through postern untouched: the bytes a client sends after DATA (dot-stuffing, bare LF,
 * bare CR, 8-bit bytes, a missing final CRLF fixed by the client) reach the backend exactly as sent.
 * A scripted backend records every byte it receives, so the comparison is exact; Postfix would
 * normalise line endings before anything could be compared.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ok, startFakeAuthHttp, type FakeAuthHttp } from '../../helpers/fake-auth-http.js';
import { startFakeUpstream, type FakeUpstream } from '../../helpers/fake-upstream.js';
import { curlSmtpSend, pySmtpSend } from '../../helpers/clients.js';
import { makeMessage } from '../../helpers/mailbox.js';
import { connectLine } from '../../helpers/line-client.js';
import { startProxy, type ProxyProcess } from '../pop3/proxy-process.js';

/**
 * What a client puts on the wire after DATA: a "." at a line start doubled — after any LF for smtplib,
 * only after CRLF for curl — and CRLF "." CRLF at the end.
 */
function stuffed(data: Buffer, lineStart: 'lf' | 'crlf'): Buffer {
  const text = data.toString('latin1').replace(lineStart === 'lf' ? /(^|\n)\./g : /(^|\r\n)\./g, '$1..');
  const withEnd = text.endsWith('\r\n') ? text : `${text}\r\n`;
  return Buffer.from(`${withEnd}.\r\n`, 'latin1');
}

/** The bytes the backend received between the 354 for DATA and the end of the message. */
function dataSection(received: Buffer): Buffer {
  // smtplib sends its commands in lower case
  const m = /\r\ndata\r\n/i.exec(received.toString('latin1'));
  assert.ok(m !== null, 'no DATA command reached the backend');
  const body = received.subarray(m.index + m[0].length);
  const end = body.indexOf('\r\n.\r\n');
  assert.ok(end >= 0, 'the backend got no end of data');
  return body.subarray(0, end + 5);
}

describe('SMTP DATA passes through postern byte for byte', () => {
  let upstream: FakeUpstream;
  let auth: FakeAuthHttp;
  let proxy: ProxyProcess;
  let port: number;

  before(async () => {
    upstream = await startFakeUpstream({ flavour: 'smtp' });
    auth = await startFakeAuthHttp({ script: () => ok('127.0.0.1', upstream.port) });
    proxy = await startProxy({
      mail: `auth_http ${auth.url};\nserver_name mx.postern.test;`,
      servers: ['protocol smtp;\nsmtp_auth plain login;'],
    });
    port = proxy.ports[0] as number;
  });

  after(async () => {
    await proxy.stop();
    await auth.close();
    await upstream.close();
  });

  const mixed = Buffer.concat([
    makeMessage({ sizeBytes: 200_000, seed: 'passthrough', lineEnding: 'mixed' }),
    Buffer.from('.leading dot after CRLF\r\nbare LF line\n.dot after bare LF\nbare CR\rinside\r\n8-bit \xe9\xff\x80 bytes\r\nno final line end', 'latin1'),
  ]);

  it('smtplib: mixed line endings, dot lines and 8-bit bytes arrive exactly as sent', async () => {
    const n = upstream.connections.length;
    const r = await pySmtpSend({ port, from: 'a@example.org', to: ['b@example.test'], data: mixed, user: 'alice', password: 'pw' });
    assert.equal(r.ok, true, r.error ?? '');
    const conn = upstream.connections[n];
    assert.ok(conn !== undefined);
    assert.ok(dataSection(conn.received).equals(stuffed(mixed, 'lf')), 'DATA bytes differ from what smtplib sent');
  });

  it('curl: the same message arrives exactly as curl sent it', async () => {
    const n = upstream.connections.length;
    const r = await curlSmtpSend({ port, from: 'a@example.org', to: ['b@example.test'], data: mixed, user: 'alice', password: 'pw' });
    assert.equal(r.code, 0, r.stderr);
    const conn = upstream.connections[n];
    assert.ok(conn !== undefined);
    assert.ok(dataSection(conn.received).equals(stuffed(mixed, 'crlf')), 'DATA bytes differ from what curl sent');
  });

  it('a raw client: DATA, bare LF and a pipelined QUIT are relayed as they are, and the backend answers reach the client', async () => {
    const n = upstream.connections.length;
    const c = await connectLine({ port });
    try {
      await c.expect('220 mx.postern.test ESMTP ready\r\n');
      c.send('EHLO raw.example\r\nAUTH PLAIN AGFsaWNlAHB3\r\n');
      await c.expect('250-mx.postern.test\r\n250 AUTH PLAIN LOGIN\r\n');
      await c.expect('235 2.0.0 OK\r\n');
      const payload = 'MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.test>\r\nDATA\r\nSubject: x\n\n..two\r\n.\r\nQUIT\r\n';
      c.send(payload);
      await c.expect('250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Ok: queued as FAKE1\r\n221 2.0.0 Bye\r\n');
      await c.waitClosed();
      const conn = upstream.connections[n];
      assert.ok(conn !== undefined);
      assert.ok(conn.received.toString('latin1').endsWith(payload), conn.received.toString('latin1'));
    } finally {
      c.destroy();
    }
  });
});
