/**
 * HAProxy in front of postern (`listen … proxy_protocol`, reference 6.4–6.6) with the real backends
 * behind it. Clients connect from 127.0.0.2 (or ::1), haproxy from 127.0.0.1, so the real address and
 * the balancer's differ:
 * - `send-proxy` and `send-proxy-v2` from a trusted balancer (`set_real_ip_from`): the auth service gets
 *   Client-IP and the Proxy-Protocol-* headers of the real client, the log's `client:` is the real
 *   client (the `connected to` line, written before the header is read, shows the balancer), and the
 *   backend sees the real client too — Dovecot through the PROXY header postern sends with
 *   `proxy_protocol on` and `v2` (Dovecot's `haproxy = yes` listener refuses a connection without
 *   one, and logs `rip=`), Postfix through XCLIENT;
 * - real clients (curl, swaks) behind the balancer;
 * - an untrusted balancer: the header is read and reported (Proxy-Protocol-*), but the client address
 *   stays the balancer's and the session goes on, as nginx 1.22 does (it is run behind the same haproxy
 *   and its auth requests are compared).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { curl, swaks } from '../../helpers/clients.js';
import { startDovecot, type Dovecot } from '../../helpers/dovecot.js';
import { fail, ok, pctDecode, startFakeAuthHttp, type FakeAuthHttp, type FakeAuthRequest } from '../../helpers/fake-auth-http.js';
import { startNginx, type Nginx } from '../../helpers/nginx.js';
import { freePort } from '../../helpers/ports.js';
import { startPostfix, type Postfix } from '../../helpers/postfix.js';
import { connectFrom, startBalancer, type Balancer } from './balancer.js';
import { portsOf, startEdgeProxy, type EdgeProxy } from './edge-proxy.js';

const PASSWORD = 'balanced';
const USERS = ['alice', 'bob', 'carol', 'dave'] as const;
const MESSAGE = Buffer.from('From: lb@example.org\r\nSubject: behind haproxy\r\n\r\nhello\r\n');
const REAL = '127.0.0.2';

interface Listens {
  /** IMAP, trusted balancer, PROXY v1 to Dovecot */
  readonly imapV1: number;
  /** IMAP, trusted balancer, PROXY v2 to Dovecot (postern only: nginx 1.22 has no v2) */
  readonly imapV2: number;
  /** SMTP, trusted balancer, XCLIENT to Postfix */
  readonly smtp: number;
  /** POP3, trusted balancer, PROXY v1 to Dovecot */
  readonly pop3: number;
  /** IMAP, balancer not in set_real_ip_from */
  readonly untrusted: number;
}

function mailConfig(authUrl: string, l: Listens, v2: boolean): string {
  return `server_name mail.example.test;
auth_http ${authUrl};
server {
  listen 127.0.0.1:${l.imapV1} proxy_protocol;
  protocol imap;
  set_real_ip_from 127.0.0.1;
  proxy_protocol on;
  auth_http_header X-Backend haproxy;
}
${
  v2
    ? `server {
  listen 127.0.0.1:${l.imapV2} proxy_protocol;
  protocol imap;
  set_real_ip_from 127.0.0.0/8;
  proxy_protocol v2;
  auth_http_header X-Backend haproxy;
}`
    : ''
}
server {
  listen 127.0.0.1:${l.pop3} proxy_protocol;
  protocol pop3;
  set_real_ip_from 127.0.0.1;
  proxy_protocol on;
  auth_http_header X-Backend haproxy;
}
server {
  listen 127.0.0.1:${l.smtp} proxy_protocol;
  protocol smtp;
  set_real_ip_from 127.0.0.1;
  smtp_auth plain login;
}
server {
  listen 127.0.0.1:${l.untrusted} proxy_protocol;
  protocol imap;
  set_real_ip_from 192.0.2.0/24;
}`;
}

/** The headers of an auth request after Auth-Protocol, with the ports that differ per run masked. */
function clientHeaders(req: FakeAuthRequest | undefined): string[] {
  assert.ok(req !== undefined, 'no auth request');
  return req.headers
    .filter(([k]) => k === 'Client-IP' || k.startsWith('Proxy-Protocol-'))
    .map(([k, v]) => (k.endsWith('-Port') ? `${k}: <port>` : `${k}: ${v}`));
}

