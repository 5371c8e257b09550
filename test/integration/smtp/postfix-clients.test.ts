/**
 * SMTP end to end: real clients (swaks, Python smtplib, curl) through a real postern process to a real
 * Postfix that trusts postern's XCLIENT, delivering into mailboxes read back byte for byte. Covers AUTH
 * PLAIN, LOGIN and CRAM-MD5 (checked by the auth service, as nginx deployments do), RFC 2920
 * pipelining, a 5 MiB message, and the `smtp_auth none` relay path with the sender and the recipient
 * approved or refused by the auth service; Postfix's log shows the client address, name and HELO that
 * XCLIENT delivered.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startPostfix, type Postfix } from '../../helpers/postfix.js';
import { fail, startFakeAuthHttp, type FakeAuthHttp } from '../../helpers/fake-auth-http.js';
import { startFakeDns, type FakeDns } from '../../helpers/fake-dns.js';
import { curlSmtpSend, pySmtpSend, swaks } from '../../helpers/clients.js';
import { crlfToLf, makeMessage } from '../../helpers/mailbox.js';
import { backendAuth } from '../pop3/backend-auth.js';
import { startProxy, type ProxyProcess } from '../pop3/proxy-process.js';

const PASSWORD = 'secret-pw';
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan'] as const;
const SENDER = 'sender@example.org';
const CLIENT_NAME = 'client-a.postern.test';

describe('SMTP through postern to Postfix with real clients', () => {
  let postfix: Postfix;
  let auth: FakeAuthHttp;
  let dns: FakeDns;
  let proxy: ProxyProcess;
  /** submission: clients authenticate at the proxy */
  let submit: number;
  /** relay: smtp_auth none, with a resolver for the client's name */
  let relay: number;

  before(async () => {
    postfix = await startPostfix({
      users: [...USERS],
      // WARN logs a line with the client's name, address and HELO as Postfix believes them.
      mainCf: { smtpd_recipient_restrictions: 'check_client_access static:WARN, permit' },
    });
    auth = await startFakeAuthHttp({
      script: backendAuth({
        port: postfix.smtpPort,
        passwords: Object.fromEntries(USERS.map((u) => [u, PASSWORD])),
        checkPlain: true,
        relay: (from, to) => {
          if (from.includes('<spammer@')) return fail('Sender refused', { code: '550 5.7.1' });
          if (to.includes('<heidi@')) return fail('Recipient refused', { code: '550 5.7.1' });
          return null;
        },
      }),
    });
    dns = await startFakeDns((q) => {
      if (q.name === '1.0.0.127.in-addr.arpa') return { ptr: [CLIENT_NAME] };
      if (q.name === CLIENT_NAME) return { a: ['127.0.0.1'] };
      return { rcode: 3 };
    });
    proxy = await startProxy({
      mail: `auth_http ${auth.url};\nserver_name mx.postern.test;\nsmtp_capabilities PIPELINING 8BITMIME ENHANCEDSTATUSCODES;`,
      servers: [
        'protocol smtp;\nsmtp_auth plain login cram-md5;',
        `protocol smtp;\nsmtp_auth none;\nresolver ${dns.address};\nresolver_timeout 2s;`,
      ],
    });
    [submit, relay] = proxy.ports as [number, number];
  });

  after(async () => {
    await proxy.stop();
    await dns.close();
    await auth.close();
    await postfix.stop();
  });

  const msg = (seed: string, sizeBytes = 3_000): Buffer =>
    makeMessage({ sizeBytes, seed, from: SENDER, subject: `postern ${seed}` });

  for (const [mech, user] of [
    ['PLAIN', 'alice'],
    ['LOGIN', 'bob'],
    ['CRAM-MD5', 'carol'],
  ] as const) {
    it(`swaks sends with AUTH ${mech}; Postfix delivers the message and logs the login XCLIENT gave it`, async () => {
      const before = auth.requests.length;
      const data = msg(`swaks-${mech}`);
      const r = await swaks({
        port: submit,
        from: SENDER,
        to: [`${user}@example.test`],
        ehlo: 'client.postern.test',
        auth: { user, password: PASSWORD, mechanism: mech },
        data,
      });
      assert.equal(r.code, 0, r.stdout.toString());
      assert.ok(r.replies.includes('235 2.0.0 OK'), r.replies.join('\n'));
      const [stored] = await postfix.waitForMessages(user, 1);
      assert.ok(stored !== undefined);
      assert.equal(postfix.deliveredBodies(user)[0]?.toString('latin1'), crlfToLf(data).toString('latin1'));
      const req = auth.requests[before];
      assert.equal(req?.header('Auth-Method'), mech === 'CRAM-MD5' ? 'cram-md5' : 'plain');
      assert.equal(req.header('Auth-User'), user);
      await postfix.waitForLog(new RegExp(`: client=unknown\\[127\\.0\\.0\\.1\\], sasl_method=XCLIENT, sasl_username=${user}$`));
    });
  }

  it('swaks pipelines MAIL, RCPT and DATA after AUTH and Postfix gets them all', async () => {
    const data = msg('swaks-pipeline');
    const r = await swaks({
      port: submit,
      from: SENDER,
      to: ['dave@example.test', 'erin@example.test'],
      ehlo: 'client.postern.test',
      auth: { user: 'dave', password: PASSWORD },
      data,
      extraArgs: ['--pipeline'],
    });
    assert.equal(r.code, 0, r.stdout.toString());
    // swaks sends MAIL, both RCPTs and DATA in one write, then reads the four replies.
    assert.match(r.stdout.toString(), / -> MAIL FROM:<sender@example\.org>\n -> RCPT TO:<dave@example\.test>\n -> RCPT TO:<erin@example\.test>\n -> DATA\n/);
    await postfix.waitForMessages('dave', 1);
    await postfix.waitForMessages('erin', 1);
    assert.equal(postfix.deliveredBodies('erin')[0]?.toString('latin1'), crlfToLf(data).toString('latin1'));
  });

  it('a wrong password is refused by the auth service with 535 5.7.0 and nothing reaches Postfix', async () => {
    const mark = proxy.mark();
    const r = await swaks({
      port: submit,
      from: SENDER,
      to: ['frank@example.test'],
      auth: { user: 'frank', password: 'wrong' },
    });
    assert.notEqual(r.code, 0);
    assert.ok(r.replies.includes('535 5.7.0 Invalid login or password'), r.replies.join('\n'));
    await proxy.waitForLog(
      'info',
      `client login failed: "Invalid login or password" while in http auth state, client: 127.0.0.1, server: 127.0.0.1:${String(submit)}, login: "frank"`,
      { since: mark },
    );
    assert.deepEqual(postfix.messages('frank'), []);
  });

  it('smtplib sends a 5 MiB message with AUTH whose bytes arrive unchanged', async () => {
    const data = msg('smtplib-5m', 5 * 1024 * 1024);
    const r = await pySmtpSend({
      port: submit,
      from: SENDER,
      to: ['frank@example.test'],
      data,
      user: 'frank',
      password: PASSWORD,
      authMechanism: 'PLAIN',
      timeoutMs: 60_000,
    });
    assert.equal(r.ok, true, r.error ?? '');
    assert.deepEqual(r.result.refused, {});
    await postfix.waitForMessages('frank', 1, { timeoutMs: 30_000 });
    const body = postfix.deliveredBodies('frank')[0];
    assert.equal(body?.length, crlfToLf(data).length);
    assert.ok(body.equals(crlfToLf(data)), '5 MiB message differs');
  });

  it('curl sends with AUTH through smtp://', async () => {
    const data = msg('curl');
    const r = await curlSmtpSend({
      port: submit,
      from: SENDER,
      to: ['grace@example.test'],
      data,
      helo: 'client.postern.test',
      user: 'grace',
      password: PASSWORD,
    });
    assert.equal(r.code, 0, r.stderr);
    await postfix.waitForMessages('grace', 1);
    assert.equal(postfix.deliveredBodies('grace')[0]?.toString('latin1'), crlfToLf(data).toString('latin1'));
  });

  it('smtp_auth none: an approved sender and recipient are relayed; Postfix logs the name, address and HELO from XCLIENT', async () => {
    const before = auth.requests.length;
    const data = msg('none-ok');
    const r = await swaks({ port: relay, from: SENDER, to: ['ivan@example.test'], ehlo: 'relay-client.postern.test', data });
    assert.equal(r.code, 0, r.stdout.toString());
    await postfix.waitForMessages('ivan', 1);
    assert.equal(postfix.deliveredBodies('ivan')[0]?.toString('latin1'), crlfToLf(data).toString('latin1'));
    const req = auth.requests[before];
    assert.equal(req?.header('Auth-Method'), 'none');
    assert.equal(req.header('Client-Host'), CLIENT_NAME);
    assert.equal(req.header('Auth-SMTP-Helo'), 'relay-client.postern.test');
    assert.equal(req.header('Auth-SMTP-From'), `MAIL FROM:<${SENDER}>`);
    assert.equal(req.header('Auth-SMTP-To'), 'RCPT TO:<ivan@example.test>');
    // Postfix believed XCLIENT: the name from postern's resolver, and the client's own HELO.
    await postfix.waitForLog(
      new RegExp(
        `warn: RCPT from ${CLIENT_NAME.replace(/\./g, '\\.')}\\[127\\.0\\.0\\.1\\]: .*from=<${SENDER}> to=<ivan@example\\.test> proto=ESMTP helo=<relay-client\\.postern\\.test>`,
      ),
    );
    await postfix.waitForLog(new RegExp(`: client=${CLIENT_NAME.replace(/\./g, '\\.')}\\[127\\.0\\.0\\.1\\]$`));
  });

  it('smtp_auth none: a refused recipient gets Auth-Error-Code and the text, and nothing is delivered', async () => {
    const mark = proxy.mark();
    const r = await swaks({ port: relay, from: SENDER, to: ['heidi@example.test'], ehlo: 'relay-client.postern.test' });
    assert.notEqual(r.code, 0);
    assert.ok(r.replies.includes('550 5.7.1 Recipient refused'), r.replies.join('\n'));
    await proxy.waitForLog(
      'info',
      `client login failed: "Recipient refused" while in http auth state, client: 127.0.0.1, server: 127.0.0.1:${String(relay)}`,
      { since: mark },
    );
    assert.deepEqual(postfix.messages('heidi'), []);
  });

  it('smtp_auth none: a refused sender is answered at its first RCPT', async () => {
    const r = await swaks({ port: relay, from: 'spammer@example.org', to: ['ivan@example.test'] });
    assert.notEqual(r.code, 0);
    assert.ok(r.replies.includes('550 5.7.1 Sender refused'), r.replies.join('\n'));
    assert.equal(postfix.messages('ivan').length, 1);
  });
});
