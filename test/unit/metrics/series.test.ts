import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AggregatorRegistry } from 'prom-client';
import { HistogramSeries, Series, labelValue } from '../../../src/metrics/series.js';
import type { MetricDef } from '../../../src/metrics/catalogue.js';

const COUNTER: MetricDef = { name: 't_total', kind: 'counter', help: 'a counter', labels: ['protocol', 'server'], source: 'worker' };
const GAUGE: MetricDef = { name: 't_open', kind: 'gauge', help: 'a gauge', labels: ['protocol'], source: 'worker' };
const HIST: MetricDef = { name: 't_seconds', kind: 'histogram', help: 'a histogram', labels: ['protocol'], source: 'worker', buckets: [0.1, 1] };
const PLAIN: MetricDef = { name: 't_plain_seconds', kind: 'histogram', help: 'no labels', labels: [], source: 'worker', buckets: [0.5] };

async function text(...json: object[]): Promise<string> {
  return AggregatorRegistry.aggregate([json]).metrics();
}

describe('series', () => {
  it('counts per label set and exports the exact Prometheus text through prom-client', async () => {
    const c = new Series(COUNTER);
    c.add(1, 'imap', '0.0.0.0:143');
    c.add(2, 'imap', '0.0.0.0:143');
    c.add(1, 'pop3', '0.0.0.0:110');
    assert.equal(c.get('imap', '0.0.0.0:143'), 3);
    assert.equal(c.get('smtp', '0.0.0.0:25'), 0);
    assert.equal(
      await text(c.toJson()),
      '# HELP t_total a counter\n# TYPE t_total counter\n' +
        't_total{protocol="imap",server="0.0.0.0:143"} 3\n' +
        't_total{protocol="pop3",server="0.0.0.0:110"} 1\n',
    );
  });

  it('lets a gauge go up, down and be set', async () => {
    const g = new Series(GAUGE);
    g.add(1, 'imap');
    g.add(1, 'imap');
    g.add(-1, 'imap');
    g.set(7, 'smtp');
    assert.equal(await text(g.toJson()), '# HELP t_open a gauge\n# TYPE t_open gauge\nt_open{protocol="imap"} 1\nt_open{protocol="smtp"} 7\n');
  });

  it('puts observations in cumulative buckets with le as an upper bound, inclusive', async () => {
    const h = new HistogramSeries(HIST);
    h.observe(0.1, 'imap'); // on the bound: le="0.1"
    h.observe(0.5, 'imap');
    h.observe(3, 'imap'); // above every bound: only +Inf
    assert.equal(h.count('imap'), 3);
    assert.equal(
      await text(h.toJson()),
      '# HELP t_seconds a histogram\n# TYPE t_seconds histogram\n' +
        't_seconds_bucket{protocol="imap",le="0.1"} 1\n' +
        't_seconds_bucket{protocol="imap",le="1"} 2\n' +
        't_seconds_bucket{protocol="imap",le="+Inf"} 3\n' +
        't_seconds_sum{protocol="imap"} 3.6\n' +
        't_seconds_count{protocol="imap"} 3\n',
    );
  });

  it('keeps one series for a label-less histogram', async () => {
    const h = new HistogramSeries(PLAIN);
    h.observe(0.2);
    h.observe(0.7);
    assert.equal(h.count(), 2);
    assert.equal(
      await text(h.toJson()),
      '# HELP t_plain_seconds no labels\n# TYPE t_plain_seconds histogram\n' +
        't_plain_seconds_bucket{le="0.5"} 1\nt_plain_seconds_bucket{le="+Inf"} 2\n' +
        't_plain_seconds_sum 0.8999999999999999\nt_plain_seconds_count 2\n',
    );
  });

  it('sums the same series from several workers', async () => {
    const a = new Series(COUNTER);
    const b = new Series(COUNTER);
    a.add(2, 'imap', 'x');
    b.add(5, 'imap', 'x');
    b.add(1, 'smtp', 'y');
    const out = await AggregatorRegistry.aggregate([[a.toJson()], [b.toJson()]]).metrics();
    assert.equal(out, '# HELP t_total a counter\n# TYPE t_total counter\nt_total{protocol="imap",server="x"} 7\nt_total{protocol="smtp",server="y"} 1\n');
  });

  it('cuts label values longer than 128 characters', () => {
    assert.equal(labelValue('a'.repeat(200)), 'a'.repeat(128));
    assert.equal(labelValue('short'), 'short');
  });
});
