/**
 * Starting the proxy (no -t/-s): load the configuration, open its logs, then run the primary (with
 * workers), the single process (`master_process off`), or hand over to a detached daemon.
 *
 * Owns: choosing the mode and the exit code. Does not own any of the modes.
 */
import { fileURLToPath } from 'node:url';
import type { LoadOptions } from '../config/load.js';
import type { StartupLog } from '../log/startup.js';
import { LogSystem } from '../log/logger.js';
import { Primary } from '../primary/primary.js';
import { errorText, loadAndReport, loadChecked } from './config-errors.js';
import { detachFromParent, isDaemonChild, startDaemon, tellParent } from './daemon.js';
import { runSingleProcess } from './single-process.js';

/** The worker entry next to this file's tree: `.ts` when running under tsx, `.js` when compiled. */
function workerModulePath(): string {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return fileURLToPath(new URL(`../worker/worker${ext}`, import.meta.url));
}

export async function runProxy(load: LoadOptions, startup: StartupLog, argv: readonly string[]): Promise<number> {
  const result = await loadAndReport(load, startup.logger);
  if (result === null) return 1;
  const { config } = result;
  const daemonChild = isDaemonChild();
  if (config.daemon && !daemonChild) {
    // validated here so errors print at once; the detached primary loads the same files again
    startup.system.close();
    return startDaemon(argv);
  }
  const logs = new LogSystem({ format: config.logFormat, prefix: config.prefix, bindings: { role: 'primary' } });
  logs.echoing = true;
  if (daemonChild) {
    logs.echoSink = (text) => {
      tellParent({ type: 'echo', text });
    };
  }
  try {
    logs.logger(config.errorLogs);
  } catch (err) {
    startup.logger.emerg(errorText(err));
    return 1;
  }
  startup.system.close();
  const onReady = (): void => {
    logs.echoSink = null;
    if (daemonChild) {
      tellParent({ type: 'ready' });
      detachFromParent();
    }
  };
  let code: number;
  if (!config.masterProcess) {
    code = await runSingleProcess(config, logs, onReady);
  } else {
    const primary = new Primary({
      config,
      logs,
      reload: () => loadChecked(load),
      workerModule: workerModulePath(),
      workerStdio: daemonChild ? 'ignore' : 'inherit',
      onReady,
    });
    code = await primary.run();
  }
  logs.close();
  return code;
}

