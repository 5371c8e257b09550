/**
 * Clients that vanish in the middle of a 10 MiB FETCH: every socket closes and every pooled buffer goes
 * back, proved by the worker's pool counters and by the process's own handle list. In-process
 * (helpers/inproc-proxy.ts) so the counters can be read; the backend is the fake upstream serving a
 * 10 MiB message.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { hang, startFakeAuthHttp } from '../../helpers/fake-auth-http.js';
import type { FakeUpstream } from '../../helpers/fake-upstream.js';
import { startImapRelayRig, type ImapRelayRig } from '../../helpers/imap-relay-rig.js';
import { startInprocProxy, type InprocProxy } from '../../helpers/inproc-proxy.js';
import { connectLine, type LineClient } from '../../helpers/line-client.js';

const MESSAGE_BYTES = 10 * 1024 * 1024;
const LOGIN_OK = 'a1 OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR ID AUTH=PLAIN] Logged in\r\n';
const FETCH_HEAD = `* 1 FETCH (UID 1 BODY[] {${MESSAGE_BYTES}}\r\n`;

let rig: ImapRelayRig;
let upstream: FakeUpstream;
let proxy: InprocProxy;

/** TCP handles this process holds (sockets, not listeners). */
function tcpSockets(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
}

/** A logged-in client that has asked for the 10 MiB message and received `atLeast` bytes of it. */
async function midFetch(atLeast: number): Promise<LineClient> {
  const c = await connectLine({ port: proxy.port });
  try {
    await c.expect('* OK IMAP4 ready\r\n');
    c.send('a1 LOGIN alice secret\r\n');
    await c.expect(LOGIN_OK);
    c.send('a2 FETCH 1 BODY[]\r\n');
    await c.expect(FETCH_HEAD);
    await c.readBytes(atLeast, { timeoutMs: 10_000 });
  } catch (err) {
    c.destroy();
    // LineClient errors carry the whole transcript, megabytes here: keep the start
    throw new Error((err as Error).message.slice(0, 4000), { cause: err });
  }
  return c;
}

async function assertNothingLeft(socketsBefore: number): Promise<void> {
  await proxy.waitIdle(10_000);
  assert.equal(proxy.handler.pools.inUse(), 0, JSON.stringify(proxy.handler.pools.stats()));
  for (const conn of upstream.connections) {
    for (let i = 0; i < 100 && !conn.closed; i++) await sleep(20);
    assert.equal(conn.closed, true, `backend connection #${conn.id} is still open`);
  }
  for (let i = 0; i < 100 && tcpSockets() > socketsBefore; i++) await sleep(20);
  assert.equal(tcpSockets(), socketsBefore, 'TCP sockets still open in this process');
}

describe('a client that disconnects in the middle of a 10 MiB transfer', () => {
  before(async () => {
    rig = await startImapRelayRig({ messageBytes: MESSAGE_BYTES });
    ({ upstream, proxy } = rig);
  });
  after(async () => {
    await rig.close();
  });

  test('leaves no socket open and no pooled buffer out when it resets the connection', async () => {
    const before = tcpSockets();
    const c = await midFetch(1024 * 1024);
    c.socket.resetAndDestroy();
    await assertNothingLeft(before);
    await proxy.waitForLog(
      /\[info\] \d+#\d+: \*\d+ (recv|send)\(\) failed \(104: Connection reset by peer\) while proxying and (reading from|sending to) client, client: 127\.0\.0\.1, server: 127\.0\.0\.1:\d+, login: "alice", upstream: 127\.0\.0\.1:\d+$/,
    );
  });

  test('leaves nothing behind when it closes while not reading (the relay has bytes queued)', async () => {
    const before = tcpSockets();
    const c = await midFetch(64 * 1024);
    // Stop reading: the client's receive window fills, postern's writes queue and the backend is paused.
    c.socket.pause();
    await sleep(300);
    // The relay borrows nothing from the pools (the command buffer went back at login, the login reply
    // buffer when the login ended); what is queued is the chunks Node read (bounded in relay.test.ts).
    assert.equal(proxy.handler.pools.inUse(), 0);
    c.socket.destroy();
    await assertNothingLeft(before);
  });

  test('leaves nothing behind when it half-closes and goes away', async () => {
    const before = tcpSockets();
    const c = await midFetch(512 * 1024);
    c.end();
    await sleep(50);
    c.destroy();
    await assertNothingLeft(before);
  });

  test('a session stopped while the auth service hangs closes its auth connection at once', async () => {
    const hanging = await startFakeAuthHttp({ script: () => hang() });
    const stopped = await startInprocProxy({ authUrl: hanging.url });
    try {
      const c = await connectLine({ port: stopped.port });
      await c.expect('* OK IMAP4 ready\r\n');
      c.send('a1 LOGIN alice secret\r\n');
      await hanging.waitForRequests(1);
      const authConnections = (): number => hanging.openConnections;
      assert.equal(authConnections(), 1);
      stopped.shutdownSessions('fast');
      await c.waitClosed();
      await stopped.waitIdle();
      // auth_http_timeout is 60 s: the connection must go with the session, not at the deadline
      for (let i = 0; i < 100 && authConnections() > 0; i++) await sleep(20);
      assert.equal(authConnections(), 0);
      assert.equal(stopped.handler.pools.inUse(), 0);
    } finally {
      await stopped.close();
      await hanging.close();
    }
  });

  test('leaves nothing behind when several clients drop at once, and the worker still serves', async () => {
    const before = tcpSockets();
    const clients = await Promise.all([1, 2, 3, 4, 5].map(() => midFetch(256 * 1024)));
    for (const [i, c] of clients.entries()) {
      if (i % 2 === 0) c.socket.resetAndDestroy();
      else c.destroy();
    }
    await assertNothingLeft(before);
    const c = await connectLine({ port: proxy.port });
    await c.expect('* OK IMAP4 ready\r\n');
    c.send('a1 LOGIN alice secret\r\na2 LOGOUT\r\n');
    await c.expect(LOGIN_OK);
    await c.expect('* BYE Logging out\r\na2 OK Logout completed.\r\n');
    await c.waitClosed();
    await assertNothingLeft(before);
  });
});
