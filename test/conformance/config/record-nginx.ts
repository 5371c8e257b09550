/**
 * Re-records nginx 1.22.1's outcome for every corpus case into expected-nginx.json.
 * Run by hand after adding cases: `node --import tsx test/conformance/config/record-nginx.ts`.
 * (Not a test file: it writes into the source tree.)
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS_DIR, prepareCase, repoRoot, runNginx, type Outcome } from './runner.js';

const out: Record<string, Outcome> = {};
const names = readdirSync(CORPUS_DIR)
  .filter((f) => f.endsWith('.conf'))
  .map((f) => f.slice(0, -'.conf'.length))
  .sort();
for (const name of names) {
  const c = prepareCase(name);
  try {
    out[name] = runNginx(c);
  } finally {
    c.cleanup();
  }
}
writeFileSync(
  join(repoRoot(), 'test', 'conformance', 'config', 'expected-nginx.json'),
  `${JSON.stringify(out, null, 2)}\n`,
);
process.stdout.write(`recorded ${String(names.length)} cases\n`);
