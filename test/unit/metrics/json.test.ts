import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkMetricJson } from '../../../src/metrics/json.js';

describe('metric JSON from another process', () => {
  it('accepts prom-client JSON and copies it', () => {
    const input = [
      { name: 'a_total', help: 'h', type: 'counter', aggregator: 'sum', values: [{ value: 3, labels: { x: 'y' } }] },
      { name: 'b', help: 'h', type: 'histogram', values: [{ value: 1, labels: { le: '+Inf' }, metricName: 'b_bucket' }] },
    ];
    assert.deepEqual(checkMetricJson(input), [
      { name: 'a_total', help: 'h', type: 'counter', aggregator: 'sum', values: [{ value: 3, labels: { x: 'y' } }] },
      { name: 'b', help: 'h', type: 'histogram', aggregator: 'sum', values: [{ value: 1, labels: { le: '+Inf' }, metricName: 'b_bucket' }] },
    ]);
  });

  it('turns null values (NaN or Infinity before JSON) into 0', () => {
    const out = checkMetricJson([{ name: 'g', help: 'h', type: 'gauge', values: [{ value: null, labels: {} }] }]);
    assert.equal(out?.[0]?.values[0]?.value, 0);
  });

  it('refuses anything else', () => {
    for (const bad of [
      null,
      {},
      [1],
      [{ name: 'x', help: 'h', type: 'weird', values: [] }],
      [{ name: 'x', help: 'h', type: 'counter', values: {} }],
      [{ name: 'x', help: 'h', type: 'counter', values: [{ value: '1', labels: {} }] }],
      [{ name: 'x', help: 'h', type: 'counter', values: [{ value: 1, labels: { a: {} } }] }],
      [{ name: 1, help: 'h', type: 'counter', values: [] }],
    ]) {
      assert.equal(checkMetricJson(bad), null, JSON.stringify(bad));
    }
  });
});
