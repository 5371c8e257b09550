/**
 * Debian's nginx 1.22 with the mail module, as the reference postern is compared with.
 *
 * Owns: `startNginx` (a private nginx in the foreground: its own prefix dir, pid file and error log;
 * the mail module loaded with `-g "load_module …;"` because Debian builds it as a dynamic module;
 * `-e stderr` so nothing is written to /var/log/nginx),
 * reload by SIGHUP with a check that new workers came up, stop, and `nginxTest` (`nginx -t` on a
 * config text, with the error message, file and line parsed out for differential tests).
 * Does not own: what the mail config says (tests write it) or the backends it proxies to.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AddrInUseError } from './ports.js';
import { describeExit, killGroup, runCmd, spawnProc, waitFor, waitForPort, type Proc } from './proc.js';
import { removeDir, subDir } from './run-dir.js';

/** The Debian path of the dynamic mail module. */
export const NGINX_MAIL_MODULE = '/usr/lib/nginx/modules/ngx_mail_module.so';
const LOAD_MAIL = `load_module ${NGINX_MAIL_MODULE};`;

export type NginxLogLevel = 'debug' | 'info' | 'notice' | 'warn' | 'error' | 'crit' | 'alert' | 'emerg';

export interface NginxOptions {
  /** The body of `mail { … }`. */
  readonly mailConfig: string;
  /** `worker_processes` (default 1). */
  readonly workers?: number;
  /** Level of the main `error_log` (default info, which includes the mail module's session lines). */
  readonly errorLogLevel?: NginxLogLevel;
  /** Extra main-context lines (e.g. `worker_shutdown_timeout 1s;`). */
  readonly mainConfig?: string;
  /** Files to write into the prefix dir before start (relative name → content), e.g. certificates. */
  readonly files?: Readonly<Record<string, string | Buffer>>;
  /** Ports to wait for; default: every `listen [addr:]port` found in `mailConfig`. */
  readonly waitPorts?: readonly number[];
  /** Deadline for start-up (default 15 s). */
  readonly startTimeoutMs?: number;
}

export interface Nginx {
  /** The prefix dir (`-p`), holding nginx.conf, error.log, nginx.pid and `files`. */
  readonly prefix: string;
  readonly configFile: string;
  readonly errorLogFile: string;
  /** The master's pid. */
  readonly pid: number;
  readonly proc: Proc;
  /** The error log so far. */
  errorLog(): string;
  /** Waits until an error log line matches `re`; returns the line. */
  waitForLog(re: RegExp, opts?: { timeoutMs?: number }): Promise<string>;
  /**
   * SIGHUP (optionally after writing a new mail config); resolves once a full set of new workers is
   * running, rejects with nginx's message if it refused the new config.
   */
  reload(newMailConfig?: string, opts?: { timeoutMs?: number }): Promise<void>;
  /** SIGQUIT when `graceful`, else SIGTERM; then SIGKILL to the group; removes the prefix dir. */
  stop(opts?: { graceful?: boolean }): Promise<void>;
}

function renderConfig(prefix: string, o: NginxOptions, mailConfig: string): string {
  return `# written by test/helpers/nginx.ts
daemon off;
master_process on;
worker_processes ${o.workers ?? 1};
pid ${join(prefix, 'nginx.pid')};
error_log ${join(prefix, 'error.log')} ${o.errorLogLevel ?? 'info'};
${o.mainConfig ?? ''}
events {
    worker_connections 1024;
}
mail {
${mailConfig}
}
`;
}

/** Ports in `listen` directives of a mail config (`listen 127.0.0.1:N …`, `listen N …`). */
export function listenPorts(mailConfig: string): number[] {
  const ports = new Set<number>();
  for (const m of mailConfig.matchAll(/\blisten\s+(?:\S*:)?(\d+)\b/g)) ports.add(Number(m[1]));
  return [...ports];
}

/** Pids whose parent is `ppid` (from /proc). */
function childPids(ppid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    // pid (comm) state ppid …; comm may contain spaces and parentheses.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(rest[1]) === ppid && rest[0] !== 'Z') out.push(Number(name));
  }
  return out;
}

