/**
 * `-s stop|quit|reopen|reload` (nginx: ngx_signal_process): parse the configuration to find `pid`,
 * read the pid file, send TERM / QUIT / USR1 / HUP. Failures are logged as nginx logs them; exit 1.
 */
import type { LoadOptions } from '../config/load.js';
import type { Logger } from '../log/types.js';
import { readPidFile } from '../primary/pid-file.js';
import { errnoSuffix } from '../errno.js';
import { signalNumber } from '../primary/signals.js';
import type { SignalName } from './args.js';
import { errorText, loadAndReport } from './config-errors.js';

const SIGNAL_OF: Readonly<Record<SignalName, NodeJS.Signals>> = {
  stop: 'SIGTERM',
  quit: 'SIGQUIT',
  reopen: 'SIGUSR1',
  reload: 'SIGHUP',
};

export async function sendSignal(load: LoadOptions, log: Logger, name: SignalName): Promise<number> {
  const result = await loadAndReport(load, log);
  if (result === null) return 1;
  log.notice('signal process started');
  let pid: number;
  try {
    pid = readPidFile(result.config.pidFile);
  } catch (err) {
    log.error(errorText(err));
    return 1;
  }
  const sig = SIGNAL_OF[name];
  try {
    process.kill(pid, sig);
  } catch (err) {
    log.alert(`kill(${pid}, ${signalNumber(sig)}) failed${errnoSuffix(err)}`);
    return 1;
  }
  return 0;
}
