/**
 * Faults of the auth service and of the backend, each with a scripted fake: the client gets nginx's
 * reply, the session log gets nginx's line at nginx's level, a healthy session running at the same
 * time on the same worker logs in and out undisturbed, and afterwards every session is closed and
 * every pooled buffer is back. In-process (helpers/inproc-proxy.ts) to read the pool counters; the
 * same faults are compared with nginx itself in test/conformance/transcripts/imap/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  closeConn,
  fail,
  hang,
  ok,
  raw,
  reset,
  respond,
  startFakeAuthHttp,
  wait,
  type FakeAuthHttp,
  type FakeAuthReply,
  type FakeAuthRequest,
} from '../../helpers/fake-auth-http.js';
import {
  startFakeUpstream,
  type FakeUpstream,
  type FakeUpstreamOptions,
} from '../../helpers/fake-upstream.js';
import { startInprocProxy, type InprocProxy } from '../../helpers/inproc-proxy.js';
import { connectLine, type LineClient } from '../../helpers/line-client.js';

const LOGIN_OK = (tag: string): string =>
  `${tag} OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR ID AUTH=PLAIN] Logged in\r\n`;
const INTERNAL = '* BAD internal server error\r\n';
/** the log context of a session of user `u`, `$S` / `$U` / `$A` filled in per run */
const CTX = (u: string, upstream = true): string =>
  `client: 127.0.0.1, server: $S, login: "${u}"${upstream ? ', upstream: $U' : ''}`;

interface Fault {
  readonly name: string;
  /** the auth service's answers to this user's requests, in order (the last repeats) */
  readonly auth: (upstreamPort: number) => readonly FakeAuthReply[];
  /** the backend, when the fault is there */
  readonly upstream?: Omit<FakeUpstreamOptions, 'flavour'>;
  /** what the client does after the greeting and what it must get; `user` is its login */
  readonly dialogue: (c: LineClient, user: string) => Promise<void>;
  /** the session's log line: level and text after `*<cid> ` */
  readonly log: readonly [string, string];
}

async function loginFails(c: LineClient, user: string, reply = INTERNAL): Promise<void> {
  c.send(`a1 LOGIN ${user} secret\r\n`);
  await c.expect(reply);
  await c.waitClosed();
}

const FAULTS: readonly Fault[] = [
  {
    name: 'the auth service hangs past auth_http_timeout',
    auth: () => [hang()],
    dialogue: (c, u) => loginFails(c, u),
    log: [
      'error',
      `auth http server $A timed out (110: Connection timed out) while in http auth state, ${CTX('hang', false)}`,
    ],
  },
  {
    name: 'the auth service closes without answering',
    auth: () => [closeConn()],
    dialogue: (c, u) => loginFails(c, u),
    log: [
      'error',
      `auth http server $A prematurely closed connection while in http auth state, ${CTX('closes', false)}`,
    ],
  },
  {
    name: 'the auth service resets the connection',
    auth: () => [reset()],
    dialogue: (c, u) => loginFails(c, u),
    log: [
      'error',
      `recv() failed (104: Connection reset by peer) while in http auth state, ${CTX('resets', false)}`,
    ],
  },
  {
    name: 'the auth service answers garbage',
    auth: () => [raw('garbage garbage\r\n\r\n')],
    dialogue: (c, u) => loginFails(c, u),
    log: [
      'error',
      `auth http server $A sent invalid header in response while in http auth state, ${CTX('garbage', false)}`,
    ],
  },
  {
    name: 'the auth service sends headers over the limit',
    auth: (p) => [respond({ headers: [['X-Padding', 'x'.repeat(1100)], ...ok('127.0.0.1', p).headers] })],
    dialogue: (c, u) => loginFails(c, u),
    log: [
      'error',
      `auth http server $A sent too big header (more than 1024 bytes, see auth_http_max_response) while in http auth state, ${CTX('big', false)}`,
    ],
  },
  {
    name: 'the auth service says WAIT, then OK',
    auth: (p) => [wait(1), ok('127.0.0.1', p)],
    dialogue: async (c, u) => {
      c.send(`a1 LOGIN ${u} secret\r\n`);
      await c.expect(LOGIN_OK('a1'));
      c.send('a2 LOGOUT\r\n');
      await c.expect('* BYE Logging out\r\na2 OK Logout completed.\r\n');
      await c.waitClosed();
    },
    log: [
      'warn',
      `auth http server $A sent WAIT, retrying in 1000 ms while in http auth state, ${CTX('waits', false)}`,
    ],
  },
  {
    name: 'the auth service refuses with Auth-Wait twice, then for good',
    auth: () => [fail('Try later', { wait: 1 }), fail('Try later', { wait: 1 }), fail('Locked')],
    dialogue: async (c, u) => {
      c.send(`a1 LOGIN ${u} one\r\n`);
      await c.expect('a1 NO Try later\r\n');
      c.send(`a2 LOGIN ${u} two\r\n`);
      await c.expect('a2 NO Try later\r\n');
      await loginFails(c, u, 'a1 NO Locked\r\n');
    },
    log: ['info', `client login failed: "Locked" while in http auth state, ${CTX('retries', false)}`],
  },
  {
    name: 'the backend refuses the connection',
    auth: () => [ok('127.0.0.1', 1)],
    dialogue: (c, u) => loginFails(c, u),
    log: [
      'error',
      `recv() failed (111: Connection refused) while reading response from upstream, client: 127.0.0.1, server: $S, login: "refused", upstream: 127.0.0.1:1`,
    ],
  },
  {
    name: 'the backend accepts and never greets',
    auth: (p) => [ok('127.0.0.1', p)],
    upstream: { greeting: null },
    dialogue: (c, u) => loginFails(c, u),
    log: [
      'info',
      `upstream timed out (110: Connection timed out) while connecting to upstream, ${CTX('silent')}`,
    ],
  },
  {
    name: 'the backend greets with BYE',
    auth: (p) => [ok('127.0.0.1', p)],
    upstream: { greeting: '* BYE Server shutting down\r\n' },
    dialogue: (c, u) => loginFails(c, u),
    log: [
      'error',
      `upstream sent invalid response: "* BYE Server shutting down" while reading response from upstream, ${CTX('bye')}`,
    ],
  },
  {
    name: 'the backend rejects the LOGIN',
    auth: (p) => [ok('127.0.0.1', p)],
    upstream: { rejectLogin: true },
    dialogue: (c, u) => loginFails(c, u),
    log: [
      'error',
      `upstream sent invalid response: "NO [AUTHENTICATIONFAILED] Authentication failed." while reading response from upstream, ${CTX('rejected')}`,
    ],
  },
  {
    name: 'the backend resets the connection in the middle of a FETCH',
    auth: (p) => [ok('127.0.0.1', p)],
    upstream: { messageBytes: 200_000, resetAfterBytes: 100_000 },
    dialogue: async (c, u) => {
      c.send(`a1 LOGIN ${u} secret\r\n`);
      await c.expect(LOGIN_OK('a1'));
      c.send('a2 FETCH 1 BODY[]\r\n');
      await c.expect('* 1 FETCH (UID 1 BODY[] {200000}\r\n');
      await c.waitClosed();
    },
    log: [
      'error',
      `recv() failed (104: Connection reset by peer) while proxying and reading from upstream, ${CTX('midfetch')}`,
    ],
  },
];

