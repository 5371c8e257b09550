// The scripted backend of test/helpers/fake-upstream.ts, driven with line-client.ts: normal IMAP,
// POP3 and SMTP dialogues, every fault it offers, and what it records.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  startFakeUpstream,
  type FakeUpstream,
  type FakeUpstreamOptions,
} from '../../helpers/fake-upstream.js';
import { connectLine, type LineClient } from '../../helpers/line-client.js';
import { dotUnstuff, makeMessage } from '../../helpers/mailbox.js';

const upstreams: FakeUpstream[] = [];
const clients: LineClient[] = [];

async function pair(opts: FakeUpstreamOptions): Promise<{ up: FakeUpstream; c: LineClient }> {
  const up = await startFakeUpstream(opts);
  upstreams.push(up);
  const c = await connectLine({ port: up.port, timeoutMs: 3_000 });
  clients.push(c);
  return { up, c };
}

after(async () => {
  for (const c of clients) c.destroy();
  for (const u of upstreams) await u.close();
});

describe('fake upstream, IMAP', () => {
  it('logs in with synchronising literals and serves a message of the configured size', async () => {
    const message = makeMessage({ sizeBytes: 3_000, seed: 'fake-imap' });
    const { up, c } = await pair({ flavour: 'imap', users: { alice: 'pa ss' }, message });
    await c.expect('* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR ID AUTH=PLAIN] fake IMAP ready.\r\n');
    c.send('a1 LOGIN {5}\r\n');
    await c.expect('+ Ready for literal data\r\n');
    c.send('alice {5}\r\n');
    await c.expect('+ Ready for literal data\r\n');
    c.send('pa ss\r\n');
    await c.expect('a1 OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR ID AUTH=PLAIN] Logged in\r\n');
    c.send('a2 SELECT INBOX\r\na3 FETCH 1 BODY[]\r\n');
    await c.skipUntil(/^a2 OK /);
    await c.expect(`* 1 FETCH (UID 1 BODY[] {${message.length}}\r\n`);
    assert.ok((await c.readBytes(message.length)).equals(message));
    await c.expect(')\r\na3 OK Fetch completed.\r\n');
    c.send('a4 LOGOUT\r\n');
    await c.expect('* BYE Logging out\r\na4 OK Logout completed.\r\n');
    await c.waitClosed();
    const conn = up.connections[0]!;
    assert.deepEqual(conn.logins, [{ user: 'alice', pass: 'pa ss' }]);
    assert.deepEqual(
      conn.commands.map((x) => [x.tag, x.verb, x.args]),
      [
        ['a1', 'LOGIN', ['alice', 'pa ss']],
        ['a2', 'SELECT', ['INBOX']],
        ['a3', 'FETCH', ['1', 'BODY[]']],
        ['a4', 'LOGOUT', []],
      ],
    );
    assert.equal(conn.commands[0]!.raw.toString(), 'a1 LOGIN {5}\r\nalice {5}\r\npa ss\r\n');
  });

  it('takes non-synchronising literals without a continuation and rejects wrong credentials', async () => {
    const { up, c } = await pair({ flavour: 'imap', users: { alice: 'secret' } });
    await c.expect(/^\* OK /);
    c.send('a1 LOGIN {5+}\r\nalice {5+}\r\nwrong\r\n');
    await c.expect('a1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n');
    c.send('a2 LOGIN "alice" "secret"\r\n');
    await c.expect(/^a2 OK /);
    assert.deepEqual(up.connections[0]!.logins, [
      { user: 'alice', pass: 'wrong' },
      { user: 'alice', pass: 'secret' },
    ]);
  });

  it('rejects every login with rejectLogin, and AUTHENTICATE PLAIN records the credentials', async () => {
    const { up, c } = await pair({ flavour: 'imap', rejectLogin: true });
    await c.expect(/^\* OK /);
    c.send(`a1 AUTHENTICATE PLAIN ${Buffer.from('\0bob\0pw').toString('base64')}\r\n`);
    await c.expect('a1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n');
    assert.deepEqual(up.connections[0]!.logins, [{ user: 'bob', pass: 'pw' }]);
  });

  it('never greets with greeting: null, and sends custom greeting bytes as given', async () => {
    const silent = await pair({ flavour: 'imap', greeting: null });
    await silent.c.expectSilence(150);
    const bad = await pair({ flavour: 'imap', greeting: 'garbage\r\n' });
    await bad.c.expect('garbage\r\n');
  });

  it('resets the connection after exactly resetAfterBytes bytes', async () => {
    const { c } = await pair({ flavour: 'imap', resetAfterBytes: 10 });
    const rest = await c.waitClosed();
    assert.equal(rest.toString(), '* OK [CAPA');
    assert.equal(c.error?.code, 'ECONNRESET');
  });

  it('hangs or closes after a successful login as asked', async () => {
    const hang = await pair({ flavour: 'imap', afterLogin: 'hang' });
    await hang.c.expect(/^\* OK /);
    hang.c.send('a1 LOGIN a b\r\na2 NOOP\r\n');
    await hang.c.expect(/^a1 OK /);
    await hang.c.expectSilence(150);
    const close = await pair({ flavour: 'imap', afterLogin: 'close' });
    await close.c.expect(/^\* OK /);
    close.c.send('a1 LOGIN a b\r\n');
    assert.match((await close.c.waitClosed()).toString(), /^a1 OK /);
  });

  it('waits for a PROXY header before greeting when proxyProtocol is set, and records it', async () => {
    const { up, c } = await pair({ flavour: 'imap', proxyProtocol: true });
    await c.expectSilence(100);
    c.send('PROXY TCP4 192.0.2.1 127.0.0.1 40000 143\r\n');
    await c.expect(/^\* OK /);
    assert.equal(up.connections[0]!.proxyHeader?.toString(), 'PROXY TCP4 192.0.2.1 127.0.0.1 40000 143\r\n');
  });

  it('lets an onCommand hook replace the reply', async () => {
    const { c } = await pair({
      flavour: 'imap',
      onCommand: (cmd) => (cmd.verb === 'NOOP' ? `${cmd.tag} NO nope\r\n` : undefined),
    });
    await c.expect(/^\* OK /);
    c.send('a1 NOOP\r\na2 CAPABILITY\r\n');
    await c.expect('a1 NO nope\r\n');
    await c.expect('* CAPABILITY IMAP4rev1 LITERAL+ SASL-IR ID AUTH=PLAIN\r\n');
  });
});

