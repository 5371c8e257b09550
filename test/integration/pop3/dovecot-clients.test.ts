/**
 * POP3 end to end: real clients (curl, Python poplib, fetchmail) through a real postern process to a
 * real Dovecot, with the auth service checking APOP digests as an auth service must. Every retrieved
 * byte is compared with what was delivered, and the auth requests and log lines are checked exactly.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startDovecot, type Dovecot } from '../../helpers/dovecot.js';
import { startFakeAuthHttp, type FakeAuthHttp } from '../../helpers/fake-auth-http.js';
import { curl, fetchmail, pyPop3Retr } from '../../helpers/clients.js';
import { bigMessage, crlfToLf, makeMessage } from '../../helpers/mailbox.js';
import { backendAuth } from './backend-auth.js';
import { poplibJob } from './poplib-job.js';
import { startProxy, type ProxyProcess } from './proxy-process.js';

const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'] as const;
const PASSWORD = 'secret-pw';

describe('POP3 through postern to Dovecot with real clients', () => {
  let dovecot: Dovecot;
  let auth: FakeAuthHttp;
  let proxy: ProxyProcess;
  let port: number;
  // Two messages of one size: Dovecot numbers deliveries in directory order, so LIST and STAT stay
  // exact whatever the order, and a retrieved message must be one of the two.
  const SIZE = 2_000;
  const small = [makeMessage({ sizeBytes: SIZE, seed: 'pop3-a' }), makeMessage({ sizeBytes: SIZE, seed: 'pop3-b' })];
  const isOneOfSmall = (b: Buffer | null | undefined): boolean => b !== null && b !== undefined && small.some((m) => m.equals(b));
  const big = bigMessage();

  before(async () => {
    dovecot = await startDovecot({ users: USERS.map((user) => ({ user, password: PASSWORD })) });
    for (const u of ['alice', 'bob', 'dave', 'erin', 'frank']) for (const m of small) dovecot.mailbox(u).deliver(m);
    dovecot.mailbox('carol').deliver(big.bytes);
    auth = await startFakeAuthHttp({
      script: backendAuth({
        port: dovecot.pop3Port,
        passwords: Object.fromEntries(USERS.map((u) => [u, PASSWORD])),
      }),
    });
    proxy = await startProxy({
      mail: `auth_http ${auth.url};\nserver_name pop.postern.test;`,
      servers: ['protocol pop3;\npop3_auth plain apop;'],
    });
    port = proxy.ports[0] as number;
  });

  after(async () => {
    await proxy.stop();
    await auth.close();
    await dovecot.stop();
  });

  const loggedIn = (user: string): string =>
    `client logged in, client: 127.0.0.1, server: 127.0.0.1:${String(port)}, login: "${user}", upstream: 127.0.0.1:${String(dovecot.pop3Port)}`;

  it('curl lists the mailbox (LIST) with the sizes Dovecot reports', async () => {
    const r = await curl(['-sS', '--max-time', '20', '-u', `alice:${PASSWORD}`, `pop3://127.0.0.1:${String(port)}/`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.toString('latin1'), `1 ${String(SIZE)}\r\n2 ${String(SIZE)}\r\n`);
  });

  for (const mech of ['PLAIN', 'LOGIN'] as const) {
    it(`curl retrieves a message with AUTH ${mech}, byte for byte`, async () => {
      const mark = proxy.mark();
      const before = auth.requests.length;
      const r = await curl([
        '-v',
        '-sS',
        '--max-time',
        '20',
        '--login-options',
        `AUTH=${mech}`,
        '-u',
        `bob:${PASSWORD}`,
        `pop3://127.0.0.1:${String(port)}/2`,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.stderr.includes(`> AUTH ${mech}\r\n`) || r.stderr.includes(`> AUTH ${mech}\n`), r.stderr);
      assert.ok(isOneOfSmall(r.stdout), 'RETR 2 bytes differ');
      const req = auth.requests[before];
      assert.equal(req?.header('Auth-Method'), 'plain');
      assert.equal(req.header('Auth-User'), 'bob');
      assert.equal(req.header('Auth-Pass'), PASSWORD);
      assert.equal(req.header('Auth-Protocol'), 'pop3');
      await proxy.waitForLog('info', loggedIn('bob'), { since: mark });
    });
  }

  it('poplib logs in with USER/PASS and retrieves a message unchanged', async () => {
    const r = await pyPop3Retr({ port, user: 'alice', password: PASSWORD, message: 1 });
    assert.equal(r.ok, true, r.error ?? '');
    assert.ok(isOneOfSmall(r.message));
    assert.deepEqual(r.result.stat, [2, 2 * SIZE]);
  });

  it('poplib logs in with APOP; the auth service checks the digest and returns the password', async () => {
    const before = auth.requests.length;
    const r = await poplibJob({ op: 'apop', port, user: 'dave', password: PASSWORD });
    assert.equal(r.ok, true, `${r.error ?? ''}\n${r.stderr}`);
    const greeting = String(r.result.greeting);
    const m = /^\+OK POP3 ready (<\d+\.\d+@pop\.postern\.test>)$/.exec(greeting);
    assert.ok(m, greeting);
    const req = auth.requests[before];
    assert.equal(req?.header('Auth-Method'), 'apop');
    assert.equal(req.header('Auth-Salt'), m[1]);
    assert.match(req.header('Auth-Pass') ?? '', /^[0-9a-f]{32}$/);
    assert.ok(isOneOfSmall(Buffer.from(String(r.result.message_b64), 'base64')));
  });

  it('a wrong APOP digest gets the auth service text and a close', async () => {
    const r = await poplibJob({ op: 'apop', port, user: 'dave', password: 'wrong' });
    assert.equal(r.ok, false);
    assert.equal(r.error, "error_proto: b'-ERR Invalid login or password'");
  });

  it('poplib retrieves a 10 MiB message whose bytes arrive unchanged', async () => {
    const r = await poplibJob({ op: 'retr', port, user: 'carol', password: PASSWORD, message: 1 }, 20_000);
    assert.equal(r.ok, true, `${r.error ?? ''}\n${r.stderr}`);
    assert.equal(r.result.size, big.bytes.length);
    assert.equal(r.result.sha256, big.sha256);
  });

  it('commands pipelined behind PASS in one write reach Dovecot after the login, answered in order', async () => {
    const r = await poplibJob({
      op: 'pipeline',
      port,
      lines: ['CAPA', 'USER erin', `PASS ${PASSWORD}`, 'STAT', 'LIST', 'RETR 1', 'NOOP', 'QUIT'],
      reads: ['long', 'resp', 'resp', 'resp', 'long', 'long', 'resp', 'resp'],
    });
    assert.equal(r.ok, true, `${r.error ?? ''}\n${r.stderr}`);
    const replies = r.result.replies as [string, string[]][];
    assert.deepEqual(replies[0], ['+OK Capability list follows', ['TOP', 'USER', 'UIDL', 'SASL PLAIN LOGIN']]);
    assert.deepEqual(replies[1], ['+OK', []]);
    assert.deepEqual(replies[2], ['+OK Logged in.', []]);
    assert.deepEqual(replies[3], [`+OK 2 ${String(2 * SIZE)}`, []]);
    assert.deepEqual(replies[4], ['+OK 2 messages:', [`1 ${String(SIZE)}`, `2 ${String(SIZE)}`]]);
    const [retrHead, retrLines] = replies[5] ?? ['', []];
    assert.equal(retrHead, `+OK ${String(SIZE)} octets`);
    const unstuffed = retrLines.map((l) => (l.startsWith('..') ? l.slice(1) : l));
    assert.ok(isOneOfSmall(Buffer.from(`${unstuffed.join('\r\n')}\r\n`, 'latin1')));
    assert.deepEqual(replies[6], ['+OK', []]);
    assert.deepEqual(replies[7], ['+OK Logging out.', []]);
  });

  it('fetchmail retrieves the whole mailbox', async () => {
    const mark = proxy.mark();
    const r = await fetchmail({ protocol: 'pop3', port, user: 'frank', password: PASSWORD });
    assert.equal(r.code, 0, `${r.stdout.toString()}\n${r.stderr}`);
    // Dovecot numbers the two deliveries in directory order, so compare them as a set.
    const got = r.messages.map((m) => m.toString('latin1')).sort();
    const want = small.map((m) => crlfToLf(m).toString('latin1')).sort();
    assert.deepEqual(got, want);
    await proxy.waitForLog('info', loggedIn('frank'), { since: mark });
  });
});
