/**
 * `allow` / `deny` on mail servers (ours; nginx's http/stream access semantics): a denied client —
 * IPv4 or IPv6, direct or named by a trusted balancer's PROXY header — is closed without a reply, logged
 * at error as `access forbidden by rule` (nginx's stream access text and level) with the session's
 * context, and counted in `postern_connections_refused_total{reason="access"}`; allowed clients on the
 * same listeners get their greeting. Clients connect from chosen loopback addresses (127.0.0.2, …).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fail, startFakeAuthHttp, type FakeAuthHttp } from '../../helpers/fake-auth-http.js';
import { freePort } from '../../helpers/ports.js';
import { connectFrom } from './balancer.js';
import { startEdgeProxy, type EdgeProxy } from './edge-proxy.js';

describe('allow and deny', () => {
  let auth: FakeAuthHttp;
  let proxy: EdgeProxy;
  /** IPv4 rules: 127.0.0.3 denied, the rest of 127/8 allowed, all other IPv4 denied; IPv6: ::1 denied */
  let mixed: number;
  /** the same server's IPv6 listen */
  let mixed6: number;
  /** IPv6 allowed, IPv4 denied by `deny all` */
  let sixOnly: number;
  let sixOnly6: number;
  /** behind a trusted balancer (PROXY header), 192.0.2.0/24 denied */
  let proxied: number;
  let status: number;

  before(async () => {
    auth = await startFakeAuthHttp({ script: [fail('Invalid login or password')] });
    [mixed, mixed6, sixOnly, sixOnly6, proxied, status] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    proxy = await startEdgeProxy(
      {
        main: `worker_processes 1;\nstatus_listen 127.0.0.1:${status};`,
        mail: `auth_http ${auth.url};
server {
  listen 127.0.0.1:${mixed};
  listen [::1]:${mixed6};
  protocol imap;
  deny 127.0.0.3;
  allow 127.0.0.0/8;
  deny ::1;
  allow ::/0;
  deny all;
}
server {
  listen 127.0.0.1:${sixOnly};
  listen [::1]:${sixOnly6};
  protocol pop3;
  allow ::1;
  deny all;
}
server {
  listen 127.0.0.1:${proxied} proxy_protocol;
  protocol smtp;
  set_real_ip_from 127.0.0.1;
  deny 192.0.2.0/24;
}`,
      },
      [{ port: mixed }, { host: '::1', port: mixed6 }, { port: sixOnly }, { host: '::1', port: sixOnly6 }, { port: proxied }],
    );
  });

  after(async () => {
    await proxy.stop();
    await auth.close();
  });

  const refusedCount = async (): Promise<number> => {
    const res = await fetch(`http://127.0.0.1:${status}/metrics`);
    const text = await res.text();
    const m = /^postern_connections_refused_total\{reason="access"\} (\d+)$/m.exec(text);
    return m === null ? 0 : Number(m[1]);
  };

  /** Connects from `from` and expects to be closed without a byte, and exactly nginx's two log lines. */
  const expectDenied = async (from: string, port: number, host: string, listenText: string): Promise<void> => {
    const mark = proxy.mark();
    const c = await connectFrom(from, port, host);
    const rest = await c.waitClosed();
    assert.equal(rest.length, 0, `a denied client got ${rest.toString('latin1')}`);
    const line = await proxy.waitForLog('error', `access forbidden by rule, client: ${from}, server: ${listenText}`, { since: mark });
    const own = proxy.lines(mark).filter((l) => l.cid === line.cid && !l.text.startsWith('session closed'));
    assert.deepEqual(
      own.map((l) => `[${l.level}] ${l.text.replace(/:\d+ connected/, ':<port> connected')}`),
      [
        `[info] client ${from.includes(':') ? `[${from}]` : from}:<port> connected to ${listenText}`,
        `[error] access forbidden by rule, client: ${from}, server: ${listenText}`,
      ],
    );
  };

  const expectGreeting = async (from: string, port: number, host: string, greeting: string): Promise<void> => {
    const c = await connectFrom(from, port, host);
    await c.expect(greeting);
    c.destroy();
  };

  it('IPv4: 127.0.0.3 is denied by its rule, 127.0.0.2 allowed by the range after it', async () => {
    const before = await refusedCount();
    await expectDenied('127.0.0.3', mixed, '127.0.0.1', `127.0.0.1:${mixed}`);
    await expectGreeting('127.0.0.2', mixed, '127.0.0.1', '* OK IMAP4 ready\r\n');
    assert.equal(await refusedCount(), before + 1);
  });

  it('IPv6: ::1 is denied on the same server by the IPv6 list', async () => {
    const before = await refusedCount();
    await expectDenied('::1', mixed6, '::1', `[::1]:${mixed6}`);
    assert.equal(await refusedCount(), before + 1);
  });

  it('`deny all` after an IPv6 allow: ::1 is let in, every IPv4 client is refused', async () => {
    const before = await refusedCount();
    await expectGreeting('::1', sixOnly6, '::1', '+OK POP3 ready\r\n');
    await expectDenied('127.0.0.1', sixOnly, '127.0.0.1', `127.0.0.1:${sixOnly}`);
    await expectDenied('127.0.0.2', sixOnly, '127.0.0.1', `127.0.0.1:${sixOnly}`);
    assert.equal(await refusedCount(), before + 2);
  });

  it('behind a trusted balancer the rules apply to the address in the PROXY header', async () => {
    const before = await refusedCount();
    const mark = proxy.mark();
    const denied = await connectFrom('127.0.0.1', proxied);
    denied.send('PROXY TCP4 192.0.2.9 127.0.0.1 50000 25\r\n');
    assert.equal((await denied.waitClosed()).length, 0);
    await proxy.waitForLog('error', `access forbidden by rule, client: 192.0.2.9, server: 127.0.0.1:${proxied}`, { since: mark });
    const allowed = await connectFrom('127.0.0.1', proxied);
    allowed.send('PROXY TCP4 198.51.100.9 127.0.0.1 50001 25\r\n');
    await allowed.expect('220 ');
    allowed.destroy();
    assert.equal(await refusedCount(), before + 1);
  });
});