describe('fake upstream, sizes', () => {
  it('serves a generated message of messageBytes bytes', async () => {
    const { c } = await pair({ flavour: 'imap', messageBytes: 1_000_000 });
    await c.expect(/^\* OK /);
    c.send('a1 LOGIN a b\r\na2 FETCH 1 BODY[]\r\n');
    await c.expect(/^a1 OK /);
    await c.expect('* 1 FETCH (UID 1 BODY[] {1000000}\r\n');
    const body = await c.readBytes(1_000_000);
    assert.ok(body.equals(makeMessage({ sizeBytes: 1_000_000, seed: 'fake-upstream' })));
    await c.expect(')\r\na2 OK Fetch completed.\r\n');
  });
});

describe('fake upstream, POP3', () => {
  it('logs in with USER/PASS and RETRs a dot-stuffed message', async () => {
    const message = makeMessage({ sizeBytes: 2_000, seed: 'fake-pop3' });
    assert.ok(message.includes('\r\n.'), 'the message has dot lines');
    const { up, c } = await pair({ flavour: 'pop3', message });
    await c.expect('+OK fake POP3 ready.\r\n');
    c.send('USER alice\r\nPASS secret\r\nRETR 1\r\n');
    await c.expect('+OK\r\n+OK Logged in.\r\n');
    await c.expect(`+OK ${message.length} octets\r\n`);
    const body = await c.readUntil('\r\n.\r\n');
    assert.ok(dotUnstuff(body.subarray(0, -3)).equals(message));
    c.send('QUIT\r\n');
    await c.expect('+OK Logging out.\r\n');
    await c.waitClosed();
    assert.deepEqual(up.connections[0]!.logins, [{ user: 'alice', pass: 'secret' }]);
  });
});

describe('fake upstream, SMTP', () => {
  it('answers EHLO, XCLIENT and AUTH like Postfix and records the unstuffed message', async () => {
    const { up, c } = await pair({ flavour: 'smtp' });
    await c.expect('220 fake.postern.test ESMTP fake\r\n');
    c.send('EHLO proxy.test\r\n');
    await c.expect(
      '250-fake.postern.test\r\n250-PIPELINING\r\n250-SIZE\r\n250-XCLIENT NAME ADDR PROTO HELO LOGIN\r\n250-AUTH PLAIN LOGIN\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n',
    );
    c.send('XCLIENT ADDR=192.0.2.5 LOGIN=alice NAME=[UNAVAILABLE]\r\n');
    await c.expect('220 fake.postern.test ESMTP fake\r\n');
    c.send(`AUTH PLAIN ${Buffer.from('\0alice\0pw').toString('base64')}\r\n`);
    await c.expect('235 2.7.0 Authentication successful\r\n');
    c.send('MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nDATA\r\n');
    await c.expect('250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n');
    c.send('Subject: x\r\n\r\n..dot\r\nend\r\n.\r\n');
    await c.expect('250 2.0.0 Ok: queued as FAKE1\r\n');
    const conn = up.connections[0]!;
    assert.equal(conn.messages[0]?.toString(), 'Subject: x\r\n\r\n.dot\r\nend\r\n');
    assert.equal(conn.state.xclient, 'ADDR=192.0.2.5 LOGIN=alice NAME=[UNAVAILABLE]');
    assert.deepEqual(conn.logins, [{ user: 'alice', pass: 'pw' }]);
  });
});
