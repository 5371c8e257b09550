/**
 * Real TLS clients through a real postern to a real Dovecot and Postfix (issue 7's first criterion):
 * `openssl s_client` with implicit TLS and with `-starttls imap|pop3|smtp`, curl with implicit TLS and
 * with `--ssl-reqd` (STARTTLS), Python's imaplib (IMAP4_SSL and starttls), poplib (POP3_SSL and stls)
 * and smtplib (SMTP_SSL and starttls) each log in and read or deliver mail; the auth service sees
 * `Auth-SSL: on` with the negotiated protocol and cipher. `starttls only` refuses every login command
 * before the upgrade with the bytes nginx 1.22 sends (both are run on the same dialogues) and lets the
 * same login through after it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeCerts, type CertSet } from '../../helpers/certs.js';
import { curlImapFetch, curlPop3Retr, curlSmtpSend, pyImapFetch, pyPop3Retr, pySmtpSend, sClient } from '../../helpers/clients.js';
import { connectLine, type LineClient } from '../../helpers/line-client.js';
import { crlfToLf } from '../../helpers/mailbox.js';
import { startNginx, type Nginx } from '../../helpers/nginx.js';
import { freePort } from '../../helpers/ports.js';
import { portsOf, startEdgeProxy, type EdgeProxy } from '../edge/edge-proxy.js';
import { INBOX_MESSAGE, PASSWORD, startTlsBackends, type TlsBackends } from './tls-backends.js';

const b64 = (s: string): string => Buffer.from(s, 'latin1').toString('base64');

interface Ports {
  imapTls: number;
  imapStarttls: number;
  pop3Tls: number;
  pop3Starttls: number;
  smtpTls: number;
  smtpStarttls: number;
  imapOnly: number;
  pop3Only: number;
  smtpOnly: number;
}

function mailConfig(certs: CertSet, authUrl: string, p: Ports): string {
  const tls = `ssl_certificate ${certs.serverRsa.cert};\nssl_certificate_key ${certs.serverRsa.key};`;
  const server = (listen: string, body: string): string => `server {\n listen ${listen};\n ${body}\n}\n`;
  return [
    `server_name mail.example.test;\nauth_http ${authUrl};\n${tls}\nsmtp_auth plain login;`,
    server(`127.0.0.1:${p.imapTls} ssl`, 'protocol imap;'),
    server(`127.0.0.1:${p.imapStarttls}`, 'protocol imap; starttls on;'),
    server(`127.0.0.1:${p.pop3Tls} ssl`, 'protocol pop3;'),
    server(`127.0.0.1:${p.pop3Starttls}`, 'protocol pop3; starttls on;'),
    server(`127.0.0.1:${p.smtpTls} ssl`, 'protocol smtp;'),
    server(`127.0.0.1:${p.smtpStarttls}`, 'protocol smtp; starttls on;'),
    server(`127.0.0.1:${p.imapOnly}`, 'protocol imap; starttls only;'),
    server(`127.0.0.1:${p.pop3Only}`, 'protocol pop3; starttls only;'),
    server(`127.0.0.1:${p.smtpOnly}`, 'protocol smtp; starttls only;'),
  ].join('\n');
}

async function ports(): Promise<Ports> {
  return {
    imapTls: await freePort(),
    imapStarttls: await freePort(),
    pop3Tls: await freePort(),
    pop3Starttls: await freePort(),
    smtpTls: await freePort(),
    smtpStarttls: await freePort(),
    imapOnly: await freePort(),
    pop3Only: await freePort(),
    smtpOnly: await freePort(),
  };
}

/** What a `starttls only` server must answer before the upgrade: [client line, exact reply]. */
const ONLY_DIALOGUES: Readonly<Record<'imap' | 'pop3' | 'smtp', { greeting: string; steps: readonly (readonly [string, string])[] }>> = {
  imap: {
    greeting: '* OK IMAP4 ready\r\n',
    steps: [
      ['a CAPABILITY\r\n', '* CAPABILITY IMAP4 IMAP4rev1 UIDPLUS STARTTLS LOGINDISABLED\r\na OK completed\r\n'],
      [`b LOGIN alice ${PASSWORD}\r\n`, 'b BAD invalid command\r\n'],
      [`c AUTHENTICATE PLAIN ${b64(`\0alice\0${PASSWORD}`)}\r\n`, 'c BAD invalid command\r\n'],
      ['d AUTHENTICATE LOGIN\r\n', 'd BAD invalid command\r\n'],
      ['e NOOP\r\n', 'e OK completed\r\n'],
    ],
  },
  pop3: {
    greeting: '+OK POP3 ready\r\n',
    steps: [
      ['CAPA\r\n', '+OK Capability list follows\r\nTOP\r\nUIDL\r\nSTLS\r\n.\r\n'],
      ['USER alice\r\n', '-ERR invalid command\r\n'],
      ['AUTH\r\n', '-ERR invalid command\r\n'],
      [`AUTH PLAIN ${b64(`\0alice\0${PASSWORD}`)}\r\n`, '-ERR invalid command\r\n'],
      ['NOOP\r\n', '+OK\r\n'],
    ],
  },
  smtp: {
    greeting: '220 mail.example.test ESMTP ready\r\n',
    steps: [
      ['EHLO client.example\r\n', '250-mail.example.test\r\n250 STARTTLS\r\n'],
      [`AUTH PLAIN ${b64(`\0alice\0${PASSWORD}`)}\r\n`, '500 5.5.1 Invalid command\r\n'],
      ['AUTH LOGIN\r\n', '500 5.5.1 Invalid command\r\n'],
      ['NOOP\r\n', '250 2.0.0 OK\r\n'],
    ],
  },
};

