/**
 * The relay under backpressure, in-process so the pool counters can be read: a client that reads a
 * 10 MiB FETCH slowly gets every byte (the backend is paused while the client lags and resumed when it
 * catches up), and bytes pipelined behind LOGIN reach the backend before anything sent later.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FakeUpstream } from '../../helpers/fake-upstream.js';
import { startImapRelayRig, type ImapRelayRig } from '../../helpers/imap-relay-rig.js';
import type { InprocProxy } from '../../helpers/inproc-proxy.js';
import { connectLine } from '../../helpers/line-client.js';
import { makeMessage } from '../../helpers/mailbox.js';

const MESSAGE = makeMessage({ sizeBytes: 10 * 1024 * 1024, seed: 'fake-upstream' });
const LOGIN_OK = 'a1 OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR ID AUTH=PLAIN] Logged in\r\n';

/** LineClient errors carry the whole transcript, megabytes after a big FETCH: keep the start. */
async function trimmed<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw new Error((err as Error).message.slice(0, 4000), { cause: err });
  }
}

let rig: ImapRelayRig;
let upstream: FakeUpstream;
let proxy: InprocProxy;

describe('the relay under backpressure', () => {
  before(async () => {
    rig = await startImapRelayRig({ message: MESSAGE });
    ({ upstream, proxy } = rig);
  });
  after(async () => {
    await rig.close();
  });

  test('a client that reads a 10 MiB FETCH slowly gets every byte, in order', async () => {
    const c = await connectLine({ port: proxy.port, timeoutMs: 60_000 });
    await trimmed(async () => {
      await c.expect('* OK IMAP4 ready\r\n');
      c.send('a1 LOGIN alice secret\r\n');
      await c.expect(LOGIN_OK);
      c.send('a2 FETCH 1 BODY[]\r\n');
      await c.expect(`* 1 FETCH (UID 1 BODY[] {${MESSAGE.length}}\r\n`);
      // Read in bursts with pauses, so postern's queue to the client grows and shrinks many times.
      const hash = createHash('sha256');
      let got = 0;
      const deadline = Date.now() + 60_000;
      while (got < MESSAGE.length) {
        assert.ok(Date.now() < deadline, `stalled after ${got} of ${MESSAGE.length} bytes`);
        c.socket.pause();
        await sleep(5);
        c.socket.resume();
        const pending = c.pending().length;
        const take = Math.min(pending, MESSAGE.length - got);
        if (take > 0) {
          hash.update(await c.readBytes(take, { timeoutMs: 1_000 }));
          got += take;
        } else {
          // nothing buffered yet: wait for the next piece (a stalled relay fails here)
          const chunk = await c.readBytes(1, { timeoutMs: 5_000 });
          hash.update(chunk);
          got += 1;
        }
      }
      assert.equal(hash.digest('hex'), createHash('sha256').update(MESSAGE).digest('hex'));
      await c.expect(')\r\na2 OK Fetch completed.\r\n', { timeoutMs: 5_000 });
      c.send('a3 LOGOUT\r\n');
      await c.expect('* BYE Logging out\r\na3 OK Logout completed.\r\n');
      await c.waitClosed();
    }).finally(() => {
      c.destroy();
    });
    await proxy.waitIdle();
    assert.equal(proxy.handler.pools.inUse(), 0);
  });

  test('commands pipelined behind LOGIN reach the backend first, in order, then the relay carries on', async () => {
    const c = await connectLine({ port: proxy.port });
    try {
      await c.expect('* OK IMAP4 ready\r\n');
      c.send('a1 LOGIN alice secret\r\nb1 NOOP\r\nb2 NOOP\r\n');
      await c.expect(LOGIN_OK);
      await c.expect('b1 OK NOOP completed.\r\nb2 OK NOOP completed.\r\n');
      c.send('b3 LOGOUT\r\n');
      await c.expect('* BYE Logging out\r\nb3 OK Logout completed.\r\n');
      await c.waitClosed();
    } finally {
      c.destroy();
    }
    const conn = upstream.connections.at(-1);
    assert.ok(conn !== undefined);
    assert.deepEqual(
      conn.commands.map((cmd) => cmd.line),
      ['a1 LOGIN {5+}', 'b1 NOOP', 'b2 NOOP', 'b3 LOGOUT'],
    );
    await proxy.waitIdle();
    assert.equal(proxy.handler.pools.inUse(), 0);
  });
});
