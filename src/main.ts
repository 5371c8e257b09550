/**
 * postern's command line: argv → version/help, `-s`, `-t`/`-T`, or start. No other logic.
 */
import { argv, exit } from 'node:process';
import { parseArgs } from './cli/args.js';
import { resolvePaths } from './cli/paths.js';
import { configureLines, usageText, versionLine } from './cli/version.js';
import { say, stderrRaw } from './cli/output.js';
import { openStartupLog } from './log/startup.js';
import { sendSignal } from './cli/signal.js';
import { testConfig } from './cli/test-config.js';
import { runProxy } from './cli/run.js';

async function main(args: readonly string[]): Promise<number> {
  const parsed = parseArgs(args);
  if (!parsed.ok) {
    say(parsed.message);
    return 1;
  }
  const o = parsed.options;
  const paths = resolvePaths(o.prefix, o.confFile, o.errorLog);
  if (o.showVersion) {
    stderrRaw(versionLine());
    if (o.showConfigure) stderrRaw(configureLines());
    if (o.showHelp) stderrRaw(usageText(paths.prefix));
    if (!o.testConfig) return 0;
  }
  const startup = openStartupLog(paths.errorLog, paths.prefix);
  const load = { confFile: paths.confFile, prefix: paths.prefix, globalDirectives: o.globalDirectives };
  try {
    if (o.signal !== null) return await sendSignal(load, startup.logger, o.signal);
    if (o.testConfig) return await testConfig(load, startup.logger, { dump: o.dumpConfig, quiet: o.quiet });
    return await runProxy(load, startup, args);
  } finally {
    startup.system.close();
  }
}

main(argv.slice(2)).then(
  (code) => exit(code),
  (err: unknown) => {
    say(`[emerg] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    exit(1);
  },
);
