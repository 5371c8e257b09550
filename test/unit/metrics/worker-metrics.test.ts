import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { AggregatorRegistry } from 'prom-client';
import { WorkerMetrics } from '../../../src/metrics/worker-metrics.js';
import { MAX_BACKEND_LABELS, METRICS } from '../../../src/metrics/catalogue.js';

/** The sample lines (no HELP/TYPE) of one metric family in the rendered text. */
async function lines(m: WorkerMetrics, family: string): Promise<string[]> {
  const { metrics } = await m.report(false);
  const text = await AggregatorRegistry.aggregate([metrics]).metrics();
  return text.split('\n').filter((l) => l.startsWith(family) && (l[family.length] === '{' || l[family.length] === ' '));
}

describe('worker metrics', () => {
  const all: WorkerMetrics[] = [];
  const make = (): WorkerMetrics => {
    const m = new WorkerMetrics({ slot: 1, pid: 4242 });
    all.push(m);
    return m;
  };
  after(() => {
    for (const m of all) m.close();
  });

  it('counts sessions started, active and ended by protocol, server and reason', async () => {
    const m = make();
    m.sessionStarted('imap', '0.0.0.0:143');
    m.sessionStarted('imap', '0.0.0.0:143');
    m.sessionStarted('smtp', '0.0.0.0:25');
    m.sessionEnded('imap', '0.0.0.0:143', 'proxied', 120, 10_000, 1500);
    assert.deepEqual(await lines(m, 'postern_sessions_started_total'), [
      'postern_sessions_started_total{protocol="imap",server="0.0.0.0:143"} 2',
      'postern_sessions_started_total{protocol="smtp",server="0.0.0.0:25"} 1',
    ]);
    assert.deepEqual(await lines(m, 'postern_sessions_active'), [
      'postern_sessions_active{protocol="imap",server="0.0.0.0:143"} 1',
      'postern_sessions_active{protocol="smtp",server="0.0.0.0:25"} 1',
    ]);
    assert.deepEqual(await lines(m, 'postern_sessions_ended_total'), [
      'postern_sessions_ended_total{protocol="imap",server="0.0.0.0:143",reason="proxied"} 1',
    ]);
    assert.deepEqual(await lines(m, 'postern_client_bytes_total'), [
      'postern_client_bytes_total{protocol="imap",server="0.0.0.0:143",direction="in"} 120',
      'postern_client_bytes_total{protocol="imap",server="0.0.0.0:143",direction="out"} 10000',
    ]);
    assert.deepEqual(await lines(m, 'postern_session_duration_seconds_count'), [
      'postern_session_duration_seconds_count{protocol="imap"} 1',
    ]);
    assert.deepEqual(await lines(m, 'postern_session_duration_seconds_sum'), ['postern_session_duration_seconds_sum{protocol="imap"} 1.5']);
  });

  it('counts max_errors and pre-auth timeouts as refusals, with access and worker_connections', async () => {
    const m = make();
    for (const reason of ['tooManyErrors', 'tooManyErrors', 'timeout', 'proxyTimeout', 'authFailed']) {
      m.sessionStarted('pop3', '0.0.0.0:110');
      m.sessionEnded('pop3', '0.0.0.0:110', reason, 0, 0, 10);
    }
    m.refused('access');
    m.refused('workerConnections');
    m.refused('workerConnections');
    assert.deepEqual(await lines(m, 'postern_connections_refused_total'), [
      'postern_connections_refused_total{reason="max_errors"} 2',
      'postern_connections_refused_total{reason="timeout"} 1',
      'postern_connections_refused_total{reason="access"} 1',
      'postern_connections_refused_total{reason="worker_connections"} 2',
    ]);
  });

  it('counts logins by method and outcome, and auth_http exchanges with their errors and latency', async () => {
    const m = make();
    m.login('imap', 'plain', 'ok');
    m.login('imap', 'plain', 'fail');
    m.login('smtp', 'login', 'error');
    m.authHttp(3, 'ok', null);
    m.authHttp(4, 'fail', null);
    m.authHttp(5000, 'error', 'timeout');
    m.authHttp(1, 'error', null);
    assert.deepEqual(await lines(m, 'postern_logins_total'), [
      'postern_logins_total{protocol="imap",method="plain",outcome="ok"} 1',
      'postern_logins_total{protocol="imap",method="plain",outcome="fail"} 1',
      'postern_logins_total{protocol="smtp",method="login",outcome="error"} 1',
    ]);
    assert.deepEqual(await lines(m, 'postern_auth_http_requests_total'), [
      'postern_auth_http_requests_total{outcome="ok"} 1',
      'postern_auth_http_requests_total{outcome="fail"} 1',
      'postern_auth_http_requests_total{outcome="error"} 2',
    ]);
    assert.deepEqual(await lines(m, 'postern_auth_http_errors_total'), [
      'postern_auth_http_errors_total{kind="timeout"} 1',
      'postern_auth_http_errors_total{kind="io"} 1',
    ]);
    assert.deepEqual(await lines(m, 'postern_auth_http_duration_seconds_count'), ['postern_auth_http_duration_seconds_count 4']);
    assert.deepEqual(await lines(m, 'postern_auth_http_duration_seconds_bucket'), [
      'postern_auth_http_duration_seconds_bucket{le="0.001"} 1',
      'postern_auth_http_duration_seconds_bucket{le="0.0025"} 1',
      'postern_auth_http_duration_seconds_bucket{le="0.005"} 3',
      'postern_auth_http_duration_seconds_bucket{le="0.01"} 3',
      'postern_auth_http_duration_seconds_bucket{le="0.025"} 3',
      'postern_auth_http_duration_seconds_bucket{le="0.05"} 3',
      'postern_auth_http_duration_seconds_bucket{le="0.1"} 3',
      'postern_auth_http_duration_seconds_bucket{le="0.25"} 3',
      'postern_auth_http_duration_seconds_bucket{le="0.5"} 3',
      'postern_auth_http_duration_seconds_bucket{le="1"} 3',
      'postern_auth_http_duration_seconds_bucket{le="2.5"} 3',
      'postern_auth_http_duration_seconds_bucket{le="5"} 4',
      'postern_auth_http_duration_seconds_bucket{le="10"} 4',
      'postern_auth_http_duration_seconds_bucket{le="+Inf"} 4',
    ]);
  });

  it('times successful backend logins and counts failed ones by backend and cause', async () => {
    const m = make();
    m.upstream('10.0.0.5:143', 4, null);
    m.upstream('10.0.0.5:143', 6, null);
    m.upstream('10.0.0.6:143', 60_000, 'upstreamTimeout');
    m.upstream('', 1, 'upstreamConnect');
    assert.deepEqual(await lines(m, 'postern_upstream_connect_duration_seconds_count'), [
      'postern_upstream_connect_duration_seconds_count{backend="10.0.0.5:143"} 2',
    ]);
    assert.deepEqual(await lines(m, 'postern_upstream_errors_total'), [
      'postern_upstream_errors_total{backend="10.0.0.6:143",error="upstreamTimeout"} 1',
      'postern_upstream_errors_total{backend="unknown",error="upstreamConnect"} 1',
    ]);
  });

  it('keeps at most MAX_BACKEND_LABELS backends and counts the rest as "other"', () => {
    const m = make();
    for (let i = 0; i < MAX_BACKEND_LABELS + 10; i++) m.upstream(`10.1.${i >> 8}.${i & 255}:143`, 1, null);
    assert.equal(m.upstreamDuration.count('10.1.0.0:143'), 1);
    assert.equal(m.upstreamDuration.count('other'), 10);
  });

  it('counts TLS handshakes by version and resumption, and failures apart', async () => {
    const m = make();
    m.tlsHandshake('TLSv1.3', false);
    m.tlsHandshake('TLSv1.3', true);
    m.tlsHandshake('TLSv1.2', false);
    m.tlsHandshake(null, false);
    assert.deepEqual(await lines(m, 'postern_tls_handshakes_total'), [
      'postern_tls_handshakes_total{version="TLSv1.3",resumed="no"} 1',
      'postern_tls_handshakes_total{version="TLSv1.3",resumed="yes"} 1',
      'postern_tls_handshakes_total{version="TLSv1.2",resumed="no"} 1',
    ]);
    assert.deepEqual(await lines(m, 'postern_tls_handshake_failures_total'), ['postern_tls_handshake_failures_total 1']);
  });

  it('reports its process numbers labelled with role, slot and pid', async () => {
    const m = make();
    const rss = await lines(m, METRICS.processResidentMemory.name);
    assert.equal(rss.length, 1);
    assert.match(rss[0] ?? '', /^postern_process_resident_memory_bytes\{role="worker",slot="1",pid="4242"\} [1-9]\d*$/);
    const lag = await lines(m, METRICS.processEventLoopLag.name);
    assert.deepEqual(
      lag.map((l) => l.replace(/ [\d.e-]+$/, '')),
      ['p50', 'p99', 'max'].map((s) => `postern_process_event_loop_lag_seconds{role="worker",slot="1",pid="4242",stat="${s}"}`),
    );
  });

  it('summarises live sessions per protocol for /status', () => {
    const m = make();
    m.sessionStarted('imap', 'a');
    m.sessionStarted('imap', 'a');
    m.sessionStarted('pop3', 'b');
    m.sessionEnded('imap', 'a', 'quit', 1, 1, 1);
    const s = m.summary();
    assert.equal(s.sessions, 2);
    assert.deepEqual(s.sessionsByProtocol, { imap: 1, pop3: 1, smtp: 0 });
    assert.ok(s.rssBytes > 0 && s.heapUsedBytes > 0);
  });
});
