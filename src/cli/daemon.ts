/**
 * `daemon on` (nginx: ngx_daemon, but later): the foreground process has validated the configuration;
 * it starts the real primary detached (new session, no terminal) and waits on an IPC pipe for
 * `ready` (every listener open, pid file written) or for the primary's start-up errors, which it
 * prints, so start-up errors still reach the terminal. Exit 0 once ready, 1 otherwise.
 *
 * Owns: both ends of that hand-shake. Does not own the primary.
 */
import { spawn } from 'node:child_process';
import { stderrRaw } from './output.js';

/** Set in the detached primary's environment so it does not daemonize again. */
export const DAEMON_CHILD_ENV = 'POSTERN_DAEMON_CHILD';

type DaemonMessage = { readonly type: 'ready' } | { readonly type: 'echo'; readonly text: string };

function isDaemonMessage(v: unknown): v is DaemonMessage {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Record<string, unknown>;
  return m['type'] === 'ready' || (m['type'] === 'echo' && typeof m['text'] === 'string');
}

/** Foreground side: re-run this program detached with the same arguments. */
export function startDaemon(argv: readonly string[]): Promise<number> {
  const script = process.argv[1] ?? '';
  const child = spawn(process.execPath, [...process.execArgv, script, ...argv], {
    detached: true,
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    env: { ...process.env, [DAEMON_CHILD_ENV]: '1' },
  });
  return new Promise((resolve) => {
    let settled = false;
    const settle = (code: number): void => {
      if (settled) return;
      settled = true;
      if (child.connected) child.disconnect();
      child.unref();
      resolve(code);
    };
    child.on('message', (msg: unknown) => {
      if (!isDaemonMessage(msg)) return;
      if (msg.type === 'echo') stderrRaw(msg.text);
      else settle(0);
    });
    child.on('exit', () => {
      settle(1);
    });
    child.on('error', (err) => {
      stderrRaw(`postern: [emerg] cannot start the daemon: ${err.message}\n`);
      settle(1);
    });
  });
}

/** Detached side: true when this process is the daemon's primary. */
export function isDaemonChild(): boolean {
  return process.env[DAEMON_CHILD_ENV] === '1' && typeof process.send === 'function';
}

export function tellParent(msg: DaemonMessage): void {
  if (process.connected && process.send !== undefined) process.send(msg);
}

/** After `ready`: drop the pipe so the parent can exit and nothing here waits on it. */
export function detachFromParent(): void {
  if (process.connected) process.disconnect();
}
