import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { AggregatorRegistry } from 'prom-client';
import { PrimaryMetrics } from '../../../src/metrics/primary-metrics.js';

describe('primary metrics', () => {
  const m = new PrimaryMetrics(77, 1_700_000_000_000);
  after(() => {
    m.close();
  });

  async function sample(states: Parameters<PrimaryMetrics['report']>[0]): Promise<string[]> {
    const json = await m.report(states);
    const text = await AggregatorRegistry.aggregate([json]).metrics();
    return text.split('\n').filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('postern_process_'));
  }

  it('starts at generation 1 with zero reloads and restarts', async () => {
    assert.deepEqual(await sample(['ready', 'ready']), [
      'postern_worker_restarts_total 0',
      'postern_workers{state="starting"} 0',
      'postern_workers{state="ready"} 2',
      'postern_workers{state="retiring"} 0',
      'postern_config_reloads_total{result="ok"} 0',
      'postern_config_reloads_total{result="failed"} 0',
      'postern_config_generation 1',
      'postern_config_last_reload_success_timestamp_seconds 1700000000',
      'postern_start_time_seconds 1700000000',
      'postern_connections_refused_total{reason="worker_connections"} 0',
      'postern_metrics_worker_timeouts_total 0',
    ]);
  });

  it('counts reloads by result, restarts, refusals and late workers', async () => {
    m.reloaded(true, 2, 1_700_000_010_000);
    m.reloaded(false, 2, 1_700_000_020_000);
    m.workerRestarted();
    m.refusedWorkerConnections();
    m.reportTimedOut(2);
    assert.deepEqual(await sample(['ready', 'retiring', 'starting']), [
      'postern_worker_restarts_total 1',
      'postern_workers{state="starting"} 1',
      'postern_workers{state="ready"} 1',
      'postern_workers{state="retiring"} 1',
      'postern_config_reloads_total{result="ok"} 1',
      'postern_config_reloads_total{result="failed"} 1',
      'postern_config_generation 2',
      'postern_config_last_reload_success_timestamp_seconds 1700000010',
      'postern_start_time_seconds 1700000000',
      'postern_connections_refused_total{reason="worker_connections"} 1',
      'postern_metrics_worker_timeouts_total 2',
    ]);
    assert.deepEqual(m.reloadTotals, { ok: 1, failed: 1 });
    assert.equal(m.restartsTotal, 1);
  });
});
