// The private Postfix of test/helpers/postfix.ts, checked with real clients and no proxy: swaks,
// smtplib and curl deliver into a virtual mailbox and the bytes match; XCLIENT and PROXY from
// 127.0.0.1 are honoured; SMTP AUTH is checked by Dovecot over its SASL socket; STARTTLS works with
// openssl s_client.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { makeCerts } from '../../helpers/certs.js';
import { curlSmtpSend, pySmtpSend, sClient, swaks } from '../../helpers/clients.js';
import { startDovecot, type Dovecot } from '../../helpers/dovecot.js';
import { connectLine } from '../../helpers/line-client.js';
import { crlfToLf, makeMessage, sha256 } from '../../helpers/mailbox.js';
import { startPostfix, type Postfix } from '../../helpers/postfix.js';

describe('private Postfix', () => {
  let dc: Dovecot;
  let pf: Postfix;

  before(async () => {
    const certs = await makeCerts();
    dc = await startDovecot({
      users: [{ user: 'alice@example.test', password: 'alice-secret' }],
      imap: false,
      pop3: false,
    });
    pf = await startPostfix({
      users: ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace'],
      proxyProtocol: true,
      saslAuthSocket: dc.authSocketPath,
      tls: certs.serverRsa,
    });
  });
  after(async () => {
    await pf.stop();
    await dc.stop();
  });

  it('delivers what swaks sends into the virtual mailbox, byte for byte apart from CRLF', async () => {
    const msg = makeMessage({ sizeBytes: 30_000, seed: 'swaks', to: 'alice@example.test' });
    const r = await swaks({
      port: pf.smtpPort,
      from: 'sender@example.org',
      to: ['alice@example.test'],
      data: msg,
    });
    assert.equal(r.code, 0, r.stdout.toString());
    assert.match(r.replies.at(-2) ?? '', /^250 2\.0\.0 Ok: queued as [0-9A-F]+$/);
    await pf.waitForMessages('alice', 1);
    const [body] = pf.deliveredBodies('alice');
    assert.ok(body?.equals(crlfToLf(msg)), 'delivered message differs');
    assert.match(
      pf.messages('alice')[0]!.toString('latin1'),
      /^Return-Path: <sender@example\.org>\nX-Original-To: alice@example\.test\nDelivered-To: alice@example\.test\nReceived: from /,
    );
  });

  it('delivers a 5 MiB message sent by smtplib intact', async () => {
    const msg = makeMessage({ sizeBytes: 5 * 1024 * 1024, seed: 'smtplib-5mib', to: 'bob@example.test' });
    const r = await pySmtpSend({
      port: pf.smtpPort,
      from: 'sender@example.org',
      to: ['bob@example.test'],
      data: msg,
      timeoutMs: 60_000,
    });
    assert.equal(r.error, null);
    assert.deepEqual(r.result.refused, {});
    await pf.waitForMessages('bob', 1, { timeoutMs: 30_000 });
    const [body] = pf.deliveredBodies('bob');
    assert.equal(sha256(body!), sha256(crlfToLf(msg)));
  });

  it('passes bare LF lines from smtplib through (Postfix stores every line with LF)', async () => {
    const msg = makeMessage({
      sizeBytes: 4_000,
      seed: 'bare-lf',
      lineEnding: 'mixed',
      to: 'carol@example.test',
    });
    assert.ok(msg.includes('\n') && crlfToLf(msg).length < msg.length);
    const r = await pySmtpSend({
      port: pf.smtpPort,
      from: 'sender@example.org',
      to: ['carol@example.test'],
      data: msg,
    });
    assert.equal(r.error, null);
    await pf.waitForMessages('carol', 1);
    assert.ok(pf.deliveredBodies('carol')[0]!.equals(crlfToLf(msg)));
  });

  it('delivers what curl uploads over SMTP', async () => {
    const msg = makeMessage({ sizeBytes: 10_000, seed: 'curl', to: 'dave@example.test' });
    const r = await curlSmtpSend({
      port: pf.smtpPort,
      from: 'sender@example.org',
      to: ['dave@example.test'],
      data: msg,
    });
    assert.equal(r.code, 0, r.stderr);
    await pf.waitForMessages('dave', 1);
    assert.ok(pf.deliveredBodies('dave')[0]!.equals(crlfToLf(msg)));
  });

  it('rejects a recipient without a mailbox in the virtual domain', async () => {
    const c = await connectLine({ port: pf.smtpPort });
    try {
      await c.expect('220 postfix.postern.test ESMTP Postfix\r\n');
      c.send('HELO client.test\r\nMAIL FROM:<sender@example.org>\r\nRCPT TO:<nobody@example.test>\r\n');
      await c.expect('250 postfix.postern.test\r\n');
      await c.expect('250 2.1.0 Ok\r\n');
      await c.expect(
        '550 5.1.1 <nobody@example.test>: Recipient address rejected: User unknown in virtual mailbox table\r\n',
      );
      c.send('QUIT\r\n');
      await c.expect('221 2.0.0 Bye\r\n');
    } finally {
      c.destroy();
    }
  });

  it('honours XCLIENT from 127.0.0.1: the log shows the forwarded client and login', async () => {
    const c = await connectLine({ port: pf.smtpPort });
    try {
      await c.expect(/^220 /);
      c.send('EHLO proxy.test\r\n');
      await c.skipUntil(/^250 /);
      c.send('XCLIENT ADDR=192.0.2.7 NAME=client.example LOGIN=erin@example.test\r\n');
      // Postfix answers a successful XCLIENT with a new greeting.
      await c.expect('220 postfix.postern.test ESMTP Postfix\r\n');
      c.send(
        'EHLO client.example\r\nMAIL FROM:<sender@example.org>\r\nRCPT TO:<erin@example.test>\r\nDATA\r\n',
      );
      await c.skipUntil(/^250 /);
      await c.expect('250 2.1.0 Ok\r\n');
      await c.expect('250 2.1.5 Ok\r\n');
      await c.expect('354 End data with <CR><LF>.<CR><LF>\r\n');
      c.send('Subject: xclient\r\n\r\nbody\r\n.\r\nQUIT\r\n');
      await c.expect(/^250 2\.0\.0 Ok: queued as [0-9A-F]+\r\n$/);
      await c.expect('221 2.0.0 Bye\r\n');
    } finally {
      c.destroy();
    }
    await pf.waitForLog(
      /postfix\/smtpd\[\d+\]: [0-9A-F]+: client=client\.example\[192\.0\.2\.7\], sasl_method=XCLIENT, sasl_username=erin@example\.test$/,
    );
  });

  it('takes the client address from a PROXY header on the proxy-protocol port', async () => {
    const c = await connectLine({ port: pf.proxyProtocolPort });
    try {
      c.send(`PROXY TCP4 192.0.2.8 127.0.0.1 50003 ${pf.proxyProtocolPort}\r\n`);
      await c.expect('220 postfix.postern.test ESMTP Postfix\r\n');
      c.send('QUIT\r\n');
      await c.expect('221 2.0.0 Bye\r\n');
    } finally {
      c.destroy();
    }
    await pf.waitForLog(/postfix\/smtpd\[\d+\]: connect from unknown\[192\.0\.2\.8\]$/);
  });

  it('checks SMTP AUTH PLAIN with Dovecot over the SASL socket', async () => {
    const msg = makeMessage({ sizeBytes: 2_000, seed: 'auth', to: 'frank@example.test' });
    const good = await swaks({
      port: pf.smtpPort,
      from: 'alice@example.test',
      to: ['frank@example.test'],
      data: msg,
      auth: { user: 'alice@example.test', password: 'alice-secret' },
    });
    assert.equal(good.code, 0, good.stdout.toString());
    assert.ok(good.replies.includes('235 2.7.0 Authentication successful'));
    const bad = await pySmtpSend({
      port: pf.smtpPort,
      from: 'alice@example.test',
      to: ['frank@example.test'],
      data: msg,
      user: 'alice@example.test',
      password: 'wrong',
      authMechanism: 'PLAIN',
    });
    assert.match(
      bad.error ?? '',
      /^SMTPAuthenticationError: \(535, b'5\.7\.8 Error: authentication failed: /,
    );
    await pf.waitForLog(
      /: [0-9A-F]+: client=unknown\[127\.0\.0\.1\], sasl_method=PLAIN, sasl_username=alice@example\.test$/,
    );
  });

  it('delivers over STARTTLS with AUTH from swaks', async () => {
    const msg = makeMessage({ sizeBytes: 3_000, seed: 'swaks-tls', to: 'grace@example.test' });
    const r = await swaks({
      port: pf.smtpPort,
      tls: 'starttls',
      from: 'alice@example.test',
      to: ['grace@example.test'],
      data: msg,
      auth: { user: 'alice@example.test', password: 'alice-secret' },
    });
    assert.equal(r.code, 0, r.stdout.toString());
    assert.ok(r.replies.includes('220 2.0.0 Ready to start TLS'));
    assert.ok(r.replies.includes('235 2.7.0 Authentication successful'));
    await pf.waitForMessages('grace', 1);
    assert.ok(pf.deliveredBodies('grace')[0]!.equals(crlfToLf(msg)));
  });

  it('offers STARTTLS with the test certificate (openssl s_client -starttls smtp)', async () => {
    const r = await sClient({ port: pf.smtpPort, starttls: 'smtp', input: 'EHLO tls.test\r\nQUIT\r\n' });
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout.toString('latin1');
    assert.match(out, /subject=CN = localhost/);
    assert.match(out, /\r?\n250-AUTH PLAIN LOGIN\r?\n/);
    assert.match(out, /\r?\n221 2\.0\.0 Bye\r?\n/);
  });
});
