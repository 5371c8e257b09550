/**
 * Child processes for tests: spawn with captured output, bounded waits, and cleanup that cannot be
 * forgotten.
 *
 * Owns: `spawnProc` (a long-running process in its own process group, output captured), `runCmd` (a
 * short command with a deadline), `waitFor` / `waitForPort` (polls with deadlines), and the exit
 * registry: cleanups that run when the test process exits or is killed by SIGINT/SIGTERM/SIGHUP, so a
 * failed or forgotten `stop()` never leaves a daemon or a temp dir behind.
 * Does not own: what the processes are (dovecot.ts, postfix.ts, nginx.ts, redis.ts) or temp dirs
 * (run-dir.ts registers its removal here, in the `files` phase that runs after the processes phase).
 *
 * Spawned children are unref'ed: a test file whose `after()` forgot a `stop()` still exits, and the
 * exit registry then kills what is left.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** How a process ended. `error` is set when it could not be spawned at all (e.g. ENOENT). */
export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly error?: Error;
}

// ---------------------------------------------------------------------------------------------------
// Exit registry

type CleanupPhase = 'processes' | 'files';
const cleanups = new Map<number, { phase: CleanupPhase; fn: () => void }>();
let nextCleanupId = 1;
let installed = false;

function runCleanups(): void {
  for (const phase of ['processes', 'files'] as const) {
    for (const [id, c] of cleanups) {
      if (c.phase !== phase) continue;
      cleanups.delete(id);
      try {
        c.fn();
      } catch {
        // Best effort at exit: one failing cleanup must not stop the others.
      }
    }
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.once('exit', runCleanups);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      runCleanups();
      // Re-raise with the default action unless someone else (the test runner) handles the signal.
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    });
  }
}

/**
 * Registers a synchronous cleanup to run when the process exits (normally or by SIGINT/SIGTERM/SIGHUP).
 * `processes` cleanups run before `files` cleanups. Returns a function that unregisters it (call it
 * once the normal `stop()` has done the job).
 */
export function registerExitCleanup(fn: () => void, phase: CleanupPhase = 'processes'): () => void {
  install();
  const id = nextCleanupId++;
  cleanups.set(id, { phase, fn });
  return () => {
    cleanups.delete(id);
  };
}

/** Sends `signal` to every process in the group led by `pgid`; a group that is gone is not an error. */
export function killGroup(pgid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: nothing left in the group.
  }
}

/** Sends `signal` to one pid; a process that is gone is not an error. */
export function killPid(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(pid, signal);
  } catch {
    // ESRCH
  }
}

/** True while a process with this pid exists (signal 0 probe). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// ---------------------------------------------------------------------------------------------------
// Polling

export interface WaitOptions {
  /** Deadline for the whole wait. */
  readonly timeoutMs?: number;
  /** Pause between checks. */
  readonly intervalMs?: number;
  /** Named in the timeout error. */
  readonly what?: string;
}

/** Polls `check` until it returns a value other than `undefined`/`false`; throws at the deadline. */
export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  { timeoutMs = 10_000, intervalMs = 25, what = 'condition' }: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

function tryConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    // A connect that neither succeeds nor fails (full backlog) counts as "not yet".
    s.setTimeout(1_000, () => {
      s.destroy();
      resolve(false);
    });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => {
      s.destroy();
      resolve(false);
    });
  });
}

/**
 * Waits until a TCP connect to host:port succeeds. When `proc` is given, fails early (with its output)
 * if the process exits first.
 */
export async function waitForPort(
  port: number,
  { host = '127.0.0.1', timeoutMs = 10_000, proc }: { host?: string; timeoutMs?: number; proc?: Proc } = {},
): Promise<void> {
  await waitFor(
    async () => {
      if (proc?.exitInfo) {
        throw new Error(
          `${proc.label} exited (${describeExit(proc.exitInfo)}) before ${host}:${port} opened\n${proc.output()}`,
        );
      }
      return tryConnect(host, port);
    },
    { timeoutMs, intervalMs: 20, what: `${host}:${port} to accept connections` },
  );
}

