/**
 * A real postern process for the edge and TLS end-to-end tests (this directory and ../tls/): the
 * configuration text is the test's own (every `listen` written by the test, so a server can have
 * `ssl`, `proxy_protocol` and several addresses, IPv6 included), the error log at `info`, the log
 * parsed with the pid of the process that wrote each line (which worker served a connection), and a
 * reload that waits until the old workers stopped accepting.
 *
 * Owns: writing postern.conf, starting and killing the process group, reading and waiting on the error
 * log, SIGHUP with a new configuration. Does not own the auth service, backends or clients
 * (test/helpers/*); for the simpler one-listen-per-server set-up see ../pop3/proxy-process.ts.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startPostern, type RunningPostern } from '../../helpers/postern-bin.js';
import { subDir } from '../../helpers/run-dir.js';
import { waitForPort } from '../../helpers/proc.js';
import { waitForLogLine } from '../../helpers/log-wait.js';

export interface EdgeConfig {
  /** directives at the main level (default `worker_processes 1;`) */
  readonly main?: string;
  /** the body of `events {}` (default empty) */
  readonly events?: string;
  /** the whole body of `mail {}`: directives and `server {}` blocks with their `listen` lines */
  readonly mail: string;
}

export interface EdgeLogLine {
  readonly level: string;
  /** the pid of the process that wrote the line */
  readonly pid: number;
  /** the connection number, or null for lines without `*<cid>` */
  readonly cid: number | null;
  /** everything after `*<cid> ` (or after `<pid>#<tid>: `) */
  readonly text: string;
}

export interface EdgeProxy {
  readonly dir: string;
  readonly confFile: string;
  readonly logFile: string;
  readonly proc: RunningPostern;
  logText(): string;
  /** parsed lines, optionally only those after a `mark()` */
  lines(since?: number): EdgeLogLine[];
  /** the log's current length */
  mark(): number;
  /** waits for a line at `level` whose text equals `text` (or matches it) after `since` */
  waitForLog(level: string, text: string | RegExp, opts?: { since?: number; timeoutMs?: number }): Promise<EdgeLogLine>;
  /**
   * Writes `next` and sends SIGHUP; resolves once `workers` new workers started and as many old ones
   * logged `gracefully shutting down` (so new connections reach only the new generation).
   */
  reload(next: EdgeConfig, workers: number, opts?: { timeoutMs?: number }): Promise<void>;
  stop(): Promise<void>;
}

const LINE_RE = /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[(\w+)\] (\d+)#\d+: (?:\*(\d+) )?(.*)$/;

export function parseEdgeLog(text: string): EdgeLogLine[] {
  const out: EdgeLogLine[] = [];
  for (const l of text.split('\n')) {
    const m = LINE_RE.exec(l);
    if (m === null) continue;
    out.push({
      level: m[1] as string,
      pid: Number(m[2]),
      cid: m[3] === undefined ? null : Number(m[3]),
      text: m[4] as string,
    });
  }
  return out;
}

/** `{ port }` for every number field of `ports` (a test's listen ports) other than 0, for `startEdgeProxy`. */
export function portsOf(ports: object): { port: number }[] {
  return Object.values(ports as Record<string, unknown>)
    .filter((v): v is number => typeof v === 'number' && v > 0)
    .map((port) => ({ port }));
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function render(dir: string, logFile: string, c: EdgeConfig): string {
  const main = c.main ?? 'worker_processes 1;';
  return `${main}\ndaemon off;\npid ${dir}/postern.pid;\nerror_log ${logFile} info;\nevents {\n${c.events ?? ''}\n}\nmail {\n${c.mail}\n}\n`;
}

/**
 * Starts postern with `config` and waits until every `wait` address accepts connections (give the
 * TCP listens, e.g. `{ port }` or `{ host: '::1', port }`).
 */
export async function startEdgeProxy(
  config: EdgeConfig,
  wait: readonly { readonly host?: string; readonly port: number }[],
): Promise<EdgeProxy> {
  const dir = subDir('postern-edge');
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const logFile = join(dir, 'error.log');
  writeFileSync(logFile, '');
  const confFile = join(dir, 'postern.conf');
  writeFileSync(confFile, render(dir, logFile, config));
  const proc = await startPostern(['-p', `${dir}/`, '-c', confFile], join(dir, 'postern.pid'));
  try {
    for (const w of wait) await waitForPort(w.port, { host: w.host ?? '127.0.0.1', timeoutMs: 10_000 });
  } catch (err) {
    await proc.kill();
    throw new Error(`postern did not listen: ${(err as Error).message}\n${proc.stderr()}\n${readText(logFile)}`, {
      cause: err,
    });
  }
  const logText = (): string => readText(logFile);
  const lines = (since = 0): EdgeLogLine[] => parseEdgeLog(logText().slice(since));
  const waitForLog: EdgeProxy['waitForLog'] = (level, text, opts) =>
    waitForLogLine(lines, logText, level, text, opts);
  return {
    dir,
    confFile,
    logFile,
    proc,
    logText,
    lines,
    mark: () => logText().length,
    waitForLog,
    reload: async (next, workers, opts = {}) => {
      const since = logText().length;
      writeFileSync(confFile, render(dir, logFile, next));
      proc.signal('SIGHUP');
      const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
      for (;;) {
        const after = lines(since);
        const emerg = after.find((l) => l.level === 'emerg');
        if (emerg !== undefined) throw new Error(`postern refused the new configuration: ${emerg.text}`);
        const started = after.filter((l) => l.level === 'notice' && l.text.startsWith('start worker process ')).length;
        const stopping = after.filter((l) => l.level === 'notice' && l.text === 'gracefully shutting down').length;
        if (started >= workers && stopping >= workers) return;
        if (Date.now() > deadline) throw new Error(`reload did not finish; log:\n${logText().slice(since)}`);
        await sleep(25);
      }
    },
    stop: () => proc.kill(),
  };
}