async function runOnlyDialogue(port: number, proto: 'imap' | 'pop3' | 'smtp'): Promise<LineClient> {
  const d = ONLY_DIALOGUES[proto];
  const c = await connectLine({ port });
  await c.expect(d.greeting);
  for (const [send, reply] of d.steps) {
    c.send(send);
    await c.expect(reply);
  }
  return c;
}

describe('real TLS clients through postern to Dovecot and Postfix', () => {
  let certs: CertSet;
  let backends: TlsBackends;
  let proxy: EdgeProxy;
  let p: Ports;
  let nginx: Nginx;
  let ng: Ports;

  before(async () => {
    certs = await makeCerts();
    backends = await startTlsBackends();
    p = await ports();
    proxy = await startEdgeProxy(
      { mail: mailConfig(certs, backends.auth.url, p) },
      portsOf(p),
    );
    ng = await ports();
    nginx = await startNginx({ mailConfig: mailConfig(certs, backends.auth.url, ng) });
  });

  after(async () => {
    await nginx.stop();
    await proxy.stop();
    await backends.stop();
  });

  const postfix = () => {
    const pf = backends.postfix;
    assert.ok(pf !== null);
    return pf;
  };

  /** The last auth request: a TLS login, as nginx describes it (reference 3.2). */
  const lastAuthIsTls = (protocol: string, user: string): void => {
    const req = backends.auth.requests.at(-1);
    assert.ok(req !== undefined);
    assert.equal(req.header('Auth-Protocol'), protocol);
    assert.equal(req.header('Auth-User'), user);
    assert.equal(req.header('Auth-SSL'), 'on');
    assert.equal(req.header('Auth-SSL-Protocol'), 'TLSv1.3');
    assert.match(req.header('Auth-SSL-Cipher') ?? '', /^TLS_(AES_256_GCM_SHA384|AES_128_GCM_SHA256|CHACHA20_POLY1305_SHA256)$/);
    // ssl_verify_client is off: no certificate headers at all
    assert.equal(req.header('Auth-SSL-Verify'), undefined);
  };

  describe('openssl s_client', () => {
    it('logs in over implicit TLS IMAP and fetches the message Dovecot holds', async () => {
      const r = await sClient({
        port: p.imapTls,
        quiet: true,
        input: `a LOGIN alice ${PASSWORD}\r\nb SELECT INBOX\r\nc FETCH 1 BODY.PEEK[]\r\nd LOGOUT\r\n`,
      });
      const out = r.stdout.toString('latin1');
      assert.ok(out.startsWith('* OK IMAP4 ready\r\n'), out);
      assert.match(out, /\r\na OK \[CAPABILITY [^\]]*\] Logged in\r\n/);
      assert.ok(out.includes(INBOX_MESSAGE.toString('latin1')), out);
      assert.match(out, /\r\nd OK Logout completed/);
      lastAuthIsTls('imap', 'alice');
      await proxy.waitForLog(
        'info',
        `client logged in, client: 127.0.0.1, server: 127.0.0.1:${p.imapTls}, login: "alice", upstream: 127.0.0.1:${backends.dovecot.imapPort}`,
      );
    });

    it('logs in with -starttls imap', async () => {
      const mark = proxy.mark();
      const r = await sClient({
        port: p.imapStarttls,
        starttls: 'imap',
        quiet: true,
        input: `a LOGIN bob ${PASSWORD}\r\nb STATUS INBOX (MESSAGES)\r\nc LOGOUT\r\n`,
      });
      const out = r.stdout.toString('latin1');
      // s_client ate the greeting and its CAPABILITY/STARTTLS exchange: what is left is from inside TLS
      assert.match(out, /^a OK \[CAPABILITY [^\]]*\] Logged in\r\n\* STATUS INBOX \(MESSAGES 1\)\r\nb OK/, out);
      lastAuthIsTls('imap', 'bob');
      await proxy.waitForLog(
        'info',
        `client logged in, client: 127.0.0.1 using starttls, server: 127.0.0.1:${p.imapStarttls}, login: "bob", upstream: 127.0.0.1:${backends.dovecot.imapPort}`,
        { since: mark },
      );
    });

    it('logs in over implicit TLS POP3 and retrieves the message', async () => {
      const r = await sClient({
        port: p.pop3Tls,
        quiet: true,
        input: `USER carol\r\nPASS ${PASSWORD}\r\nSTAT\r\nRETR 1\r\nQUIT\r\n`,
      });
      const out = r.stdout.toString('latin1');
      assert.ok(out.startsWith('+OK POP3 ready\r\n+OK\r\n+OK Logged in.\r\n+OK 1 '), out);
      assert.ok(out.includes(INBOX_MESSAGE.toString('latin1')), out);
      lastAuthIsTls('pop3', 'carol');
    });

    it('logs in with -starttls pop3', async () => {
      const r = await sClient({
        port: p.pop3Starttls,
        starttls: 'pop3',
        quiet: true,
        input: `USER dave\r\nPASS ${PASSWORD}\r\nSTAT\r\nQUIT\r\n`,
      });
      const out = r.stdout.toString('latin1');
      assert.match(out, /^\+OK\r\n\+OK Logged in\.\r\n\+OK 1 \d+\r\n\+OK Logging out/, out);
      lastAuthIsTls('pop3', 'dave');
    });

    it('authenticates over implicit TLS SMTP and Postfix delivers what follows', async () => {
      const body = 'From: s_client@example.org\r\nSubject: s_client\r\n\r\nimplicit TLS\r\n';
      const r = await sClient({
        port: p.smtpTls,
        quiet: true,
        input:
          `EHLO client.example\r\nAUTH PLAIN ${b64(`\0alice\0${PASSWORD}`)}\r\n` +
          `MAIL FROM:<s_client@example.org>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n${body}.\r\nQUIT\r\n`,
      });
      const out = r.stdout.toString('latin1');
      // everything after 235 comes from Postfix
      assert.match(
        out,
        /^220 mail\.example\.test ESMTP ready\r\n250-mail\.example\.test\r\n250 AUTH PLAIN LOGIN\r\n235 2\.0\.0 OK\r\n250 2\.1\.0 Ok\r\n250 2\.1\.5 Ok\r\n354 End data with <CR><LF>\.<CR><LF>\r\n250 2\.0\.0 Ok: queued as \w+\r\n221 2\.0\.0 Bye\r\n$/,
      );
      lastAuthIsTls('smtp', 'alice');
      await postfix().waitForMessages('alice', 1);
      assert.deepEqual(
        postfix().deliveredBodies('alice').map((b) => b.toString('latin1')),
        [crlfToLf(Buffer.from(body)).toString('latin1')],
      );
      await postfix().waitForLog(/: client=unknown\[127\.0\.0\.1\], sasl_method=XCLIENT, sasl_username=alice$/);
    });

    it('authenticates with -starttls smtp', async () => {
      const r = await sClient({
        port: p.smtpStarttls,
        starttls: 'smtp',
        quiet: true,
        input: `EHLO client.example\r\nAUTH PLAIN ${b64(`\0bob\0${PASSWORD}`)}\r\nNOOP\r\nQUIT\r\n`,
      });
      assert.equal(
        r.stdout.toString('latin1'),
        '250-mail.example.test\r\n250 AUTH PLAIN LOGIN\r\n235 2.0.0 OK\r\n250 2.0.0 Ok\r\n221 2.0.0 Bye\r\n',
      );
      lastAuthIsTls('smtp', 'bob');
    });
  });

  describe('curl', () => {
    it('fetches over imaps:// and over imap:// with --ssl-reqd', async () => {
      for (const [port, tls] of [
        [p.imapTls, 'implicit'],
        [p.imapStarttls, 'starttls'],
      ] as const) {
        const r = await curlImapFetch({ port, tls, user: 'alice', password: PASSWORD, uid: 1 });
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.toString('latin1'), INBOX_MESSAGE.toString('latin1'));
        lastAuthIsTls('imap', 'alice');
      }
    });

    it('retrieves over pop3s:// and over pop3:// with --ssl-reqd', async () => {
      for (const [port, tls] of [
        [p.pop3Tls, 'implicit'],
        [p.pop3Starttls, 'starttls'],
      ] as const) {
        const r = await curlPop3Retr({ port, tls, user: 'bob', password: PASSWORD, msg: 1 });
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.toString('latin1'), INBOX_MESSAGE.toString('latin1'));
        lastAuthIsTls('pop3', 'bob');
      }
    });

    it('sends over smtps:// and over smtp:// with --ssl-reqd; Postfix delivers both', async () => {
      const sent: Buffer[] = [];
      for (const [port, tls] of [
        [p.smtpTls, 'implicit'],
        [p.smtpStarttls, 'starttls'],
      ] as const) {
        const data = Buffer.from(`From: curl@example.org\r\nSubject: curl ${tls}\r\n\r\nvia ${tls}\r\n`);
        sent.push(data);
        const r = await curlSmtpSend({
          port,
          tls,
          user: 'carol',
          password: PASSWORD,
          from: 'curl@example.org',
          to: ['carol@example.test'],
          data,
        });
        assert.equal(r.code, 0, r.stderr);
        lastAuthIsTls('smtp', 'carol');
      }
      await postfix().waitForMessages('carol', 2);
      const got = postfix().deliveredBodies('carol').map((b) => b.toString('latin1')).sort();
      assert.deepEqual(got, sent.map((b) => crlfToLf(b).toString('latin1')).sort());
    });
  });

  describe('Python', () => {
    it('imaplib IMAP4_SSL and IMAP4.starttls log in and fetch the message', async () => {
      for (const [port, tls] of [
        [p.imapTls, 'implicit'],
        [p.imapStarttls, 'starttls'],
      ] as const) {
        const r = await pyImapFetch({ port, tls, user: 'dave', password: PASSWORD, caFile: certs.caCert });
        assert.equal(r.ok, true, `${String(r.error)}\n${r.run.stderr}`);
        assert.equal(r.message?.toString('latin1'), INBOX_MESSAGE.toString('latin1'));
        lastAuthIsTls('imap', 'dave');
        // before STARTTLS the capability list offers it; imaplib re-reads it inside TLS, without it
        assert.equal((r.result.capabilities as string[]).includes('STARTTLS'), false);
      }
    });

    it('poplib POP3_SSL and POP3.stls log in and retrieve the message', async () => {
      for (const [port, tls] of [
        [p.pop3Tls, 'implicit'],
        [p.pop3Starttls, 'starttls'],
      ] as const) {
        const r = await pyPop3Retr({ port, tls, user: 'alice', password: PASSWORD, caFile: certs.caCert });
        assert.equal(r.ok, true, `${String(r.error)}\n${r.run.stderr}`);
        assert.equal(r.message?.toString('latin1'), INBOX_MESSAGE.toString('latin1'));
        lastAuthIsTls('pop3', 'alice');
      }
    });

    it('smtplib SMTP_SSL and SMTP.starttls authenticate and Postfix delivers', async () => {
      const sent: Buffer[] = [];
      for (const [port, tls] of [
        [p.smtpTls, 'implicit'],
        [p.smtpStarttls, 'starttls'],
      ] as const) {
        const data = Buffer.from(`From: py@example.org\r\nSubject: smtplib ${tls}\r\n\r\nvia ${tls}\r\n`);
        sent.push(data);
        const r = await pySmtpSend({
          port,
          tls,
          user: 'dave',
          password: PASSWORD,
          from: 'py@example.org',
          to: ['dave@example.test'],
          data,
          caFile: certs.caCert,
        });
        assert.equal(r.ok, true, `${String(r.error)}\n${r.run.stderr}`);
        // inside TLS the EHLO reply offers AUTH and no STARTTLS
        assert.deepEqual(r.result.ehlo_reply, [250, 'mail.example.test\nAUTH PLAIN LOGIN']);
        lastAuthIsTls('smtp', 'dave');
      }
      await postfix().waitForMessages('dave', 2);
      const got = postfix().deliveredBodies('dave').map((b) => b.toString('latin1')).sort();
      assert.deepEqual(got, sent.map((b) => crlfToLf(b).toString('latin1')).sort());
    });
  });

  describe('starttls only', () => {
    for (const proto of ['imap', 'pop3', 'smtp'] as const) {
      it(`${proto}: nginx 1.22 refuses every login before STARTTLS with these exact replies`, async () => {
        const port = proto === 'imap' ? ng.imapOnly : proto === 'pop3' ? ng.pop3Only : ng.smtpOnly;
        const c = await runOnlyDialogue(port, proto);
        c.destroy();
      });

      it(`${proto}: postern refuses them with the same bytes, and no auth request is made`, async () => {
        const before = backends.auth.requests.length;
        const port = proto === 'imap' ? p.imapOnly : proto === 'pop3' ? p.pop3Only : p.smtpOnly;
        const c = await runOnlyDialogue(port, proto);
        c.destroy();
        assert.equal(backends.auth.requests.length, before);
      });
    }

    it('imap: after STARTTLS the same LOGIN goes through to Dovecot', async () => {
      const c = await runOnlyDialogue(p.imapOnly, 'imap');
      c.send('f STARTTLS\r\n');
      await c.expect('f OK completed\r\n');
      await c.starttls();
      c.send('g CAPABILITY\r\n');
      await c.expect('* CAPABILITY IMAP4 IMAP4rev1 UIDPLUS AUTH=PLAIN\r\ng OK completed\r\n');
      c.send(`h LOGIN alice ${PASSWORD}\r\n`);
      await c.expect(/^h OK \[CAPABILITY [^\]]*\] Logged in\r\n$/);
      c.send('i LOGOUT\r\n');
      await c.skipUntil(/^i OK/);
      c.destroy();
      lastAuthIsTls('imap', 'alice');
    });

    it('pop3: after STLS the same USER/PASS goes through to Dovecot', async () => {
      const c = await runOnlyDialogue(p.pop3Only, 'pop3');
      c.send('STLS\r\n');
      await c.expect('+OK\r\n');
      await c.starttls();
      c.send('CAPA\r\n');
      await c.expect('+OK Capability list follows\r\nTOP\r\nUSER\r\nUIDL\r\nSASL PLAIN LOGIN\r\n.\r\n');
      c.send(`USER bob\r\nPASS ${PASSWORD}\r\n`);
      await c.expect('+OK\r\n+OK Logged in.\r\n');
      c.send('QUIT\r\n');
      await c.expect(/^\+OK Logging out/);
      c.destroy();
      lastAuthIsTls('pop3', 'bob');
    });

    it('smtp: after STARTTLS the same AUTH goes through to Postfix', async () => {
      const c = await runOnlyDialogue(p.smtpOnly, 'smtp');
      c.send('STARTTLS\r\n');
      await c.expect('220 2.0.0 Start TLS\r\n');
      await c.starttls();
      c.send('EHLO client.example\r\n');
      await c.expect('250-mail.example.test\r\n250 AUTH PLAIN LOGIN\r\n');
      c.send(`AUTH PLAIN ${b64(`\0carol\0${PASSWORD}`)}\r\n`);
      await c.expect('235 2.0.0 OK\r\n');
      c.send('QUIT\r\n');
      await c.expect('221 2.0.0 Bye\r\n');
      c.destroy();
      lastAuthIsTls('smtp', 'carol');
    });
  });
});