async function startOnce(o: NginxOptions): Promise<Nginx> {
  const prefix = subDir('nginx');
  mkdirSync(join(prefix, 'logs'));
  for (const [name, content] of Object.entries(o.files ?? {})) writeFileSync(join(prefix, name), content);
  const configFile = join(prefix, 'nginx.conf');
  const errorLogFile = join(prefix, 'error.log');
  writeFileSync(configFile, renderConfig(prefix, o, o.mailConfig));
  writeFileSync(errorLogFile, '');
  const errorLog = (): string => {
    try {
      return readFileSync(errorLogFile, 'utf8');
    } catch {
      return '';
    }
  };
  const proc = spawnProc('nginx', ['-e', 'stderr', '-g', LOAD_MAIL, '-p', `${prefix}/`, '-c', configFile], {
    label: 'nginx',
    cwd: prefix,
  });
  const timeoutMs = o.startTimeoutMs ?? 15_000;
  try {
    for (const port of o.waitPorts ?? listenPorts(o.mailConfig)) await waitForPort(port, { proc, timeoutMs });
    // The pid file is written after every listening socket is open.
    await waitFor(
      () => {
        if (proc.exitInfo) throw new Error(`nginx exited (${describeExit(proc.exitInfo)})`);
        try {
          return readFileSync(join(prefix, 'nginx.pid'), 'utf8').trim() !== '';
        } catch {
          return false;
        }
      },
      { timeoutMs, what: 'nginx.pid' },
    );
  } catch (err) {
    await proc.stop({ signal: 'SIGKILL' });
    const text = `${proc.output()}\n${errorLog()}`;
    removeDir(prefix);
    if (/Address already in use/.test(text)) throw new AddrInUseError(`nginx: a port was taken: ${text}`);
    throw new Error(`nginx did not start: ${(err as Error).message}\n${text}`, { cause: err });
  }

  const workers = o.workers ?? 1;
  let stopped = false;
  return {
    prefix,
    configFile,
    errorLogFile,
    pid: proc.pid,
    proc,
    errorLog,
    waitForLog: (re, opts) =>
      waitFor(
        () =>
          errorLog()
            .split('\n')
            .find((l) => re.test(l)),
        { timeoutMs: opts?.timeoutMs ?? 10_000, what: `nginx error log line ${re}` },
      ),
    reload: async (newMailConfig, opts) => {
      if (newMailConfig !== undefined) writeFileSync(configFile, renderConfig(prefix, o, newMailConfig));
      const before = new Set(childPids(proc.pid));
      const logAt = errorLog().length;
      proc.signal('SIGHUP');
      await waitFor(
        () => {
          const emerg = /\[emerg\][^\n]*/.exec(errorLog().slice(logAt));
          if (emerg) throw new Error(`nginx refused the new configuration: ${emerg[0]}`);
          return childPids(proc.pid).filter((p) => !before.has(p)).length >= workers;
        },
        { timeoutMs: opts?.timeoutMs ?? 10_000, what: `${workers} new nginx worker(s) after SIGHUP` },
      );
    },
    stop: async (opts) => {
      if (stopped) return;
      stopped = true;
      proc.signal(opts?.graceful ? 'SIGQUIT' : 'SIGTERM');
      try {
        await proc.waitForExit(10_000);
      } catch {
        killGroup(proc.pid, 'SIGKILL');
      }
      await proc.stop({ signal: 'SIGKILL' });
      removeDir(prefix);
    },
  };
}

/**
 * Starts a private nginx with the given mail config. Call `stop()` in `after()`; a forgotten
 * instance is killed when the test process exits. Ports in the config are the caller's (use
 * `freePort()`); a port taken meanwhile fails the start with `AddrInUseError`.
 */
export function startNginx(opts: NginxOptions): Promise<Nginx> {
  return startOnce(opts);
}

export interface NginxTestResult {
  /** `nginx -t` exited 0. */
  readonly ok: boolean;
  readonly code: number | null;
  readonly stderr: string;
  /** Level of the first error-or-worse line (`emerg`, …), or null. */
  readonly level: string | null;
  /** Its message without the level, pid and " in file:line" (e.g. `unknown directive "x"`), or null. */
  readonly message: string | null;
  /** The file named in it, or null. */
  readonly file: string | null;
  /** The line named in it, or null. */
  readonly line: number | null;
  /** The directory the config was written to (removed unless POSTERN_KEEP_TEST_DIRS=1). */
  readonly dir: string;
}

/** Parses the first `[emerg]`/`[alert]`/`[crit]`/`[error]` line of nginx's stderr. */
export function parseNginxError(
  stderr: string,
): Pick<NginxTestResult, 'level' | 'message' | 'file' | 'line'> {
  for (const raw of stderr.split('\n')) {
    const m = /\[(emerg|alert|crit|error)\] (?:\d+#\d+: )?(.*)$/.exec(raw);
    if (!m) continue;
    const text = m[2]!;
    const at = / in (\S+):(\d+)$/.exec(text);
    return {
      level: m[1]!,
      message: at ? text.slice(0, at.index) : text,
      file: at ? at[1]! : null,
      line: at ? Number(at[2]) : null,
    };
  }
  return { level: null, message: null, file: null, line: null };
}

export interface NginxTestOptions {
  /** Other files the config includes (relative name → content), written next to it. */
  readonly files?: Readonly<Record<string, string>>;
  /** Name of the main config file (default nginx.conf). */
  readonly fileName?: string;
  /**
   * Add `pid <dir>/nginx.pid;` with -g (nginx -t writes the pid file). Default: only when the text
   * has no `pid` directive of its own (which would then be "duplicate").
   */
  readonly pidOnCommandLine?: boolean;
  /** Keep the directory (default false; POSTERN_KEEP_TEST_DIRS=1 keeps it too). */
  readonly keepDir?: boolean;
}

/**
 * Runs `nginx -t` (mail module loaded with -g, prefix = a fresh dir holding the config) on
 * `configText`, a complete nginx.conf. Relative paths in the config resolve against that dir.
 */
export async function nginxTest(configText: string, opts: NginxTestOptions = {}): Promise<NginxTestResult> {
  const dir = subDir('nginx-t');
  // For configs that name relative log files (`error_log logs/error.log`), as a real prefix has.
  mkdirSync(join(dir, 'logs'));
  const fileName = opts.fileName ?? 'nginx.conf';
  for (const [name, content] of Object.entries(opts.files ?? {})) writeFileSync(join(dir, name), content);
  const configFile = join(dir, fileName);
  writeFileSync(configFile, configText);
  const pidOnCommandLine = opts.pidOnCommandLine ?? !/^\s*pid\s/m.test(configText);
  const g = pidOnCommandLine ? `${LOAD_MAIL} pid ${join(dir, 'nginx.pid')};` : LOAD_MAIL;
  const r = await runCmd('nginx', ['-t', '-e', 'stderr', '-g', g, '-p', `${dir}/`, '-c', configFile], {
    timeoutMs: 20_000,
    cwd: dir,
  });
  const stderr = r.stderr.toString('utf8');
  if (opts.keepDir !== true) removeDir(dir);
  return { ok: r.code === 0 && !r.timedOut, code: r.code, stderr, ...parseNginxError(stderr), dir };
}
