/**
 * A Postfix that does not trust postern's XCLIENT (`smtpd_authorized_xclient_hosts` empty): with
 * `xclient on` the refusal is nginx's internal error for the client (or Postfix's reply with
 * `proxy_pass_error_message on`) and an ERR line; with `xclient off` postern does not try, and Postfix
 * sees the proxy itself as the client.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startPostfix, type Postfix } from '../../helpers/postfix.js';
import { ok, startFakeAuthHttp, type FakeAuthHttp } from '../../helpers/fake-auth-http.js';
import { swaks } from '../../helpers/clients.js';
import { crlfToLf, makeMessage } from '../../helpers/mailbox.js';
import { startProxy, type ProxyProcess } from '../pop3/proxy-process.js';

const SENDER = 'sender@example.org';
const XCLIENT_REFUSED = '550 5.7.0 Error: insufficient authorization';

describe('SMTP to a Postfix that refuses XCLIENT', () => {
  let postfix: Postfix;
  let auth: FakeAuthHttp;
  let proxy: ProxyProcess;
  let xclientOn: number;
  let passError: number;
  let xclientOff: number;

  before(async () => {
    postfix = await startPostfix({ users: ['alice'], xclientHosts: '' });
    auth = await startFakeAuthHttp({ script: () => ok('127.0.0.1', postfix.smtpPort) });
    proxy = await startProxy({
      mail: `auth_http ${auth.url};\nserver_name mx.postern.test;`,
      servers: ['protocol smtp;', 'protocol smtp;\nproxy_pass_error_message on;', 'protocol smtp;\nxclient off;'],
    });
    [xclientOn, passError, xclientOff] = proxy.ports as [number, number, number];
  });

  after(async () => {
    await proxy.stop();
    await auth.close();
    await postfix.stop();
  });

  it('xclient on: the refused XCLIENT is an internal error for the client and an ERR line', async () => {
    const mark = proxy.mark();
    const r = await swaks({ port: xclientOn, from: SENDER, to: ['alice@example.test'], auth: { user: 'alice', password: 'pw' } });
    assert.notEqual(r.code, 0);
    assert.ok(r.replies.includes('451 4.3.2 Internal server error'), r.replies.join('\n'));
    await proxy.waitForLog(
      'error',
      `upstream sent invalid response: "${XCLIENT_REFUSED}" while reading response from upstream, client: 127.0.0.1, server: 127.0.0.1:${String(xclientOn)}, login: "alice", upstream: 127.0.0.1:${String(postfix.smtpPort)}`,
      { since: mark },
    );
  });

  it('xclient on with proxy_pass_error_message on: the client gets Postfix refusal as is', async () => {
    const r = await swaks({ port: passError, from: SENDER, to: ['alice@example.test'], auth: { user: 'alice', password: 'pw' } });
    assert.notEqual(r.code, 0);
    assert.ok(r.replies.includes(XCLIENT_REFUSED), r.replies.join('\n'));
  });

  it('xclient off: the mail goes through and Postfix sees the proxy as the client, with no SASL login', async () => {
    const data = makeMessage({ sizeBytes: 2_000, seed: 'xclient-off', from: SENDER });
    const r = await swaks({
      port: xclientOff,
      from: SENDER,
      to: ['alice@example.test'],
      ehlo: 'client.postern.test',
      auth: { user: 'alice', password: 'pw' },
      data,
    });
    assert.equal(r.code, 0, r.stdout.toString());
    await postfix.waitForMessages('alice', 1);
    assert.equal(postfix.deliveredBodies('alice')[0]?.toString('latin1'), crlfToLf(data).toString('latin1'));
    await postfix.waitForLog(/: client=unknown\[127\.0\.0\.1\]$/);
  });
});
