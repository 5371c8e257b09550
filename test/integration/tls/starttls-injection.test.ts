/**
 * The STARTTLS injection class (CVE-2011-0411, nginx CVE-2014-3556): plaintext a client (or a man in
 * the middle) pipelines behind STARTTLS/STLS in the same packet must never be executed inside TLS, and
 * SMTP must forget HELO, MAIL and RCPT (RFC 3207 section 4.2). Each dialogue writes the command and the
 * smuggled one with a single write, then proves from inside TLS that the smuggled command had no
 * effect: no reply to it, no auth request, and state that only it could have created is absent.
 * Every dialogue runs against nginx 1.22 and against postern with the same configuration.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeCerts } from '../../helpers/certs.js';
import { fail, startFakeAuthHttp, type FakeAuthHttp } from '../../helpers/fake-auth-http.js';
import { connectLine, type LineClient } from '../../helpers/line-client.js';
import { startNginx, type Nginx } from '../../helpers/nginx.js';
import { freePort } from '../../helpers/ports.js';
import { portsOf, startEdgeProxy, type EdgeProxy } from '../edge/edge-proxy.js';

interface Ports {
  readonly imap: number;
  readonly pop3: number;
  readonly smtp: number;
}

function mailConfig(cert: string, key: string, authUrl: string, p: Ports): string {
  return `server_name mail.example.test;
auth_http ${authUrl};
ssl_certificate ${cert};
ssl_certificate_key ${key};
starttls on;
server { listen 127.0.0.1:${p.imap}; protocol imap; }
server { listen 127.0.0.1:${p.pop3}; protocol pop3; }
server { listen 127.0.0.1:${p.smtp}; protocol smtp; smtp_auth none; }
`;
}

describe('plaintext pipelined behind STARTTLS is never executed', () => {
  let auth: FakeAuthHttp;
  let proxy: EdgeProxy;
  let nginx: Nginx;
  const targets: Record<'postern' | 'nginx', Ports> = {
    postern: { imap: 0, pop3: 0, smtp: 0 },
    nginx: { imap: 0, pop3: 0, smtp: 0 },
  };

  before(async () => {
    const certs = await makeCerts();
    // every request that reaches the auth service is refused, with a reply a client would see
    auth = await startFakeAuthHttp({ script: [fail('Recipient refused', { code: '550 5.7.1' })] });
    for (const t of ['postern', 'nginx'] as const) {
      targets[t] = { imap: await freePort(), pop3: await freePort(), smtp: await freePort() };
    }
    const conf = (p: Ports): string => mailConfig(certs.serverEcdsa.cert, certs.serverEcdsa.key, auth.url, p);
    proxy = await startEdgeProxy({ mail: conf(targets.postern) }, portsOf(targets.postern));
    nginx = await startNginx({ mailConfig: conf(targets.nginx) });
  });

  after(async () => {
    await nginx.stop();
    await proxy.stop();
    await auth.close();
  });

  /** Connects, reads the greeting, and returns the client with the auth request count at that moment. */
  const open = async (port: number, greeting: string | RegExp): Promise<{ c: LineClient; requests: number }> => {
    const c = await connectLine({ port });
    await c.expect(greeting);
    return { c, requests: auth.requests.length };
  };

  for (const target of ['postern', 'nginx'] as const) {
    describe(target, () => {
      it('IMAP: a LOGIN and a CAPABILITY sent with STARTTLS get no reply and no auth request', async () => {
        const { c, requests } = await open(targets[target].imap, '* OK IMAP4 ready\r\n');
        c.send('a STARTTLS\r\nb LOGIN alice secret\r\nc CAPABILITY\r\n');
        await c.expect('a OK completed\r\n');
        await c.starttls();
        c.send('d NOOP\r\n');
        // the first bytes inside TLS answer d: b and c were dropped with the plaintext buffer
        await c.expect('d OK completed\r\n');
        await c.expectSilence(100);
        assert.equal(auth.requests.length, requests);
        c.destroy();
      });

      it('POP3: a USER sent with STLS is forgotten, so PASS inside TLS is an invalid command', async () => {
        const { c, requests } = await open(targets[target].pop3, '+OK POP3 ready\r\n');
        c.send('STLS\r\nUSER alice\r\n');
        await c.expect('+OK\r\n');
        await c.starttls();
        // had USER run, PASS would start an auth request; in the start state it is invalid
        c.send('PASS secret\r\n');
        await c.expect('-ERR invalid command\r\n');
        c.send('NOOP\r\n');
        await c.expect('+OK\r\n');
        assert.equal(auth.requests.length, requests);
        c.destroy();
      });

      it('SMTP: a RCPT sent with STARTTLS is dropped, and HELO and MAIL from before it are forgotten', async () => {
        const { c, requests } = await open(targets[target].smtp, '220 mail.example.test ESMTP ready\r\n');
        c.send('EHLO plain.example\r\n');
        await c.expect('250-mail.example.test\r\n250 STARTTLS\r\n');
        c.send('MAIL FROM:<a@example.org>\r\n');
        await c.expect('250 2.0.0 OK\r\n');
        // RCPT would start an auth request (smtp_auth none) had it been executed
        c.send('STARTTLS\r\nRCPT TO:<smuggled@example.test>\r\n');
        await c.expect('220 2.0.0 Start TLS\r\n');
        await c.starttls();
        c.send('RCPT TO:<b@example.test>\r\n');
        // MAIL was forgotten: RCPT is out of sequence
        await c.expect('503 5.5.1 Bad sequence of commands\r\n');
        assert.equal(auth.requests.length, requests);
        // a new transaction inside TLS: the auth service sees no HELO (it was forgotten) and only this RCPT
        c.send('MAIL FROM:<a@example.org>\r\n');
        await c.expect('250 2.0.0 OK\r\n');
        c.send('RCPT TO:<b@example.test>\r\n');
        await c.expect('550 5.7.1 Recipient refused\r\n');
        assert.equal(auth.requests.length, requests + 1);
        const req = auth.requests.at(-1);
        assert.equal(req?.header('Auth-Method'), 'none');
        assert.equal(req.header('Auth-SMTP-Helo'), '');
        assert.equal(req.header('Auth-SMTP-From'), 'MAIL FROM:<a@example.org>');
        assert.equal(req.header('Auth-SMTP-To'), 'RCPT TO:<b@example.test>');
        assert.equal(req.header('Auth-SSL'), 'on');
        c.destroy();
      });

      it('commands pipelined before STARTTLS are answered, then the upgrade happens (RFC 2920)', async () => {
        const imap = (await open(targets[target].imap, '* OK IMAP4 ready\r\n')).c;
        imap.send('a NOOP\r\nb STARTTLS\r\n');
        await imap.expect('a OK completed\r\nb OK completed\r\n');
        await imap.starttls();
        imap.send('c CAPABILITY\r\n');
        await imap.expect('* CAPABILITY IMAP4 IMAP4rev1 UIDPLUS AUTH=PLAIN\r\nc OK completed\r\n');
        imap.destroy();
        const smtp = (await open(targets[target].smtp, '220 mail.example.test ESMTP ready\r\n')).c;
        smtp.send('EHLO pipelining.example\r\nSTARTTLS\r\n');
        await smtp.expect('250-mail.example.test\r\n250 STARTTLS\r\n220 2.0.0 Start TLS\r\n');
        await smtp.starttls();
        smtp.send('EHLO pipelining.example\r\n');
        await smtp.expect('250 mail.example.test\r\n');
        smtp.destroy();
      });

      it('SMTP: an EHLO sent with STARTTLS is forgotten too', async () => {
        const { c, requests } = await open(targets[target].smtp, '220 mail.example.test ESMTP ready\r\n');
        c.send('STARTTLS\r\nEHLO smuggled.example\r\n');
        await c.expect('220 2.0.0 Start TLS\r\n');
        await c.starttls();
        c.send('MAIL FROM:<a@example.org>\r\n');
        await c.expect('250 2.0.0 OK\r\n');
        c.send('RCPT TO:<b@example.test>\r\n');
        await c.expect('550 5.7.1 Recipient refused\r\n');
        assert.equal(auth.requests.length, requests + 1);
        assert.equal(auth.requests.at(-1)?.header('Auth-SMTP-Helo'), '');
        c.destroy();
      });
    });
  }

  it('postern logs the smuggled sessions as ordinary STARTTLS sessions (no errors)', () => {
    const bad = proxy.lines().filter((l) => ['error', 'crit', 'alert', 'emerg'].includes(l.level));
    assert.deepEqual(bad, []);
  });
});
