/**
 * `/metrics` of the real binary against what the test did: IMAP, POP3 and SMTP sessions through a
 * private Dovecot and Postfix, with failures caused on purpose (refused logins, auth_http closing
 * without an answer, an unreachable backend, max_errors, the pre-auth timeout, worker_connections),
 * scraped between phases and while a concurrent load runs. Every count is exact.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeMessage } from '../../helpers/mailbox.js';
import { connectLine, type LineClient } from '../../helpers/line-client.js';
import {
  family,
  imapFetch,
  imapRefused,
  imapTooManyErrors,
  internalError,
  pop3Refused,
  pop3Retr,
  silentUntilTimeout,
  smtpRefused,
  smtpSend,
  startBackends,
  startProxy,
  type Backends,
  type Metrics,
  type Proxy,
} from './harness.js';

type Proto = 'imap' | 'pop3' | 'smtp';

/** What the test did, as the series it expects. */
class Tally {
  readonly counts = new Map<string, number>();
  constructor(private readonly server: Record<Proto, string>) {}

  private add(series: string, n = 1): void {
    this.counts.set(series, (this.counts.get(series) ?? 0) + n);
  }

  session(p: Proto, reason: string): void {
    const s = this.server[p];
    this.add(`postern_sessions_started_total{protocol="${p}",server="${s}"}`);
    this.add(`postern_sessions_ended_total{protocol="${p}",server="${s}",reason="${reason}"}`);
    this.add(`postern_session_duration_seconds_count{protocol="${p}"}`);
    if (reason === 'tooManyErrors') this.add('postern_connections_refused_total{reason="max_errors"}');
    if (reason === 'timeout') this.add('postern_connections_refused_total{reason="timeout"}');
  }

  login(p: Proto, outcome: 'ok' | 'fail' | 'error', auth: 'ok' | 'fail' | 'closed'): void {
    this.add(`postern_logins_total{protocol="${p}",method="plain",outcome="${outcome}"}`);
    this.add(`postern_auth_http_requests_total{outcome="${auth === 'closed' ? 'error' : auth}"}`);
    if (auth === 'closed') this.add('postern_auth_http_errors_total{kind="closed"}');
    this.add('postern_auth_http_duration_seconds_count');
  }

  upstream(backend: string, ok: boolean): void {
    if (ok) this.add(`postern_upstream_connect_duration_seconds_count{backend="${backend}"}`);
    else this.add(`postern_upstream_errors_total{backend="${backend}",error="upstreamConnect"}`);
  }

  refusedWorkerConnections(): void {
    this.add('postern_connections_refused_total{reason="worker_connections"}');
  }

  /** The expected lines of a family, sorted like `family()`. */
  lines(name: string): string[] {
    return [...this.counts]
      .filter(([k]) => k === name || k.startsWith(`${name}{`))
      .map(([k, v]) => `${k} ${v}`)
      .sort();
  }
}

const FAMILIES = [
  'postern_sessions_started_total',
  'postern_sessions_ended_total',
  'postern_session_duration_seconds_count',
  'postern_logins_total',
  'postern_auth_http_requests_total',
  'postern_auth_http_errors_total',
  'postern_auth_http_duration_seconds_count',
  'postern_upstream_connect_duration_seconds_count',
  'postern_upstream_errors_total',
];

function checkAll(m: Metrics, t: Tally, when: string): void {
  for (const name of FAMILIES) assert.deepEqual(family(m, name), t.lines(name), `${name} ${when}`);
  const refused = family(m, 'postern_connections_refused_total').filter((l) => !l.endsWith(' 0'));
  assert.deepEqual(refused, t.lines('postern_connections_refused_total'), `refusals ${when}`);
}

/** `postern_client_bytes_total` must equal the sums of the `in:`/`out:` of the session records. */
function checkBytes(m: Metrics, px: Proxy, server: Record<Proto, string>): void {
  for (const p of ['imap', 'pop3', 'smtp'] as const) {
    let sumIn = 0;
    let sumOut = 0;
    for (const l of px.sessionLines()) {
      if (!l.includes(`server: ${server[p]}`)) continue;
      const b = /, in: (\d+), out: (\d+)/.exec(l);
      assert.ok(b !== null, l);
      sumIn += Number(b[1]);
      sumOut += Number(b[2]);
    }
    assert.equal(m.get(`postern_client_bytes_total{protocol="${p}",server="${server[p]}",direction="in"}`) ?? 0, sumIn, `${p} in`);
    assert.equal(m.get(`postern_client_bytes_total{protocol="${p}",server="${server[p]}",direction="out"}`) ?? 0, sumOut, `${p} out`);
  }
}