/** Waits for `promise` at most `ms`; resolves `undefined` at the deadline (the timer is cleared either way). */
export async function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<undefined>((resolve) => {
    timer = setTimeout(resolve, ms, undefined);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export function describeExit(e: ExitInfo): string {
  if (e.error) return `spawn failed: ${e.error.message}`;
  return e.signal ? `signal ${e.signal}` : `code ${e.code}`;
}

// ---------------------------------------------------------------------------------------------------
// Long-running processes

export interface SpawnOptions {
  readonly cwd?: string;
  /** Full environment (defaults to the test process's). */
  readonly env?: NodeJS.ProcessEnv;
  /** Written to stdin, which is then closed. Without it stdin is /dev/null unless `stdinPipe`. */
  readonly input?: string | Buffer;
  /** Keep a stdin pipe open (write with `proc.child.stdin`). */
  readonly stdinPipe?: boolean;
  /** Name used in error messages (default: the command). */
  readonly label?: string;
}

/** Captured output is kept up to this size per stream (the tail is dropped past it). */
const MAX_CAPTURE_BYTES = 32 * 1024 * 1024;

/** A process spawned in its own process group, with stdout/stderr captured. */
export class Proc {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly label: string;
  /** Set once the process has exited. */
  exitInfo: ExitInfo | null = null;
  /** Resolves when the process exits (never rejects). */
  readonly exited: Promise<ExitInfo>;
  /** Resolves when the process has exited and its stdout/stderr pipes are closed. */
  readonly closed: Promise<void>;

  readonly #out: Buffer[] = [];
  readonly #err: Buffer[] = [];
  #outBytes = 0;
  #errBytes = 0;
  readonly #listeners = new Set<() => void>();
  readonly #unregister: () => void;

  constructor(command: string, args: readonly string[], opts: SpawnOptions = {}) {
    this.label = opts.label ?? command;
    const stdin = opts.input !== undefined || opts.stdinPipe === true ? 'pipe' : 'ignore';
    this.child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: [stdin, 'pipe', 'pipe'],
      // A new process group, so stop() reaches every descendant that does not setsid() itself.
      detached: true,
    });
    let resolveExit!: (e: ExitInfo) => void;
    this.exited = new Promise((r) => (resolveExit = r));
    let resolveClosed!: () => void;
    this.closed = new Promise((r) => (resolveClosed = r));
    const finish = (e: ExitInfo): void => {
      if (this.exitInfo) return;
      this.exitInfo = e;
      resolveExit(e);
      this.#notify();
    };
    this.child.once('error', (error) => {
      finish({ code: null, signal: null, error });
      resolveClosed();
    });
    this.child.once('exit', (code, signal) => {
      finish({ code, signal });
    });
    this.child.once('close', () => {
      resolveClosed();
    });
    this.child.stdout?.on('data', (b: Buffer) => {
      if (this.#outBytes < MAX_CAPTURE_BYTES) this.#out.push(b);
      this.#outBytes += b.length;
      this.#notify();
    });
    this.child.stderr?.on('data', (b: Buffer) => {
      if (this.#errBytes < MAX_CAPTURE_BYTES) this.#err.push(b);
      this.#errBytes += b.length;
      this.#notify();
    });
    if (this.child.stdin) {
      this.child.stdin.on('error', () => undefined); // EPIPE when the process exits before reading
      if (opts.input !== undefined) this.child.stdin.end(opts.input);
    }
    // Never let a forgotten child keep the test process alive; the exit registry kills it.
    this.child.unref();
    for (const s of [this.child.stdout, this.child.stderr]) (s as { unref?: () => void } | null)?.unref?.();
    this.pid = this.child.pid ?? -1;
    const pid = this.pid;
    this.#unregister =
      pid > 0
        ? registerExitCleanup(() => {
            killGroup(pid, 'SIGKILL');
          })
        : () => undefined;
  }

  #notify(): void {
    for (const l of [...this.#listeners]) l();
  }

  /** Everything written to stdout so far (utf8). */
  stdout(): string {
    return Buffer.concat(this.#out).toString('utf8');
  }

  /** Everything written to stderr so far (utf8). */
  stderr(): string {
    return Buffer.concat(this.#err).toString('utf8');
  }

  /** Raw stdout bytes so far. */
  stdoutBytes(): Buffer {
    return Buffer.concat(this.#out);
  }

  /** Raw stderr bytes so far. */
  stderrBytes(): Buffer {
    return Buffer.concat(this.#err);
  }

  /** stdout then stderr, for error messages. */
  output(): string {
    const out = this.stdout();
    const err = this.stderr();
    return `--- ${this.label} stdout ---\n${out}\n--- ${this.label} stderr ---\n${err}`;
  }

  /**
   * Waits until a line of the chosen stream(s) matches `re` (tested per line, without the newline);
   * returns the match. Rejects at the deadline or when the process exits without a match.
   */
  waitForLine(
    re: RegExp,
    {
      timeoutMs = 10_000,
      stream = 'both',
    }: { timeoutMs?: number; stream?: 'stdout' | 'stderr' | 'both' } = {},
  ): Promise<RegExpExecArray> {
    const text = (): string =>
      stream === 'stdout'
        ? this.stdout()
        : stream === 'stderr'
          ? this.stderr()
          : `${this.stdout()}\n${this.stderr()}`;
    const find = (): RegExpExecArray | null => {
      for (const line of text().split('\n')) {
        const m = re.exec(line.replace(/\r$/, ''));
        if (m) return m;
      }
      return null;
    };
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const m = find();
        if (m) {
          done();
          resolve(m);
        } else if (this.exitInfo) {
          done();
          reject(
            new Error(
              `${this.label} exited (${describeExit(this.exitInfo)}) before printing ${re}\n${this.output()}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(
            `timed out after ${timeoutMs} ms waiting for ${this.label} to print ${re}\n${this.output()}`,
          ),
        );
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.#listeners.delete(check);
      };
      this.#listeners.add(check);
      check();
    });
  }

  /** Waits for the process to exit; rejects at the deadline (the process is left running). */
  async waitForExit(timeoutMs = 10_000): Promise<ExitInfo> {
    const r = await withDeadline(this.exited, timeoutMs);
    if (r === undefined)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${this.label} to exit\n${this.output()}`);
    return r;
  }

  /** Signals the process itself (not its group). */
  signal(sig: NodeJS.Signals): void {
    if (this.pid > 0 && !this.exitInfo) killPid(this.pid, sig);
  }

  /** Signals the whole process group. */
  signalGroup(sig: NodeJS.Signals): void {
    if (this.pid > 0) killGroup(this.pid, sig);
  }

  /**
   * Stops the process: `signal` to the group, up to `timeoutMs` for it to exit, then SIGKILL to the
   * group. Always kills stragglers left in the group. Idempotent.
   */
  async stop({
    signal = 'SIGTERM',
    timeoutMs = 5_000,
  }: { signal?: NodeJS.Signals; timeoutMs?: number } = {}): Promise<ExitInfo> {
    if (!this.exitInfo) {
      this.signalGroup(signal);
      try {
        await this.waitForExit(timeoutMs);
      } catch {
        this.signalGroup('SIGKILL');
        await this.waitForExit(5_000);
      }
    }
    this.signalGroup('SIGKILL');
    this.#unregister();
    return this.exitInfo ?? { code: null, signal: null };
  }
}

/** Spawns `command` in its own process group with captured output (see `Proc`). */
export function spawnProc(command: string, args: readonly string[], opts: SpawnOptions = {}): Proc {
  return new Proc(command, args, opts);
}

// ---------------------------------------------------------------------------------------------------
// Short commands

export interface RunResult extends ExitInfo {
  readonly stdout: Buffer;
  readonly stderr: Buffer;
  /** The deadline passed and the process group was killed. */
  readonly timedOut: boolean;
}

export interface RunOptions extends SpawnOptions {
  /** Deadline; at it the process group is killed and `timedOut` is set. */
  readonly timeoutMs?: number;
}

/**
 * Runs a command to completion (bounded by `timeoutMs`) and returns its exit status and output.
 * Never throws for a non-zero exit; see `runOk`.
 */
export async function runCmd(
  command: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const p = spawnProc(command, args, opts);
  let timedOut = false;
  try {
    await p.waitForExit(timeoutMs);
  } catch {
    timedOut = true;
  }
  await p.stop({ signal: 'SIGKILL', timeoutMs: 5_000 });
  // Let the pipes drain, but do not wait on a daemon that inherited them.
  await withDeadline(p.closed, 2_000);
  const e = p.exitInfo ?? { code: null, signal: null };
  return { ...e, stdout: p.stdoutBytes(), stderr: p.stderrBytes(), timedOut };
}

/** `runCmd`, throwing (with the output) unless the command exits 0 within the deadline. */
export async function runOk(
  command: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  const r = await runCmd(command, args, opts);
  if (r.code !== 0 || r.timedOut) {
    throw new Error(
      `${command} ${args.join(' ')}: ${r.timedOut ? 'timed out' : describeExit(r)}\n${r.stdout.toString()}\n${r.stderr.toString()}`,
    );
  }
  return r;
}
