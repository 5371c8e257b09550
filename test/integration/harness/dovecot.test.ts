// The private Dovecot of test/helpers/dovecot.ts, checked with real clients and no proxy: curl,
// imaplib, poplib and fetchmail log in and retrieve a delivered message byte for byte; Dovecot
// believes forwarded client addresses from 127.0.0.1 (ID, PROXY header).
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { curlImapFetch, curlPop3Retr, fetchmail, pyImapFetch, pyPop3Retr } from '../../helpers/clients.js';
import { startDovecot, type Dovecot } from '../../helpers/dovecot.js';
import { connectLine } from '../../helpers/line-client.js';
import { bigMessage, crlfToLf, makeMessage, sha256 } from '../../helpers/mailbox.js';

describe('private Dovecot', () => {
  let dc: Dovecot;
  const small = makeMessage({ sizeBytes: 20_000, seed: 'dovecot-small' });
  const big = bigMessage();

  before(async () => {
    dc = await startDovecot({
      users: [
        { user: 'alice', password: 'alice-secret' },
        { user: 'bob', password: 'bob-secret', scheme: 'SHA512-CRYPT' },
        { user: 'carol', password: 'carol-secret' },
      ],
      haproxy: true,
    });
    dc.deliver('alice', small);
    dc.deliver('carol', big.bytes);
  });
  after(async () => {
    await dc.stop();
  });

  it('stores a delivered message byte for byte, owned by the mail user', () => {
    const [stored] = dc.mailbox('alice').messages();
    assert.ok(stored);
    assert.ok(stored.equals(small));
    const dir = statSync(dc.mailbox('alice').maildir);
    assert.equal(dir.uid, dc.mailUser.uid);
  });

  it('lets curl fetch the message over IMAP byte for byte', async () => {
    const r = await curlImapFetch({ port: dc.imapPort, user: 'alice', password: 'alice-secret' });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.equals(small), `got ${r.stdout.length} bytes`);
  });

  it('lets curl fetch a 10 MiB message over IMAP with the same hash', async () => {
    const r = await curlImapFetch({
      port: dc.imapPort,
      user: 'carol',
      password: 'carol-secret',
      timeoutMs: 60_000,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.length, big.bytes.length);
    assert.equal(sha256(r.stdout), big.sha256);
  });

  it('lets imaplib log in with LOGIN and with AUTHENTICATE PLAIN and fetch the same bytes', async () => {
    for (const auth of ['login', 'plain'] as const) {
      const r = await pyImapFetch({ port: dc.imapPort, user: 'alice', password: 'alice-secret', auth });
      assert.equal(r.error, null);
      assert.ok(r.message?.equals(small), `${auth}: message differs`);
      assert.ok((r.result.capabilities as string[]).includes('LITERAL+'));
    }
  });

  it('accepts a SHA512-CRYPT password from the passwd-file', async () => {
    const r = await pyImapFetch({ port: dc.imapPort, user: 'bob', password: 'bob-secret', fetch: false });
    assert.equal(r.error, null);
  });

  it("refuses a wrong password at once with Dovecot's exact reply", async () => {
    const c = await connectLine({ port: dc.imapPort });
    try {
      await c.expect(
        /^\* OK \[CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL\+ AUTH=PLAIN AUTH=LOGIN\] Dovecot \(Debian\) ready\.\r\n/,
      );
      c.send('a1 LOGIN alice wrong\r\n');
      await c.expect('a1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n');
    } finally {
      c.destroy();
    }
  });

  it('lets poplib and curl RETR the message (dot-stuffing undone)', async () => {
    const py = await pyPop3Retr({ port: dc.pop3Port, user: 'alice', password: 'alice-secret' });
    assert.equal(py.error, null);
    assert.ok(py.message?.equals(small), 'poplib message differs');
    assert.deepEqual(py.result.stat, [1, small.length]);
    const cu = await curlPop3Retr({ port: dc.pop3Port, user: 'alice', password: 'alice-secret' });
    assert.equal(cu.code, 0, cu.stderr);
    assert.ok(cu.stdout.equals(small), 'curl message differs');
  });

  it('lets fetchmail retrieve the message over IMAP and POP3 (LF line endings)', async () => {
    for (const protocol of ['imap', 'pop3'] as const) {
      const r = await fetchmail({
        protocol,
        port: protocol === 'imap' ? dc.imapPort : dc.pop3Port,
        user: 'alice',
        password: 'alice-secret',
      });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.messages.length, 1);
      assert.ok(r.messages[0]!.equals(crlfToLf(small)), `${protocol}: message differs`);
    }
  });

  it('believes the client address an IMAP ID forwards from a trusted network', async () => {
    const c = await connectLine({ port: dc.imapPort });
    try {
      await c.expect(/^\* OK /);
      c.send(
        'a1 ID ("x-originating-ip" "192.0.2.9" "x-originating-port" "50001" "x-connected-ip" "127.0.0.1")\r\n',
      );
      await c.expect('* ID ("name" "Dovecot")\r\n');
      await c.expect(/^a1 OK /);
      c.send('a2 LOGIN carol carol-secret\r\n');
      await c.skipUntil(/^a2 OK /);
      c.send('a3 LOGOUT\r\n');
      await c.waitClosed();
    } finally {
      c.destroy();
    }
    const line = await dc.waitForLog(
      /imap-login: Info: Login: user=<carol>, method=PLAIN, rip=192\.0\.2\.9,/,
    );
    assert.match(
      line,
      / imap-login: Info: Login: user=<carol>, method=PLAIN, rip=192\.0\.2\.9, lip=127\.0\.0\.1, mpid=\d+, secured, session=<[^>]+>$/,
    );
  });

  it('takes the client address from a PROXY header on the haproxy listener', async () => {
    const c = await connectLine({ port: dc.pop3HaproxyPort });
    try {
      c.send(`PROXY TCP4 192.0.2.10 127.0.0.1 50002 ${dc.pop3HaproxyPort}\r\n`);
      await c.expect('+OK Dovecot (Debian) ready.\r\n');
      c.send('USER carol\r\nPASS carol-secret\r\n');
      await c.expect('+OK\r\n');
      await c.expect('+OK Logged in.\r\n');
      c.send('QUIT\r\n');
      await c.waitClosed();
    } finally {
      c.destroy();
    }
    await dc.waitForLog(
      /pop3-login: Info: Login: user=<carol>, method=PLAIN, rip=192\.0\.2\.10, lip=127\.0\.0\.1, mpid=\d+, /,
    );
  });
});
