/**
 * docs/directives.md and docs/config-differences.md stay in step with the directive table and the
 * expected-differences table.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DIRECTIVES } from '../../../src/config/directives.js';
import { EXPECTED_DIFFERENCES } from '../../conformance/config/differences.js';
import { repoRoot } from '../../conformance/config/runner.js';

const docs = (name: string): string => readFileSync(join(repoRoot(), 'docs', name), 'utf8');

describe('configuration docs', () => {
  it('directives.md has one row per directive in the table, with its contexts and default', () => {
    const rows = new Map<string, string[]>();
    for (const line of docs('directives.md').split('\n')) {
      // a column is text without an unescaped |
      const m =
        /^\| `([a-z0-9_]+)` \| ((?:[^|\\]|\\.)*) \|(?:[^|\\]|\\.)*\|(?:[^|\\]|\\.)*\| ((?:[^|\\]|\\.)*) \|/.exec(
          line,
        );
      if (m?.[1] !== undefined) rows.set(`${m[1]}@${(m[2] ?? '').trim()}`, [(m[3] ?? '').trim()]);
    }
    const expected = DIRECTIVES.map((d) => `${d.name}@${d.contexts.join(', ')}`);
    assert.deepEqual([...rows.keys()].sort(), [...expected].sort());
    for (const d of DIRECTIVES) {
      const def = rows.get(`${d.name}@${d.contexts.join(', ')}`)?.[0];
      assert.equal(def, d.default === null ? '—' : `\`${d.default}\``, d.name);
    }
  });

  it('directives.md describes every postern directive', () => {
    const text = docs('directives.md');
    const section = text.slice(text.indexOf("## postern's own directives"), text.indexOf('## Decisions'));
    for (const d of DIRECTIVES.filter((x) => x.origin === 'postern')) {
      assert.ok(section.includes(`\`${d.name} `), d.name);
    }
  });

  it('config-differences.md explains every expected difference of the corpus', () => {
    const text = docs('config-differences.md');
    for (const name of Object.keys(EXPECTED_DIFFERENCES)) assert.ok(text.includes(`\`${name}\``), name);
  });
});
