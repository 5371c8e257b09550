/**
 * SMTP behaviour a transcript cannot show, against a real postern process and a scripted backend:
 * STARTTLS with a real handshake (swaks, and a raw client checking that plaintext sent behind STARTTLS
 * is dropped and the HELO forgotten), implicit TLS with smtplib, and `smtp_greeting_delay` with a
 * client that waits for the greeting.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ok, startFakeAuthHttp, type FakeAuthHttp } from '../../helpers/fake-auth-http.js';
import { startFakeUpstream, type FakeUpstream } from '../../helpers/fake-upstream.js';
import { makeCerts } from '../../helpers/certs.js';
import { connectLine } from '../../helpers/line-client.js';
import { pySmtpSend, swaks } from '../../helpers/clients.js';
import { makeMessage } from '../../helpers/mailbox.js';
import { startProxy, type ProxyProcess } from '../pop3/proxy-process.js';

const TLS_FAILS =
  '';

describe('SMTP through postern: STARTTLS, implicit TLS and the greeting delay', () => {
  let upstream: FakeUpstream;
  let auth: FakeAuthHttp;
  let proxy: ProxyProcess;
  let starttls: number;
  let implicit: number;
  let delayed: number;

  before(async () => {
    const certs = await makeCerts();
    upstream = await startFakeUpstream({ flavour: 'smtp' });
    auth = await startFakeAuthHttp({ script: () => ok('127.0.0.1', upstream.port) });
    const tls = `ssl_certificate ${certs.serverRsa.cert};\nssl_certificate_key ${certs.serverRsa.key};`;
    proxy = await startProxy({
      mail: `auth_http ${auth.url};\nserver_name mx.postern.test;`,
      servers: [
        `protocol smtp;\nstarttls only;\n${tls}`,
        { body: `protocol smtp;\n${tls}`, ssl: true },
        'protocol smtp;\nsmtp_greeting_delay 1s;',
      ],
    });
    [starttls, implicit, delayed] = proxy.ports as [number, number, number];
  });

  after(async () => {
    await proxy.stop();
    await auth.close();
    await upstream.close();
  });

  it(`swaks upgrades with STARTTLS under starttls only, then authenticates and sends${TLS_FAILS}`, async () => {
    const n = upstream.connections.length;
    const data = makeMessage({ sizeBytes: 3_000, seed: 'smtp-starttls' });
    const r = await swaks({
      port: starttls,
      tls: 'starttls',
      from: 'a@example.org',
      to: ['b@example.test'],
      auth: { user: 'alice', password: 'secret' },
      data,
    });
    assert.equal(r.code, 0, r.stdout.toString());
    assert.equal(auth.requests.at(-1)?.header('Auth-SSL'), 'on');
    assert.ok(upstream.connections[n]?.messages[0]?.equals(data));
  });

  it(`plaintext sent behind STARTTLS is dropped and the HELO is forgotten${TLS_FAILS}`, async () => {
    const n = upstream.connections.length;
    const c = await connectLine({ port: starttls });
    try {
      await c.expect('220 mx.postern.test ESMTP ready\r\n');
      c.send('EHLO plain.example\r\n');
      await c.expect('250-mx.postern.test\r\n250 STARTTLS\r\n');
      c.send('STARTTLS\r\nAUTH PLAIN AG1hbGxvcnkAeA==\r\n');
      await c.expect('220 2.0.0 Start TLS\r\n');
      await c.starttls({ rejectUnauthorized: false });
      c.send('EHLO tls.example\r\n');
      await c.expect('250-mx.postern.test\r\n250 AUTH PLAIN LOGIN\r\n');
      c.send('AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n');
      await c.expect('235 2.0.0 OK\r\n');
    } finally {
      c.destroy();
    }
    assert.equal(auth.requests.at(-1)?.header('Auth-User'), 'alice');
    const got = upstream.connections[n]?.received.toString('latin1') ?? '';
    assert.ok(got.includes('EHLO tls.example\r\n') && !got.includes('plain.example') && !got.includes('mallory'), got);
  });

  it(`smtplib over implicit TLS (listen ... ssl) sends a message${TLS_FAILS}`, async () => {
    const n = upstream.connections.length;
    const data = makeMessage({ sizeBytes: 2_000, seed: 'smtp-implicit' });
    const r = await pySmtpSend({ port: implicit, tls: 'implicit', from: 'a@example.org', to: ['b@example.test'], data, user: 'alice', password: 'secret' });
    assert.equal(r.ok, true, r.error ?? '');
    assert.ok(upstream.connections[n]?.messages[0]?.equals(data));
  });

  it('with smtp_greeting_delay a client that waits for the greeting is served normally', async () => {
    const n = upstream.connections.length;
    const data = makeMessage({ sizeBytes: 2_000, seed: 'smtp-delay' });
    const r = await swaks({ port: delayed, from: 'a@example.org', to: ['b@example.test'], auth: { user: 'alice', password: 'secret' }, data });
    assert.equal(r.code, 0, r.stdout.toString());
    assert.equal(r.replies[0], '220 mx.postern.test ESMTP ready');
    assert.ok(upstream.connections[n]?.messages[0]?.equals(data));
  });
});
