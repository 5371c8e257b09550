/**
 * The configuration corpus against nginx 1.22.1 and postern: every case must give nginx the verdict
 * recorded in expected-nginx.json (so a change in nginx is noticed) and postern the same verdict, error
 * text and line, and warnings — except the cases in differences.ts, which must differ exactly as listed.
 *
 * Re-record nginx's outcomes with `node --import tsx test/conformance/config/record-nginx.ts`.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EXPECTED_DIFFERENCES } from './differences.js';
import { CORPUS_DIR, prepareCase, repoRoot, runNginx, runPostern, type Outcome } from './runner.js';

const EXPECTED_FILE = join(repoRoot(), 'test', 'conformance', 'config', 'expected-nginx.json');
const recorded = JSON.parse(readFileSync(EXPECTED_FILE, 'utf8')) as Record<string, Outcome>;
const names = readdirSync(CORPUS_DIR)
  .filter((f) => f.endsWith('.conf'))
  .map((f) => f.slice(0, -'.conf'.length))
  .sort();

describe('configuration corpus: postern -t agrees with nginx -t', () => {
  it('has at least 100 cases, each with a recorded nginx outcome', () => {
    assert.ok(names.length >= 100, `only ${String(names.length)} cases`);
    assert.deepEqual(
      names.filter((n) => !(n in recorded)),
      [],
    );
    assert.deepEqual(
      Object.keys(recorded).filter((n) => !names.includes(n)),
      [],
    );
  });

  it('lists only existing cases as expected differences', () => {
    assert.deepEqual(
      Object.keys(EXPECTED_DIFFERENCES).filter((n) => !names.includes(n)),
      [],
    );
  });

  it('covers both valid and invalid configurations', () => {
    const valid = names.filter((n) => recorded[n]?.ok === true).length;
    assert.ok(valid >= 30 && names.length - valid >= 30, `${String(valid)} valid of ${String(names.length)}`);
  });

  for (const name of names) {
    it(`${name}: same verdict, message and line`, async () => {
      const c = prepareCase(name);
      try {
        const nginx = runNginx(c);
        assert.deepEqual(nginx, recorded[name], 'nginx -t no longer gives the recorded outcome');
        const postern = await runPostern(c);
        const difference = EXPECTED_DIFFERENCES[name];
        if (difference === undefined) {
          assert.deepEqual(postern, nginx);
        } else {
          assert.notDeepEqual(difference.postern, nginx, 'listed as a difference but nginx agrees');
          assert.deepEqual(postern, difference.postern, difference.why);
        }
      } finally {
        c.cleanup();
      }
    });
  }
});
