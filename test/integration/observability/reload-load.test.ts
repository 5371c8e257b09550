/**
 * Reloads under load (issue 10): `HUP` 20 times while IMAP, POP3 and SMTP sessions log in and move
 * messages through a private Dovecot and Postfix. Every session must complete with intact bytes, every
 * message sent must arrive intact, and the counters must survive every generation of workers. Long
 * IMAP IDLE sessions keep running on the old worker until worker_shutdown_timeout.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeMessage, crlfToLf } from '../../helpers/mailbox.js';
import { connectLine } from '../../helpers/line-client.js';
import { family, imapFetch, pop3Retr, smtpSend, startBackends, startProxy, type Backends, type Proxy } from './harness.js';

const RELOADS = 20;

describe('reloads under load', () => {
  let b: Backends;
  let px: Proxy;
  // big enough that many reads and writes of the relay are in flight when a reload lands
  const message = makeMessage({ sizeBytes: 96 * 1024, seed: 'reload-load' });
  const readers = ['r1', 'r2', 'r3', 'r4'];
  const senders = ['s1', 's2'];

  before(async () => {
    b = await startBackends([...readers, ...senders]);
    for (const u of readers) b.dovecot.deliver(u, message);
    px = await startProxy({ auth: b.auth, main: 'worker_processes 2;' });
  });
  after(async () => {
    await px.stop();
    await b.stop();
  });

  it('loses no session and no byte across 20 reloads while logins and transfers run', async (t) => {
    let stop = false;
    let completed = 0;
    const failures: string[] = [];
    const done: Record<'imap' | 'pop3' | 'smtp', number> = { imap: 0, pop3: 0, smtp: 0 };
    const sent = new Map<string, number>(senders.map((s) => [s, 0]));
    const loop = async (name: string, kind: 'imap' | 'pop3' | 'smtp', one: () => Promise<void>): Promise<void> => {
      while (!stop) {
        try {
          await one();
          done[kind]++;
          completed++;
        } catch (err) {
          failures.push(`${name}: ${(err as Error).message.slice(0, 2000)}`);
          return;
        }
      }
    };
    const loops = [
      loop('imap r1', 'imap', () => imapFetch(px.imap, 'r1', message)),
      loop('imap r2', 'imap', () => imapFetch(px.imap, 'r2', message)),
      loop('pop3 r3', 'pop3', () => pop3Retr(px.pop3, 'r3', message)),
      loop('pop3 r4', 'pop3', () => pop3Retr(px.pop3, 'r4', message)),
      ...senders.map((u) =>
        loop(`smtp ${u}`, 'smtp', async () => {
          await smtpSend(px.smtp, u, message);
          sent.set(u, (sent.get(u) ?? 0) + 1);
        }),
      ),
    ];
    let lastStarted = 0;
    try {
      for (let r = 1; r <= RELOADS; r++) {
        // let traffic flow between reloads, so each one lands on sessions in every phase
        const before = completed;
        const deadline = Date.now() + 20_000;
        while (completed < before + 3 && failures.length === 0 && Date.now() < deadline) await sleep(10);
        assert.deepEqual(failures, [], `before reload ${r}`);
        assert.equal(await px.reload(), r + 1);
        // scraped while the old generation drains and hands over its counters: they never go down
        const m = await px.scrape();
        const started = family(m, 'postern_sessions_started_total').reduce((n, l) => n + Number(l.split(' ')[1]), 0);
        assert.ok(started >= lastStarted, `sessions_started went from ${lastStarted} to ${started} after reload ${r}`);
        lastStarted = started;
      }
      const last = completed;
      const deadline = Date.now() + 20_000;
      while (completed < last + 6 && failures.length === 0 && Date.now() < deadline) await sleep(10);
    } finally {
      stop = true;
      await Promise.all(loops);
    }
    assert.deepEqual(failures, []);
    t.diagnostic(`sessions completed across ${RELOADS} reloads: ${JSON.stringify(done)}`);
    assert.ok(done.imap > 0 && done.pop3 > 0 && done.smtp > 0, JSON.stringify(done));

    // every message sent arrived, byte for byte (Postfix stores LF line endings)
    for (const [u, n] of sent) {
      await b.postfix.waitForMessages(u, n, { timeoutMs: 30_000 });
      const bodies = b.postfix.deliveredBodies(u);
      assert.equal(bodies.length, n, `${u}: ${bodies.length} of ${n} messages delivered`);
      for (const body of bodies) assert.ok(body.equals(crlfToLf(message)), `${u}: a delivered message differs`);
    }

    // and the counters of all 21 generations add up to what the test did
    const s = await px.status();
    assert.equal(s.generation, RELOADS + 1);
    assert.deepEqual(s.reloads, { ok: RELOADS, failed: 0 });
    const deadline = Date.now() + 20_000;
    for (;;) {
      const m = await px.scrape();
      const ended = family(m, 'postern_sessions_ended_total');
      const total = ended.reduce((n, l) => n + Number(l.split(' ')[1]), 0);
      if (total === completed || Date.now() > deadline) {
        assert.deepEqual(ended, [
          `postern_sessions_ended_total{protocol="imap",server="127.0.0.1:${px.imap}",reason="proxied"} ${done.imap}`,
          `postern_sessions_ended_total{protocol="pop3",server="127.0.0.1:${px.pop3}",reason="proxied"} ${done.pop3}`,
          `postern_sessions_ended_total{protocol="smtp",server="127.0.0.1:${px.smtp}",reason="proxied"} ${done.smtp}`,
        ]);
        assert.deepEqual(family(m, 'postern_sessions_started_total'), [
          `postern_sessions_started_total{protocol="imap",server="127.0.0.1:${px.imap}"} ${done.imap}`,
          `postern_sessions_started_total{protocol="pop3",server="127.0.0.1:${px.pop3}"} ${done.pop3}`,
          `postern_sessions_started_total{protocol="smtp",server="127.0.0.1:${px.smtp}"} ${done.smtp}`,
        ]);
        assert.deepEqual(family(m, 'postern_config_reloads_total'), [
          'postern_config_reloads_total{result="failed"} 0',
          `postern_config_reloads_total{result="ok"} ${RELOADS}`,
        ]);
        assert.deepEqual(family(m, 'postern_config_generation'), [`postern_config_generation ${RELOADS + 1}`]);
        assert.deepEqual(family(m, 'postern_worker_restarts_total'), ['postern_worker_restarts_total 0']);
        assert.deepEqual(family(m, 'postern_metrics_worker_timeouts_total'), ['postern_metrics_worker_timeouts_total 0']);
        break;
      }
      await sleep(50);
    }
  });
});

describe('IMAP IDLE across a reload', () => {
  let b: Backends;
  const first = makeMessage({ sizeBytes: 2_000, seed: 'idle-1' });
  const second = makeMessage({ sizeBytes: 2_000, seed: 'idle-2' });

  before(async () => {
    b = await startBackends(['idler', 'waiter']);
    b.dovecot.deliver('idler', first);
    b.dovecot.deliver('waiter', first);
  });
  after(async () => {
    await b.stop();
  });

  async function idle(port: number, user: string): Promise<Awaited<ReturnType<typeof connectLine>>> {
    const c = await connectLine({ port, timeoutMs: 10_000 });
    await c.expect(/^\* OK /);
    c.send(`a LOGIN ${user} secret\r\n`);
    await c.skipUntil(/^a OK /);
    c.send('b SELECT INBOX\r\n');
    await c.skipUntil(/^b OK /);
    c.send('c IDLE\r\n');
    await c.expect(/^\+ idling/);
    return c;
  }

  it('keeps an IDLE session on its old worker without worker_shutdown_timeout, and that worker exits when it ends', async () => {
    const px = await startProxy({ auth: b.auth, main: 'worker_processes 1;' });
    try {
      const c = await idle(px.imap, 'waiter');
      try {
        const old = (await px.status()).workers[0]?.pid;
        await px.reload();
        await px.reload();
        const s = await px.status();
        assert.deepEqual(
          s.workers.filter((w) => w.pid === old).map((w) => [w.state, w.sessions]),
          [['retiring', 1]],
        );
        // the old worker still relays both ways: a new message is announced, IDLE ends cleanly
        b.dovecot.deliver('waiter', second);
        await c.skipUntil(/^\* 2 EXISTS/, { timeoutMs: 15_000 });
        c.send('DONE\r\n');
        await c.skipUntil(/^c OK /);
        c.send('d UID FETCH 2 BODY.PEEK[]\r\n');
        const head = (await c.readUntil(/\{\d+\}\r\n/)).toString('latin1');
        const body = await c.readBytes(Number(/\{(\d+)\}\r\n$/.exec(head)?.[1]));
        assert.ok(body.equals(second));
        await c.skipUntil(/^d OK /);
        c.send('e LOGOUT\r\n');
        await c.skipUntil(/^e OK /);
        await c.waitClosed();
      } finally {
        c.destroy();
      }
      const deadline = Date.now() + 15_000;
      while ((await px.status()).workers.some((w) => w.state === 'retiring')) {
        assert.ok(Date.now() < deadline, 'the old worker did not exit after its last session');
        await sleep(50);
      }
    } finally {
      await px.stop();
    }
  });

  it('closes an IDLE session on the old worker when worker_shutdown_timeout expires', async () => {
    const px = await startProxy({ auth: b.auth, main: 'worker_processes 1; worker_shutdown_timeout 2s;' });
    try {
      const c = await idle(px.imap, 'idler');
      try {
        await px.reload();
        // still served during the grace period
        c.send('DONE\r\n');
        await c.skipUntil(/^c OK /);
        c.send('d NOOP\r\n');
        await c.skipUntil(/^d OK /);
        c.send('e IDLE\r\n');
        await c.expect(/^\+ idling/);
        await c.waitClosed({ timeoutMs: 15_000 });
      } finally {
        c.destroy();
      }
      const deadline = Date.now() + 15_000;
      for (;;) {
        const m = await px.scrape();
        const ended = family(m, 'postern_sessions_ended_total');
        if (ended.length > 0 || Date.now() > deadline) {
          assert.deepEqual(ended, [`postern_sessions_ended_total{protocol="imap",server="127.0.0.1:${px.imap}",reason="shutdown"} 1`]);
          break;
        }
        await sleep(50);
      }
      assert.match(px.log(), /\[info\] \d+#\d+: \*\d+ shutdown timeout while proxying, client: 127\.0\.0\.1, server: 127\.0\.0\.1:\d+, login: "idler", upstream: 127\.0\.0\.1:\d+\n/);
    } finally {
      await px.stop();
    }
  });
});
