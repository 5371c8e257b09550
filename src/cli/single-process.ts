/**
 * `master_process off` (nginx: ngx_single_process_cycle): one process opens the listeners and runs
 * the worker code itself. QUIT drains, TERM/INT stop, USR1 reopens logs. A reload (HUP) needs a
 * second generation of workers, which this mode has not: it is logged and ignored.
 *
 * Owns: wiring the primary's socket code to a WorkerRuntime in one process. Lives in cli/ because it
 * is the one place that may use both primary/ and worker/.
 */
import type { MainConfig } from '../config/types.js';
import type { LogSystem } from '../log/logger.js';
import { planSockets } from '../primary/listen-groups.js';
import { bindWithRetries, removeSocketFile, type ServerHandle } from '../primary/listeners.js';
import { removePidFile, writePidFile } from '../primary/pid-file.js';
import { CidBlocks } from '../primary/cid-blocks.js';
import { signalNotice, type HandledSignal } from '../primary/signals.js';
import { WorkerRuntime } from '../worker/runtime.js';
import { createConnectionHandler } from '../worker/handler-factory.js';
import type { ListenerSpec } from '../worker/ipc.js';
import { errorText } from './config-errors.js';

export async function runSingleProcess(config: MainConfig, logs: LogSystem, onReady: () => void): Promise<number> {
  const log = logs.logger(config.errorLogs);
  const plans = planSockets(config);
  const opened: { spec: ListenerSpec; handle: ServerHandle }[] = [];
  try {
    for (const plan of plans) {
      const handle = await bindWithRetries(plan.listen, log);
      opened.push({
        spec: { id: opened.length + 1, addrText: plan.listen.addrText, backlog: plan.listen.backlog, targets: plan.targets },
        handle,
      });
    }
  } catch (err) {
    if (errorText(err) === 'still could not bind()') log.emerg('still could not bind()');
    for (const o of opened) o.handle.close();
    return 1;
  }
  const handler = await createConnectionHandler(config);
  const cids = new CidBlocks();
  return new Promise<number>((resolve) => {
    let pidWritten = false;
    const handlers = new Map<HandledSignal, () => void>();
    const runtime: WorkerRuntime = new WorkerRuntime({
      config,
      listeners: opened.map((o) => o.spec),
      handler,
      logs,
      pauseWhenFull: false,
      cidLowWater: 512,
      hooks: {
        ready: () => {
          try {
            writePidFile(config.pidFile);
            pidWritten = true;
          } catch (err) {
            log.emerg(errorText(err));
            runtime.stop();
            return;
          }
          logs.echoing = false;
          onReady();
        },
        needCids: () => {
          const b = cids.take();
          runtime.addCids(b.start, b.count);
        },
        relisten: () => undefined,
        closed: () => undefined,
        exit: (code) => {
          for (const [sig, h] of handlers) process.off(sig, h);
          for (const p of plans) removeSocketFile(p.listen);
          if (pidWritten) removePidFile(config.pidFile);
          resolve(code);
        },
      },
    });
    const first = cids.take();
    runtime.addCids(first.start, first.count);
    const on = (sig: HandledSignal, action: () => void): void => {
      const h = (): void => {
        log.notice(signalNotice(sig));
        action();
      };
      handlers.set(sig, h);
      process.on(sig, h);
    };
    on('SIGQUIT', () => {
      runtime.drain();
    });
    on('SIGTERM', () => {
      runtime.stop();
    });
    on('SIGINT', () => {
      runtime.stop();
    });
    on('SIGUSR1', () => {
      runtime.reopenLogs();
    });
    on('SIGHUP', () => {
      log.notice('reload is not supported with "master_process off"');
    });
    on('SIGUSR2', () => undefined);
    on('SIGWINCH', () => undefined);
    if (opened.length === 0) runtime.readyWithoutHandles();
    for (const o of opened) runtime.listen(o.spec.id, o.handle);
  });
}
