/**
 * `proxy_smtp_auth on` against a real Postfix that checks SMTP AUTH with Dovecot (SASL): postern logs in
 * to Postfix with AUTH PLAIN using the client's credentials (or the password the auth service returns
 * after CRAM-MD5), Postfix logs the SASL login, and a password Postfix refuses is nginx's internal error
 * for the client, or Postfix's own reply with `proxy_pass_error_message on`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startDovecot, type Dovecot } from '../../helpers/dovecot.js';
import { startPostfix, type Postfix } from '../../helpers/postfix.js';
import { ok, startFakeAuthHttp, type FakeAuthHttp } from '../../helpers/fake-auth-http.js';
import { swaks } from '../../helpers/clients.js';
import { crlfToLf, makeMessage } from '../../helpers/mailbox.js';
import { backendAuth } from '../pop3/backend-auth.js';
import { startProxy, type ProxyProcess } from '../pop3/proxy-process.js';

const PASSWORD = 'secret-pw';
const SENDER = 'sender@example.org';
/** Postfix's refusal when Dovecot's SASL says no */
const REFUSAL = '535 5.7.8 Error: authentication failed: (reason unavailable)';

describe('proxy_smtp_auth: postern logs in to Postfix (SASL by Dovecot) with AUTH PLAIN', () => {
  let dovecot: Dovecot;
  let postfix: Postfix;
  let auth: FakeAuthHttp;
  let proxy: ProxyProcess;
  let port: number;
  let passPort: number;

  before(async () => {
    dovecot = await startDovecot({
      users: ['alice', 'bob', 'carol'].map((user) => ({ user, password: PASSWORD })),
      imap: false,
      pop3: false,
    });
    postfix = await startPostfix({ users: ['alice', 'bob', 'carol'], saslAuthSocket: dovecot.authSocketPath });
    const check = backendAuth({ port: postfix.smtpPort, passwords: { alice: PASSWORD, bob: PASSWORD, carol: PASSWORD } });
    auth = await startFakeAuthHttp({
      // An alias the auth service maps to the real account, as deployments do with Auth-User.
      script: (req) =>
        req.header('Auth-User') === 'alias-of-carol' ? ok('127.0.0.1', postfix.smtpPort, [['Auth-User', 'carol']]) : check(req),
    });
    proxy = await startProxy({
      mail: `auth_http ${auth.url};\nserver_name mx.postern.test;\nproxy_smtp_auth on;\nsmtp_auth plain login cram-md5;`,
      servers: ['protocol smtp;', 'protocol smtp;\nproxy_pass_error_message on;'],
    });
    [port, passPort] = proxy.ports as [number, number];
  });

  after(async () => {
    await proxy.stop();
    await auth.close();
    await postfix.stop();
    await dovecot.stop();
  });

  const msg = (seed: string): Buffer => makeMessage({ sizeBytes: 2_500, seed, from: SENDER });

  it('AUTH PLAIN from the client becomes AUTH PLAIN to Postfix, which logs the SASL login', async () => {
    const data = msg('psa-plain');
    const r = await swaks({ port, from: SENDER, to: ['alice@example.test'], auth: { user: 'alice', password: PASSWORD }, data });
    assert.equal(r.code, 0, r.stdout.toString());
    assert.ok(r.replies.includes('235 2.0.0 OK'));
    await postfix.waitForMessages('alice', 1);
    assert.equal(postfix.deliveredBodies('alice')[0]?.toString('latin1'), crlfToLf(data).toString('latin1'));
    await postfix.waitForLog(/: client=unknown\[127\.0\.0\.1\], sasl_method=PLAIN, sasl_username=alice$/);
  });

  it('after CRAM-MD5 the password the auth service returns is the one sent to Postfix', async () => {
    const r = await swaks({
      port,
      from: SENDER,
      to: ['bob@example.test'],
      auth: { user: 'bob', password: PASSWORD, mechanism: 'CRAM-MD5' },
      data: msg('psa-cram'),
    });
    assert.equal(r.code, 0, r.stdout.toString());
    await postfix.waitForMessages('bob', 1);
    await postfix.waitForLog(/: client=unknown\[127\.0\.0\.1\], sasl_method=PLAIN, sasl_username=bob$/);
  });

  it('Auth-User from the auth service is the login Postfix sees', async () => {
    const r = await swaks({
      port,
      from: SENDER,
      to: ['carol@example.test'],
      auth: { user: 'alias-of-carol', password: PASSWORD },
      data: msg('psa-alias'),
    });
    assert.equal(r.code, 0, r.stdout.toString());
    await postfix.waitForMessages('carol', 1);
    await postfix.waitForLog(/sasl_method=PLAIN, sasl_username=carol$/);
  });

  it('a password Postfix refuses is an internal error for the client, logged with Postfix reply at error', async () => {
    const mark = proxy.mark();
    const r = await swaks({ port, from: SENDER, to: ['alice@example.test'], auth: { user: 'alice', password: 'wrong' } });
    assert.notEqual(r.code, 0);
    assert.ok(r.replies.includes('451 4.3.2 Internal server error'), r.replies.join('\n'));
    await proxy.waitForLog(
      'error',
      `upstream sent invalid response: "${REFUSAL}" while reading response from upstream, client: 127.0.0.1, server: 127.0.0.1:${String(port)}, login: "alice", upstream: 127.0.0.1:${String(postfix.smtpPort)}`,
      { since: mark },
    );
  });

  it('with proxy_pass_error_message on the client gets Postfix own refusal, logged at info', async () => {
    const mark = proxy.mark();
    const r = await swaks({ port: passPort, from: SENDER, to: ['alice@example.test'], auth: { user: 'alice', password: 'wrong' } });
    assert.notEqual(r.code, 0);
    assert.ok(r.replies.includes(REFUSAL), r.replies.join('\n'));
    await proxy.waitForLog(
      'info',
      `upstream sent invalid response: "${REFUSAL}" while reading response from upstream, client: 127.0.0.1, server: 127.0.0.1:${String(passPort)}, login: "alice", upstream: 127.0.0.1:${String(postfix.smtpPort)}`,
      { since: mark },
    );
  });
});
