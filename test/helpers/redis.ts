/**
 * A private redis-server per test (for the fleet features: shared login throttles, auth cache).
 *
 * Owns: starting redis-server on a free 127.0.0.1 port with no persistence (no RDB, no AOF, its dir
 * inside the run dir), waiting until it accepts, and stopping it.
 * Does not own: a Redis client (tests use ioredis or line-client.ts).
 */
import { AddrInUseError, freePort, retryOnAddrInUse } from './ports.js';
import { spawnProc, type Proc } from './proc.js';
import { removeDir, subDir } from './run-dir.js';

export interface Redis {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly proc: Proc;
  /** redis-server's own log (stdout) so far. */
  log(): string;
  stop(): Promise<void>;
}

async function startOnce(extraArgs: readonly string[]): Promise<Redis> {
  const dir = subDir('redis');
  const port = await freePort();
  const proc = spawnProc(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--dir',
      dir,
      ...extraArgs,
    ],
    { label: 'redis-server', cwd: dir },
  );
  try {
    await proc.waitForLine(/Ready to accept connections/, { timeoutMs: 15_000 });
  } catch (err) {
    await proc.stop({ signal: 'SIGKILL' });
    removeDir(dir);
    if (/Address already in use/.test(proc.output()))
      throw new AddrInUseError(`redis-server: port ${port} was taken`);
    throw err;
  }
  let stopped = false;
  return {
    host: '127.0.0.1',
    port,
    proc,
    log: () => proc.stdout(),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await proc.stop({ signal: 'SIGTERM', timeoutMs: 5_000 });
      removeDir(dir);
    },
  };
}

/** Starts redis-server (extra `--name value` arguments allowed). Call `stop()` in `after()`. */
export function startRedis(opts: { extraArgs?: readonly string[] } = {}): Promise<Redis> {
  return retryOnAddrInUse(() => startOnce(opts.extraArgs ?? []));
}