/** The user name each fault logs in with (it picks the fault in the auth script). */
const USERS = [
  'hang',
  'closes',
  'resets',
  'garbage',
  'big',
  'waits',
  'retries',
  'refused',
  'silent',
  'bye',
  'rejected',
  'midfetch',
];

let auth: FakeAuthHttp;
let healthy: FakeUpstream;
let proxy: InprocProxy;
const upstreams = new Map<string, FakeUpstream>();
const counts = new Map<string, number>();

/** A session that logs in, NOOPs and logs out; resolves when it is done. */
async function healthySession(tag: string): Promise<void> {
  const c = await connectLine({ port: proxy.port });
  try {
    await c.expect('* OK IMAP4 ready\r\n');
    c.send(`${tag} LOGIN healthy secret\r\n`);
    await c.expect(LOGIN_OK(tag));
    c.send('n1 NOOP\r\nn2 LOGOUT\r\n');
    await c.expect('n1 OK NOOP completed.\r\n* BYE Logging out\r\nn2 OK Logout completed.\r\n');
    await c.waitClosed();
  } finally {
    c.destroy();
  }
}

describe('auth service and backend faults', () => {
  before(async () => {
    healthy = await startFakeUpstream({ flavour: 'imap' });
    for (const [i, f] of FAULTS.entries()) {
      if (f.upstream !== undefined)
        upstreams.set(USERS[i] as string, await startFakeUpstream({ flavour: 'imap', ...f.upstream }));
    }
    auth = await startFakeAuthHttp({
      script: (req: FakeAuthRequest) => {
        const user = req.header('Auth-User') ?? '';
        const i = USERS.indexOf(user);
        const n = counts.get(user) ?? 0;
        counts.set(user, n + 1);
        const fault = FAULTS[i];
        if (fault === undefined) return ok('127.0.0.1', healthy.port);
        const replies = fault.auth(upstreams.get(user)?.port ?? healthy.port);
        return replies[Math.min(n, replies.length - 1)] as FakeAuthReply;
      },
    });
    proxy = await startInprocProxy({ authUrl: auth.url, server: 'timeout 2s; auth_http_timeout 1s;' });
  });
  after(async () => {
    await proxy.close();
    for (const u of upstreams.values()) await u.close();
    await healthy.close();
    await auth.close();
  });

  for (const [i, f] of FAULTS.entries()) {
    const user = USERS[i] as string;
    test(`${f.name}: the client gets nginx's reply and log line, and other sessions are served meanwhile`, async () => {
      const c = await connectLine({ port: proxy.port, timeoutMs: 8_000 });
      try {
        await c.expect('* OK IMAP4 ready\r\n');
        const faulty = f.dialogue(c, user);
        // A healthy session on the same worker while the faulty one is in progress.
        await healthySession('h1');
        await faulty;
      } finally {
        c.destroy();
      }
      const [level, text] = f.log;
      const want = text
        .replaceAll('$S', proxy.addrText)
        .replaceAll('$U', `127.0.0.1:${upstreams.get(user)?.port ?? healthy.port}`)
        .replaceAll('$A', auth.addrText);
      const line = await proxy.waitForLog(new RegExp(`\\[${level}\\] \\d+#\\d+: \\*\\d+ ${escapeRe(want)}$`));
      assert.ok(line.length > 0);
      // Afterwards: a fresh session works, and nothing is left open or borrowed.
      await healthySession('h2');
      await proxy.waitIdle(8_000);
      assert.equal(proxy.handler.pools.inUse(), 0, JSON.stringify(proxy.handler.pools.stats()));
    });
  }
});

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