describe('/metrics counts what clients did', () => {
  let b: Backends;
  let px: Proxy;
  let server: Record<Proto, string>;
  let t: Tally;
  let backend: Record<Proto | 'dead', string>;
  const message = makeMessage({ sizeBytes: 6_000, seed: 'metrics-counts' });
  const users = ['alice', 'bob', 'carol', 'dave', 'erin'];

  before(async () => {
    b = await startBackends(users);
    for (const u of users) b.dovecot.deliver(u, message);
    px = await startProxy({
      auth: b.auth,
      main: 'worker_processes 2;',
      // least_conn: the primary refuses when every worker is full, so that refusal is deterministic
      events: 'worker_connections 8; accept_policy least_conn;',
      mail: 'timeout 3s;',
    });
    server = { imap: `127.0.0.1:${px.imap}`, pop3: `127.0.0.1:${px.pop3}`, smtp: `127.0.0.1:${px.smtp}` };
    backend = {
      imap: `127.0.0.1:${b.dovecot.imapPort}`,
      pop3: `127.0.0.1:${b.dovecot.pop3Port}`,
      smtp: `127.0.0.1:${b.postfix.smtpPort}`,
      dead: `127.0.0.1:${b.deadPort}`,
    };
    t = new Tally(server);
  });
  after(async () => {
    await px.stop();
    await b.stop();
  });

  /** Sessions end a moment after the client sees the close; wait until every one is counted. */
  async function settled(): Promise<Metrics> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const m = await px.scrape();
      const active = family(m, 'postern_sessions_active').filter((l) => !l.endsWith(' 0'));
      const ended = family(m, 'postern_sessions_ended_total').reduce((n, l) => n + Number(l.split(' ')[1]), 0);
      const expected = t.lines('postern_sessions_ended_total').reduce((n, l) => n + Number(l.split(' ')[1]), 0);
      if (active.length === 0 && ended >= expected) return m;
      if (Date.now() > deadline) throw new Error(`sessions did not settle: ${active.join(', ')}; ended ${ended}/${expected}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('counts successes and every failure caused on purpose, per protocol, server, reason and outcome', async () => {
    await imapFetch(px.imap, 'alice', message);
    t.session('imap', 'proxied');
    t.login('imap', 'ok', 'ok');
    t.upstream(backend.imap, true);

    await imapRefused(px.imap, 'bad-imap');
    t.session('imap', 'authFailed');
    t.login('imap', 'fail', 'fail');

    await internalError(px.imap, 'imap', 'broken-imap');
    t.session('imap', 'internalError');
    t.login('imap', 'error', 'closed');

    await internalError(px.imap, 'imap', 'dead-imap');
    t.session('imap', 'internalError');
    t.login('imap', 'ok', 'ok');
    t.upstream(backend.dead, false);

    await imapTooManyErrors(px.imap);
    t.session('imap', 'tooManyErrors');

    await pop3Retr(px.pop3, 'bob', message);
    t.session('pop3', 'proxied');
    t.login('pop3', 'ok', 'ok');
    t.upstream(backend.pop3, true);

    await pop3Refused(px.pop3, 'bad-pop3');
    t.session('pop3', 'authFailed');
    t.login('pop3', 'fail', 'fail');

    await internalError(px.pop3, 'pop3', 'dead-pop3');
    t.session('pop3', 'internalError');
    t.login('pop3', 'ok', 'ok');
    t.upstream(backend.dead, false);

    await silentUntilTimeout(px.pop3, /^\+OK /);
    t.session('pop3', 'timeout');

    await smtpSend(px.smtp, 'carol', message);
    t.session('smtp', 'proxied');
    t.login('smtp', 'ok', 'ok');
    t.upstream(backend.smtp, true);

    await smtpRefused(px.smtp, 'bad-smtp');
    t.session('smtp', 'authFailed');
    t.login('smtp', 'fail', 'fail');

    await internalError(px.smtp, 'smtp', 'broken-smtp');
    t.session('smtp', 'internalError');
    t.login('smtp', 'error', 'closed');

    const m = await settled();
    checkAll(m, t, 'after the sequential phase');
    checkBytes(m, px, server);
    assert.equal(m.get('postern_auth_http_duration_seconds_count'), b.auth.requests.length);
    assert.equal(m.get('postern_metrics_worker_timeouts_total'), 0);
  });

  it('stays consistent while a concurrent load runs, and exact once it is done', async () => {
    const jobs: Promise<void>[] = [];
    for (let i = 0; i < 4; i++) {
      jobs.push(imapFetch(px.imap, users[i % users.length] ?? 'alice', message));
      jobs.push(pop3Retr(px.pop3, users[(i + 1) % users.length] ?? 'alice', message));
      jobs.push(smtpSend(px.smtp, users[(i + 2) % users.length] ?? 'alice', message));
    }
    const load = { done: false };
    const all = Promise.all(jobs).finally(() => {
      load.done = true;
    });
    // scrape while the load runs: counters never go down, and no session ends before it starts
    let previous = new Map<string, number>();
    let scrapes = 0;
    while (!load.done || scrapes < 2) {
      const m = await px.scrape();
      scrapes++;
      for (const name of ['postern_sessions_started_total', 'postern_sessions_ended_total', 'postern_logins_total']) {
        for (const line of family(m, name)) {
          const [series = '', value = '0'] = line.split(' ');
          assert.ok(Number(value) >= (previous.get(series) ?? 0), `${series} went down`);
        }
      }
      const started = family(m, 'postern_sessions_started_total').reduce((n, l) => n + Number(l.split(' ')[1]), 0);
      const ended = family(m, 'postern_sessions_ended_total').reduce((n, l) => n + Number(l.split(' ')[1]), 0);
      const active = family(m, 'postern_sessions_active').reduce((n, l) => n + Number(l.split(' ')[1]), 0);
      assert.equal(started, ended + active, 'started = ended + active');
      previous = new Map(m);
      if (scrapes > 500) break;
    }
    await all;
    for (let i = 0; i < 4; i++) {
      t.session('imap', 'proxied');
      t.login('imap', 'ok', 'ok');
      t.upstream(backend.imap, true);
      t.session('pop3', 'proxied');
      t.login('pop3', 'ok', 'ok');
      t.upstream(backend.pop3, true);
      t.session('smtp', 'proxied');
      t.login('smtp', 'ok', 'ok');
      t.upstream(backend.smtp, true);
    }
    const m = await settled();
    checkAll(m, t, 'after the concurrent load');
    checkBytes(m, px, server);
  });

  it('shows open sessions as active, in /metrics and /status', async () => {
    const clients: LineClient[] = [];
    try {
      for (const u of ['alice', 'bob']) {
        const c = await connectLine({ port: px.imap, timeoutMs: 10_000 });
        clients.push(c);
        await c.expect(/^\* OK /);
        c.send(`a LOGIN ${u} secret\r\n`);
        await c.skipUntil(/^a OK /);
      }
      const pre = await connectLine({ port: px.pop3, timeoutMs: 10_000 });
      clients.push(pre);
      await pre.expect(/^\+OK /);
      const m = await px.scrape();
      assert.deepEqual(family(m, 'postern_sessions_active').filter((l) => !l.endsWith(' 0')), [
        `postern_sessions_active{protocol="imap",server="${server.imap}"} 2`,
        `postern_sessions_active{protocol="pop3",server="${server.pop3}"} 1`,
      ]);
      const s = await px.status();
      assert.deepEqual(s.sessions, { total: 3, imap: 2, pop3: 1, smtp: 0 });
      assert.equal(s.workers.reduce((n, w) => n + (w.sessions ?? 0), 0), 3);
    } finally {
      for (const c of clients) c.end();
    }
    for (const c of clients) await c.waitClosed();
    t.login('imap', 'ok', 'ok');
    t.login('imap', 'ok', 'ok');
    t.upstream(backend.imap, true);
    t.upstream(backend.imap, true);
    // the client's EOF reaches Dovecot, which closes: a normal end of the relay
    t.session('imap', 'proxied');
    t.session('imap', 'proxied');
    t.session('pop3', 'clientClosed');
    const m = await settled();
    checkAll(m, t, 'after the open sessions closed');
  });

  it('counts a connection refused because every worker is at worker_connections', async () => {
    const held: LineClient[] = [];
    try {
      // 2 workers x worker_connections 8: greeted, silent clients take the slots until one is refused.
      // (The primary learns of closed sessions in 20 ms batches, so a slot freed just before may still
      // look taken: stop at the first refusal rather than insist on exactly 16.)
      for (;;) {
        assert.ok(held.length <= 16, 'more than 2 x worker_connections sessions were accepted');
        const c = await connectLine({ port: px.pop3, timeoutMs: 10_000 });
        // readLine fails when the connection closes first: that is the refusal
        const greeted = await c.readLine().then(
          (line) => line.toString('latin1'),
          () => null,
        );
        if (greeted === null) {
          assert.equal(c.pending().length, 0, 'the refused client got bytes');
          c.destroy();
          break;
        }
        assert.match(greeted, /^\+OK /);
        held.push(c);
      }
      t.refusedWorkerConnections();
    } finally {
      for (const c of held) c.end();
    }
    for (const c of held) await c.waitClosed();
    assert.ok(held.length >= 8, `only ${held.length} sessions before the refusal`);
    for (let i = 0; i < held.length; i++) t.session('pop3', 'clientClosed');
    const m = await settled();
    checkAll(m, t, 'after the refusal');
    assert.match(px.log(), /\[alert\] \d+#\d+: 8 worker_connections are not enough\n/);
  });
});
