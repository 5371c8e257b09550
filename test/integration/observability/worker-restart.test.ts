/**
 * A worker killed by a signal: `postern_worker_restarts_total` counts the respawn, `/status` shows the
 * new pid, and what the dead worker counted up to the previous scrape is kept.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeMessage } from '../../helpers/mailbox.js';
import { family, imapFetch, startBackends, startProxy, type Backends, type Proxy } from './harness.js';

describe('worker restarts', () => {
  let b: Backends;
  let px: Proxy;
  const message = makeMessage({ sizeBytes: 1_000, seed: 'restart' });

  before(async () => {
    b = await startBackends(['alice']);
    b.dovecot.deliver('alice', message);
    px = await startProxy({ auth: b.auth, main: 'worker_processes 1;' });
  });
  after(async () => {
    await px.stop();
    await b.stop();
  });

  it('counts the respawn of a killed worker and keeps what it had reported', async () => {
    await imapFetch(px.imap, 'alice', message);
    await imapFetch(px.imap, 'alice', message);
    const server = `127.0.0.1:${px.imap}`;
    const startedLine = `postern_sessions_started_total{protocol="imap",server="${server}"} 2`;
    // the scrape the dead worker's numbers will be kept from
    const deadline = Date.now() + 10_000;
    while (!family(await px.scrape(), 'postern_sessions_started_total').includes(startedLine)) {
      assert.ok(Date.now() < deadline, 'the sessions were not counted');
      await sleep(50);
    }
    const [old] = (await px.status()).workers;
    assert.ok(old !== undefined);
    process.kill(old.pid, 'SIGKILL');
    const until = Date.now() + 20_000;
    for (;;) {
      const s = await px.status();
      if (s.workers.length === 1 && s.workers[0]?.pid !== old.pid && s.workers[0]?.state === 'ready') break;
      assert.ok(Date.now() < until, 'no new worker');
      await sleep(50);
    }
    await imapFetch(px.imap, 'alice', message);
    const m = await px.scrape();
    assert.deepEqual(family(m, 'postern_worker_restarts_total'), ['postern_worker_restarts_total 1']);
    assert.deepEqual(family(m, 'postern_sessions_started_total'), [`postern_sessions_started_total{protocol="imap",server="${server}"} 3`]);
    assert.deepEqual(family(m, 'postern_config_generation'), ['postern_config_generation 1']);
    assert.match(px.log(), new RegExp(`\\[alert\\] \\d+#\\d+: worker process ${old.pid} exited on signal 9\\n`));
  });
});
