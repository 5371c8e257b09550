/**
 * Running postern as a real process in tests: the command (`node --import tsx src/main.ts` from
 * TypeScript, `node build/src/main.js` when the tests run compiled from build/test), start/stop helpers
 * that wait for the pid file and capture stderr, and cleanup that always kills the process group.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const fromTs = import.meta.url.endsWith('.ts');
/** the repository root from TypeScript, build/ when compiled */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** the repository root in both cases (cwd for tsx's resolution) */
export const REPO_ROOT = fromTs ? ROOT : fileURLToPath(new URL('../../../', import.meta.url));

/** argv (after `node`) that runs a module of this tree, given its path from the root without extension. */
export function moduleArgs(pathNoExt: string): string[] {
  // tsx by its resolved URL, so the child may run in any working directory
  return fromTs
    ? ['--import', import.meta.resolve('tsx'), `${ROOT}${pathNoExt}.ts`]
    : ['--enable-source-maps', `${ROOT}${pathNoExt}.js`];
}

/** The command that starts postern: `[process.execPath, ...args]`. */
export function posternCommand(): { command: string; args: string[] } {
  return { command: process.execPath, args: moduleArgs('src/main') };
}

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs postern to completion (`-t`, `-s`, `-v` …), bounded by `timeoutMs`. */
export function runPostern(args: readonly string[], timeoutMs = 20_000, cwd: string = REPO_ROOT): Promise<RunResult> {
  return runModule('src/main', args, timeoutMs, cwd);
}

/** `cwd` matters for what nginx resolves against the working directory (e.g. `listen unix:` paths). */
export function runModule(
  pathNoExt: string,
  args: readonly string[],
  timeoutMs = 20_000,
  cwd: string = REPO_ROOT,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...moduleArgs(pathNoExt), ...args], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      killGroup(child, 'SIGKILL');
      reject(new Error(`postern ${args.join(' ')} did not exit within ${timeoutMs}ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export interface RunningPostern {
  readonly child: ChildProcess;
  /** the primary's pid, as written in the pid file */
  readonly pid: number;
  stderr(): string;
  /** resolves when the started process exits */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** sends `signal` to the primary */
  signal(signal: NodeJS.Signals): void;
  /** kills the whole process group (primary and workers) with SIGKILL; safe to call twice */
  kill(): Promise<void>;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** Reads a pid file's number, or null when it is missing or not yet written. */
export function readPid(pidFile: string): number | null {
  try {
    const n = Number(readFileSync(pidFile, 'latin1').trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

/**
 * Starts a long-running process (postern, or a test driver module) in its own process group and
 * waits until `pidFile` holds a pid. Rejects, after killing the group, when it exits first or
 * `timeoutMs` passes.
 */
export async function startModule(
  pathNoExt: string,
  args: readonly string[],
  pidFile: string,
  timeoutMs = 20_000,
): Promise<RunningPostern> {
  const child = spawn(process.execPath, [...moduleArgs(pathNoExt), ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      resolve({ code, signal });
    });
  });
  const state = { gone: false };
  void exited.then(() => {
    state.gone = true;
  });
  const deadline = Date.now() + timeoutMs;
  let pid: number | null = null;
  while (pid === null) {
    if (state.gone || Date.now() > deadline) {
      killGroup(child, 'SIGKILL');
      throw new Error(`no pid in ${pidFile} (exited: ${state.gone}); stderr: ${stderr}`);
    }
    await sleep(50);
    pid = readPid(pidFile);
  }
  const primaryPid = pid;
  return {
    child,
    pid: primaryPid,
    stderr: () => stderr,
    exited,
    signal: (signal) => {
      process.kill(primaryPid, signal);
    },
    kill: async () => {
      killGroup(child, 'SIGKILL');
      // workers forked by the primary are in the same group; give the kernel a moment to reap
      await Promise.race([exited, sleep(2000)]);
    },
  };
}

export function startPostern(args: readonly string[], pidFile: string, timeoutMs?: number): Promise<RunningPostern> {
  return startModule('src/main', args, pidFile, timeoutMs);
}

/** Polls `check` every 50 ms until it returns a value other than undefined; bounded by `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
