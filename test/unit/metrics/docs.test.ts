/**
 * docs/metrics.md stays in step with the metric catalogue: one table row per metric, with its type and
 * labels, and no row for a metric that does not exist.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../helpers/run-dir.js';
import { METRICS, MAX_BACKEND_LABELS, MAX_LABEL_VALUE_LENGTH } from '../../../src/metrics/catalogue.js';

const text = readFileSync(join(repoRoot(), 'docs', 'metrics.md'), 'utf8');

describe('docs/metrics.md', () => {
  it('has one row per metric with its type and labels', () => {
    const rows = new Map<string, string>();
    for (const line of text.split('\n')) {
      const m = /^\| `(postern_[a-z_]+)` \| ([a-z]+) \| ([^|]+) \|/.exec(line);
      if (m !== null) rows.set(m[1] ?? '', `${m[2] ?? ''} | ${(m[3] ?? '').trim()}`);
    }
    const expected = new Map(
      Object.values(METRICS).map((d) => [d.name, `${d.kind} | ${d.labels.length === 0 ? '—' : d.labels.join(', ')}`]),
    );
    assert.deepEqual([...rows].sort(), [...expected].sort());
  });

  it('states the label bounds the code applies', () => {
    assert.ok(text.includes(`at most ${MAX_BACKEND_LABELS} distinct backends`));
    assert.ok(text.includes(`longer than ${MAX_LABEL_VALUE_LENGTH} characters are cut`));
  });
});
