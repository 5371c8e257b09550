import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsAggregator } from '../../../src/metrics/aggregate.js';
import type { MetricJson } from '../../../src/metrics/json.js';
import { HistogramSeries, Series } from '../../../src/metrics/series.js';
import { METRICS } from '../../../src/metrics/catalogue.js';

function worker(started: number, active: number, durations: number[]): MetricJson[] {
  const s = new Series(METRICS.sessionsStarted);
  const a = new Series(METRICS.sessionsActive);
  const d = new HistogramSeries(METRICS.sessionDuration);
  s.add(started, 'imap', '0.0.0.0:143');
  a.add(active, 'imap', '0.0.0.0:143');
  for (const x of durations) d.observe(x, 'imap');
  // through JSON, as over IPC
  return JSON.parse(JSON.stringify([s.toJson(), a.toJson(), d.toJson()])) as MetricJson[];
}

function pick(text: string, prefix: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(prefix));
}

describe('metrics aggregator', () => {
  it('sums live workers with the primary and keeps counters of retired workers, not their gauges', async () => {
    const agg = new MetricsAggregator();
    const own = new Series(METRICS.workerRestarts);
    own.add(1);
    await agg.retire(worker(5, 2, [0.2, 20]));
    await agg.retire(worker(1, 1, [0.2]));
    const text = await agg.render(() => [worker(3, 1, [0.07])], [own.toJson()]);
    assert.deepEqual(pick(text, 'postern_sessions_started_total'), [
      'postern_sessions_started_total{protocol="imap",server="0.0.0.0:143"} 9',
    ]);
    // gauges of gone workers died with them: only the live worker's one session is open
    assert.deepEqual(pick(text, 'postern_sessions_active'), ['postern_sessions_active{protocol="imap",server="0.0.0.0:143"} 1']);
    assert.deepEqual(pick(text, 'postern_session_duration_seconds_count'), ['postern_session_duration_seconds_count{protocol="imap"} 4']);
    assert.deepEqual(pick(text, 'postern_session_duration_seconds_bucket{protocol="imap",le="0.1"}'), [
      'postern_session_duration_seconds_bucket{protocol="imap",le="0.1"} 1',
    ]);
    assert.deepEqual(pick(text, 'postern_session_duration_seconds_bucket{protocol="imap",le="0.25"}'), [
      'postern_session_duration_seconds_bucket{protocol="imap",le="0.25"} 3',
    ]);
    assert.deepEqual(pick(text, 'postern_worker_restarts_total'), ['postern_worker_restarts_total 1']);
    assert.deepEqual(agg.retiredTotals.map((m) => m.name), ['postern_sessions_started_total', 'postern_session_duration_seconds']);
  });

  it('asks for the live list only after pending retirements, so a worker is never counted twice', async () => {
    const agg = new MetricsAggregator();
    let retired = false;
    const last = worker(4, 0, []);
    const retiring = agg.retire(last).then(() => {
      retired = true;
    });
    const text = await agg.render(() => {
      assert.equal(retired, true, 'live() ran before the retirement finished');
      return []; // the caller drops the retired worker's live report
    }, []);
    await retiring;
    assert.deepEqual(pick(text, 'postern_sessions_started_total'), [
      'postern_sessions_started_total{protocol="imap",server="0.0.0.0:143"} 4',
    ]);
  });
});
