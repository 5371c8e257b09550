/**
 * What the results were measured on: git sha (and whether the tree had changes), Node and nginx
 * versions, CPU model and count, memory, kernel, load average. Read-only: git is asked with
 * --no-optional-locks so not even the index's stat cache is rewritten.
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { REPO_ROOT } from '../paths.js';
import { findNginx } from '../proxies/nginx-binary.js';

export interface HostInfo {
  readonly date: string;
  readonly gitSha: string | null;
  readonly gitDirty: boolean | null;
  readonly node: string;
  readonly nginx: string | null;
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly loadAvgStart: readonly number[];
}

function run(cmd: string, args: readonly string[]): string | null {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (err) {
    const e = err as { stderr?: string };
    return e.stderr?.trim() ?? null;
  }
}

export function hostInfo(): HostInfo {
  const sha = run('git', ['--no-optional-locks', '-C', REPO_ROOT, 'rev-parse', 'HEAD']);
  const status = run('git', [
    '--no-optional-locks',
    '-C',
    REPO_ROOT,
    'status',
    '--porcelain',
    '--untracked-files=no',
  ]);
  const nginxBin = findNginx();
  let nginx: string | null = null;
  if (nginxBin !== null) {
    // `nginx -v` prints its version to stderr.
    const r = run('sh', ['-c', `"$0" -v 2>&1`, nginxBin]);
    nginx = r === null ? null : r.replace(/^nginx version:\s*/, '');
  }
  return {
    date: new Date().toISOString(),
    gitSha: sha !== null && /^[0-9a-f]{40}$/.test(sha) ? sha : null,
    gitDirty: status === null ? null : status !== '',
    node: process.version,
    nginx,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    kernel: release(),
    loadAvgStart: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}
