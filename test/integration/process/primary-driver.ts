/**
 * Test fixture: runs the real Primary (forked workers, signals, pid file) on a MainConfig read from a
 * JSON file, so process behaviour can be tested without the config loader. A reload (HUP) re-reads
 * the JSON file; a file holding `{"error": "<text>"}` makes the reload fail with that ConfigError.
 *
 * Usage: node --import tsx primary-driver.ts <config.json>
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { MainConfig } from '../../../src/config/types.js';
import type { LoadResult } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/errors.js';
import { LogSystem } from '../../../src/log/logger.js';
import { Primary } from '../../../src/primary/primary.js';

const file = process.argv[2] ?? '';

function read(): MainConfig {
  const data = JSON.parse(readFileSync(file, 'utf8')) as MainConfig | { error: string };
  if ('error' in data) throw new ConfigError(data.error, { file, line: 1 });
  return data;
}

const config = read();
const logs = new LogSystem({ format: config.logFormat, prefix: config.prefix, bindings: { role: 'primary' } });
logs.echoing = true;
logs.logger(config.errorLogs);
const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const primary = new Primary({
  config,
  logs,
  reload: (): Promise<LoadResult> => Promise.resolve().then(() => ({ config: read(), warnings: [] })),
  workerModule: fileURLToPath(new URL(`../../../src/worker/worker${ext}`, import.meta.url)),
  workerStdio: 'inherit',
});
const code = await primary.run();
logs.close();
process.exit(code);