describe('haproxy in front of postern', () => {
  let dovecot: Dovecot;
  let postfix: Postfix;
  let auth: FakeAuthHttp;
  let proxy: EdgeProxy;
  let nginx: Nginx;
  let balancer: Balancer;
  let p: Listens;
  let n: Listens;
  /** haproxy's frontends */
  const fe = { v1: 0, v2: 0, v2six: 0, smtp: 0, pop3: 0, untrustedV1: 0, untrustedV2: 0, nginxV1: 0, nginxUntrusted: 0 };

  before(async () => {
    dovecot = await startDovecot({ users: USERS.map((user) => ({ user, password: PASSWORD })), haproxy: true });
    for (const u of USERS) dovecot.deliver(u, MESSAGE);
    postfix = await startPostfix({ users: [...USERS] });
    auth = await startFakeAuthHttp({
      script: (req) => {
        const user = pctDecode(req.header('Auth-User') ?? '').toString('latin1');
        const pass = pctDecode(req.header('Auth-Pass') ?? '').toString('latin1');
        if (!(USERS as readonly string[]).includes(user) || pass !== PASSWORD) return fail('Invalid login or password');
        const proto = req.header('Auth-Protocol');
        if (proto === 'smtp') return ok('127.0.0.1', postfix.smtpPort);
        if (proto === 'pop3') return ok('127.0.0.1', dovecot.pop3HaproxyPort);
        return ok('127.0.0.1', req.header('X-Backend') === 'haproxy' ? dovecot.imapHaproxyPort : dovecot.imapPort);
      },
    });
    p = { imapV1: await freePort(), imapV2: await freePort(), smtp: await freePort(), pop3: await freePort(), untrusted: await freePort() };
    n = { imapV1: await freePort(), imapV2: 0, smtp: await freePort(), pop3: await freePort(), untrusted: await freePort() };
    for (const k of Object.keys(fe) as (keyof typeof fe)[]) fe[k] = await freePort();
    proxy = await startEdgeProxy({ mail: mailConfig(auth.url, p, true) }, portsOf(p));
    nginx = await startNginx({ mailConfig: mailConfig(auth.url, n, false) });
    balancer = await startBalancer([
      { name: 'v1', bind: { port: fe.v1 }, targetPort: p.imapV1, send: 'send-proxy' },
      { name: 'v2', bind: { port: fe.v2 }, targetPort: p.imapV2, send: 'send-proxy-v2' },
      { name: 'v2six', bind: { host: '::1', port: fe.v2six }, targetPort: p.imapV2, send: 'send-proxy-v2' },
      { name: 'smtp', bind: { port: fe.smtp }, targetPort: p.smtp, send: 'send-proxy' },
      { name: 'pop3', bind: { port: fe.pop3 }, targetPort: p.pop3, send: 'send-proxy-v2' },
      { name: 'untrusted_v1', bind: { port: fe.untrustedV1 }, targetPort: p.untrusted, send: 'send-proxy' },
      { name: 'untrusted_v2', bind: { port: fe.untrustedV2 }, targetPort: p.untrusted, send: 'send-proxy-v2' },
      { name: 'nginx_v1', bind: { port: fe.nginxV1 }, targetPort: n.imapV1, send: 'send-proxy' },
      { name: 'nginx_untrusted', bind: { port: fe.nginxUntrusted }, targetPort: n.untrusted, send: 'send-proxy' },
    ]);
  });

  after(async () => {
    await balancer.stop();
    await nginx.stop();
    await proxy.stop();
    await auth.close();
    await postfix.stop();
    await dovecot.stop();
  });

  /** Logs in over the balancer from `from`; returns the client's own port and the auth request. */
  const login = async (
    frontend: number,
    user: string,
    o: { from?: string; host?: string } = {},
  ): Promise<{ clientPort: number; req: FakeAuthRequest }> => {
    const before = auth.requests.length;
    const c = await connectFrom(o.from ?? REAL, frontend, o.host ?? '127.0.0.1');
    try {
      await c.expect('* OK IMAP4 ready\r\n');
      c.send(`a LOGIN ${user} ${PASSWORD}\r\n`);
      await c.expect(/^a OK \[CAPABILITY [^\]]*\] Logged in\r\n$/);
      c.send('b STATUS INBOX (MESSAGES)\r\n');
      await c.expect('* STATUS INBOX (MESSAGES 1)\r\n');
      c.send('c LOGOUT\r\n');
      await c.skipUntil(/^c OK/);
      assert.equal(auth.requests.length, before + 1);
      const req = auth.requests.at(-1);
      assert.ok(req !== undefined);
      return { clientPort: c.socket.localPort ?? 0, req };
    } finally {
      c.destroy();
    }
  };

  const headersOf = (req: FakeAuthRequest): Record<string, string | undefined> => ({
    'Client-IP': req.header('Client-IP'),
    'Proxy-Protocol-Addr': req.header('Proxy-Protocol-Addr'),
    'Proxy-Protocol-Port': req.header('Proxy-Protocol-Port'),
    'Proxy-Protocol-Server-Addr': req.header('Proxy-Protocol-Server-Addr'),
    'Proxy-Protocol-Server-Port': req.header('Proxy-Protocol-Server-Port'),
  });

  it('send-proxy: the auth service, the log and Dovecot (PROXY v1 from postern) see the real client', async () => {
    const mark = proxy.mark();
    const dovecotAt = dovecot.log().length;
    const { clientPort, req } = await login(fe.v1, 'alice');
    assert.deepEqual(headersOf(req), {
      'Client-IP': REAL,
      'Proxy-Protocol-Addr': REAL,
      'Proxy-Protocol-Port': String(clientPort),
      'Proxy-Protocol-Server-Addr': '127.0.0.1',
      'Proxy-Protocol-Server-Port': String(fe.v1),
    });
    const loggedIn = await proxy.waitForLog(
      'info',
      `client logged in, client: ${REAL}, server: 127.0.0.1:${p.imapV1}, login: "alice", upstream: 127.0.0.1:${dovecot.imapHaproxyPort}`,
      { since: mark },
    );
    // written before the header was read, so it names the balancer (reference 6.4)
    const connected = proxy.lines(mark).find((l) => l.cid === loggedIn.cid);
    assert.match(connected?.text ?? '', new RegExp(`^client 127\\.0\\.0\\.1:\\d+ connected to 127\\.0\\.0\\.1:${p.imapV1}$`));
    const dl = dovecot.log().slice(dovecotAt);
    assert.match(dl, new RegExp(`imap-login: Info: Login: user=<alice>, method=PLAIN, rip=127\\.0\\.0\\.2, lip=127\\.0\\.0\\.1,`), dl);
  });

  it('nginx 1.22 behind the same send-proxy sends the auth service the same client headers', async () => {
    const { req: ours } = await login(fe.v1, 'bob');
    const { req: theirs } = await login(fe.nginxV1, 'bob');
    assert.deepEqual(clientHeaders(ours), clientHeaders(theirs));
  });

  it('send-proxy-v2: the same, with a PROXY v2 header to Dovecot', async () => {
    const mark = proxy.mark();
    const dovecotAt = dovecot.log().length;
    const { clientPort, req } = await login(fe.v2, 'carol');
    assert.deepEqual(headersOf(req), {
      'Client-IP': REAL,
      'Proxy-Protocol-Addr': REAL,
      'Proxy-Protocol-Port': String(clientPort),
      'Proxy-Protocol-Server-Addr': '127.0.0.1',
      'Proxy-Protocol-Server-Port': String(fe.v2),
    });
    await proxy.waitForLog('info', new RegExp(`^client logged in, client: 127\\.0\\.0\\.2, server: 127\\.0\\.0\\.1:${p.imapV2}, login: "carol",`), {
      since: mark,
    });
    const dl = dovecot.log().slice(dovecotAt);
    assert.match(dl, /imap-login: Info: Login: user=<carol>, method=PLAIN, rip=127\.0\.0\.2, lip=127\.0\.0\.1,/, dl);
  });

  it('send-proxy-v2 from an IPv6 client: the client becomes ::1 everywhere', async () => {
    const mark = proxy.mark();
    const dovecotAt = dovecot.log().length;
    const { clientPort, req } = await login(fe.v2six, 'dave', { from: '::1', host: '::1' });
    assert.deepEqual(headersOf(req), {
      'Client-IP': '::1',
      'Proxy-Protocol-Addr': '::1',
      'Proxy-Protocol-Port': String(clientPort),
      'Proxy-Protocol-Server-Addr': '::1',
      'Proxy-Protocol-Server-Port': String(fe.v2six),
    });
    await proxy.waitForLog('info', new RegExp(`^client logged in, client: ::1, server: 127\\.0\\.0\\.1:${p.imapV2}, login: "dave",`), { since: mark });
    const dl = dovecot.log().slice(dovecotAt);
    assert.match(dl, /imap-login: Info: Login: user=<dave>, method=PLAIN, rip=::1, lip=/, dl);
  });

  it('POP3 behind send-proxy-v2: Dovecot gets the real client in the PROXY v1 header postern sends', async () => {
    const dovecotAt = dovecot.log().length;
    const c = await connectFrom(REAL, fe.pop3);
    try {
      await c.expect('+OK POP3 ready\r\n');
      c.send(`USER bob\r\nPASS ${PASSWORD}\r\n`);
      await c.expect('+OK\r\n+OK Logged in.\r\n');
      c.send('QUIT\r\n');
      await c.expect(/^\+OK Logging out/);
    } finally {
      c.destroy();
    }
    assert.equal(auth.requests.at(-1)?.header('Client-IP'), REAL);
    const dl = dovecot.log().slice(dovecotAt);
    assert.match(dl, /pop3-login: Info: Login: user=<bob>, method=PLAIN, rip=127\.0\.0\.2, lip=127\.0\.0\.1,/, dl);
  });

  it('curl behind the balancer fetches the message; the auth service sees its address', async () => {
    const r = await curl([
      '-sS',
      '--max-time',
      '20',
      '--interface',
      REAL,
      '-u',
      `alice:${PASSWORD}`,
      `imap://127.0.0.1:${fe.v1}/INBOX;UID=1`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.toString('latin1'), MESSAGE.toString('latin1'));
    assert.equal(auth.requests.at(-1)?.header('Client-IP'), REAL);
    assert.equal(auth.requests.at(-1)?.header('Proxy-Protocol-Addr'), REAL);
  });

  it('swaks behind the balancer sends mail; Postfix learns the real client from XCLIENT', async () => {
    const r = await swaks({
      port: fe.smtp,
      from: 'lb@example.org',
      to: ['bob@example.test'],
      ehlo: 'client.example',
      auth: { user: 'bob', password: PASSWORD },
      extraArgs: ['--local-interface', REAL],
    });
    assert.equal(r.code, 0, r.stdout.toString());
    assert.equal(auth.requests.at(-1)?.header('Client-IP'), REAL);
    await postfix.waitForMessages('bob', 1);
    await postfix.waitForLog(/: client=unknown\[127\.0\.0\.2\], sasl_method=XCLIENT, sasl_username=bob$/);
  });

  for (const [version, frontend] of [
    ['v1', () => fe.untrustedV1],
    ['v2', () => fe.untrustedV2],
  ] as const) {
    it(`an untrusted balancer's ${version} header is reported but does not change the client address`, async () => {
      const mark = proxy.mark();
      const { clientPort, req } = await login(frontend(), 'alice');
      assert.deepEqual(headersOf(req), {
        'Client-IP': '127.0.0.1',
        'Proxy-Protocol-Addr': REAL,
        'Proxy-Protocol-Port': String(clientPort),
        'Proxy-Protocol-Server-Addr': '127.0.0.1',
        'Proxy-Protocol-Server-Port': String(frontend()),
      });
      await proxy.waitForLog('info', new RegExp(`^client logged in, client: 127\\.0\\.0\\.1, server: 127\\.0\\.0\\.1:${p.untrusted}, login: "alice",`), {
        since: mark,
      });
    });
  }

  it('nginx 1.22 treats an untrusted balancer the same way', async () => {
    const { req: ours } = await login(fe.untrustedV1, 'bob');
    const { req: theirs } = await login(fe.nginxUntrusted, 'bob');
    assert.deepEqual(clientHeaders(ours), clientHeaders(theirs));
    assert.equal(theirs.header('Client-IP'), '127.0.0.1');
    await nginx.waitForLog(new RegExp(`client logged in, client: 127\\.0\\.0\\.1, server: 127\\.0\\.0\\.1:${n.untrusted}, login: "bob"`));
  });
});
