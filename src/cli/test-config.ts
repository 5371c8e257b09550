/**
 * `-t` / `-T` (nginx: main() with ngx_test_config): parse and validate, open every log file, create
 * the pid file if missing, try to bind every listener ("address in use" passes: a running instance
 * may hold it), then nginx's two success lines or `… test failed`; `-T` dumps every file to stdout.
 */
import type { LoadOptions } from '../config/load.js';
import type { MainConfig } from '../config/types.js';
import type { Logger } from '../log/types.js';
import { LogSystem } from '../log/logger.js';
import { planSockets } from '../primary/listen-groups.js';
import { testBind } from '../primary/listeners.js';
import { touchPidFile } from '../primary/pid-file.js';
import { errorText, loadAndReport } from './config-errors.js';
import { say, stdoutRaw } from './output.js';

export interface TestOptions {
  readonly dump: boolean;
  readonly quiet: boolean;
}

/** Everything after parsing that `-t` checks; returns the first failure's text or null. */
export function checkResources(config: MainConfig, log: Logger): boolean {
  const logs = new LogSystem({ format: config.logFormat, prefix: config.prefix });
  try {
    logs.logger(config.errorLogs);
    for (const server of config.mail?.servers ?? []) logs.logger(server.errorLogs);
    touchPidFile(config.pidFile);
  } catch (err) {
    log.emerg(errorText(err));
    return false;
  } finally {
    logs.close();
  }
  for (const plan of planSockets(config)) {
    const failure = testBind(plan.listen);
    if (failure !== null) {
      log.emerg(failure);
      return false;
    }
  }
  return true;
}

export async function testConfig(load: LoadOptions, log: Logger, o: TestOptions): Promise<number> {
  const result = await loadAndReport(load, log);
  if (result === null) {
    say(`configuration file ${load.confFile} test failed`);
    return 1;
  }
  if (!o.quiet) say(`the configuration file ${load.confFile} syntax is ok`);
  if (!checkResources(result.config, log)) {
    say(`configuration file ${load.confFile} test failed`);
    return 1;
  }
  if (!o.quiet) say(`configuration file ${load.confFile} test is successful`);
  if (o.dump) {
    for (const f of result.config.files) {
      stdoutRaw(`# configuration file ${f.path}:\n${f.text}\n`);
    }
  }
  return 0;
}
