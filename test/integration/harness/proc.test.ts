// The process, port and directory plumbing of the harness: bounded waits, process-group kills,
// distinct free ports, and the exit registry that cleans up after a test process that forgot to.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { ensureMailUser } from '../../helpers/mail-user.js';
import { freePorts } from '../../helpers/ports.js';
import { runCmd, spawnProc, waitFor } from '../../helpers/proc.js';
import { subDir } from '../../helpers/run-dir.js';

/** True once `pid` is gone or a zombie. */
function gone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/**
 * Runs `code` (an ES module body) in a fresh Node process with the same loader flags as this one
 * (tsx when the tests run from TypeScript), with PROC and RUNDIR bound to the helper module URLs.
 */
function runChild(
  code: string,
  env: NodeJS.ProcessEnv = {},
  signal?: NodeJS.Signals,
): { stdout: string; status: number | null; signal: string | null } {
  const proc = new URL('../../helpers/proc.js', import.meta.url).href;
  const runDir = new URL('../../helpers/run-dir.js', import.meta.url).href;
  const body = `const PROC = ${JSON.stringify(proc)}; const RUNDIR = ${JSON.stringify(runDir)};\n${code}`;
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--test'));
  const r = spawnSync(process.execPath, [...execArgv, '--input-type=module', '-e', body], {
    env: { ...process.env, ...env, POSTERN_CHILD_SIGNAL: signal ?? '' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(r.error, undefined);
  return { stdout: r.stdout, status: r.status, signal: r.signal };
}

const CHILD = `
const { spawnProc } = await import(PROC);
const { runDir, subDir } = await import(RUNDIR);
const p = spawnProc('sh', ['-c', 'sleep 60 & echo $!; wait']);
await p.waitForLine(/^\\d+$/);
subDir('x');
console.log(JSON.stringify({ dir: runDir(), leader: p.pid, bg: Number(p.stdout().trim()) }));
if (process.env.POSTERN_CHILD_SIGNAL) {
  setInterval(() => undefined, 1000);
  process.kill(process.pid, process.env.POSTERN_CHILD_SIGNAL);
}
`;

describe('harness plumbing', () => {
  it('hands out distinct free ports that can be bound', async () => {
    const ports = await freePorts(20);
    assert.equal(new Set(ports).size, 20);
    for (const port of ports.slice(0, 3)) {
      const s = createServer();
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, '127.0.0.1', () => {
          resolve();
        });
      });
      await new Promise((r) => s.close(r));
    }
  });

  it('kills the whole process group of a command that outlives its deadline', async () => {
    const r = await runCmd('sh', ['-c', 'sleep 30 & echo $!; sleep 30'], { timeoutMs: 300 });
    assert.equal(r.timedOut, true);
    assert.equal(r.signal, 'SIGKILL');
    const bg = Number(r.stdout.toString().trim());
    assert.ok(bg > 0);
    await waitFor(() => gone(bg), { timeoutMs: 5_000, what: 'the background sleep to die' });
  });

  it('waits for a line of output, and stops the process with SIGTERM', async () => {
    const p = spawnProc('sh', ['-c', 'echo starting; echo ready 42; exec sleep 30']);
    const m = await p.waitForLine(/^ready (\d+)$/);
    assert.equal(m[1], '42');
    const e = await p.stop();
    assert.equal(e.signal, 'SIGTERM');
  });

  it('fails a wait for a line when the process exits without printing it', async () => {
    const p = spawnProc('sh', ['-c', 'echo nope']);
    await assert.rejects(p.waitForLine(/^ready$/), /sh exited \(code 0\) before printing \/\^ready\$\//);
  });

  it('kills leftover processes and removes the run dir when a test process exits without cleaning up', async () => {
    const r = runChild(CHILD);
    assert.equal(r.status, 0);
    const { dir, leader, bg } = JSON.parse(r.stdout) as { dir: string; leader: number; bg: number };
    await waitFor(() => gone(leader) && gone(bg), { timeoutMs: 5_000, what: "the child's processes to die" });
    assert.equal(existsSync(dir), false);
  });

  it('cleans up the same way when the test process is killed by SIGTERM', async () => {
    const r = runChild(CHILD, {}, 'SIGTERM');
    assert.equal(r.signal, 'SIGTERM');
    const { dir, leader, bg } = JSON.parse(r.stdout) as { dir: string; leader: number; bg: number };
    await waitFor(() => gone(leader) && gone(bg), { timeoutMs: 5_000, what: "the child's processes to die" });
    assert.equal(existsSync(dir), false);
  });

  it('keeps the run dir when POSTERN_KEEP_TEST_DIRS=1', () => {
    const r = runChild(CHILD, { POSTERN_KEEP_TEST_DIRS: '1' });
    const { dir } = JSON.parse(r.stdout) as { dir: string };
    try {
      assert.equal(existsSync(`${dir}/x-1`), true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('makes sub-directories with fresh names that other users can traverse', () => {
    const a = subDir('same');
    const b = subDir('same');
    assert.notEqual(a, b);
    assert.equal(statSync(a).mode & 0o777, 0o755);
  });

  it('finds or creates the mail user idempotently', async () => {
    const u = await ensureMailUser();
    assert.equal(u.name, 'postern-mail');
    assert.ok(u.uid > 0 && u.gid > 0);
    assert.deepEqual(await ensureMailUser(), u);
    const id = spawnSync('id', ['-u', 'postern-mail'], { encoding: 'utf8' });
    assert.equal(Number(id.stdout.trim()), u.uid);
  });
});
