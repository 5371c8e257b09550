/**
 * A real postern process for the POP3 and SMTP end-to-end tests (this directory and ../smtp/): the
 * configuration written into the run dir, one `server {}` per entry on its own free loopback port, the
 * error log at `info`, and exact-line log assertions.
 *
 * Owns: writing postern.conf, starting and killing the process group, reading and waiting on the error
 * log by `[level]` and the text after `*<cid> ` (nginx's line format, reference 7.1), and a log mark so a
 * test only looks at the lines its own connection caused.
 * Does not own: the auth service, backends or clients (test/helpers/*), nor the transcript runner
 * (test/conformance/runner.ts), which starts its own postern.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startPostern, type RunningPostern } from '../../helpers/postern-bin.js';
import { freePort } from '../../helpers/ports.js';
import { subDir } from '../../helpers/run-dir.js';
import { waitForPort } from '../../helpers/proc.js';
import { waitForLogLine } from '../../helpers/log-wait.js';

export interface ProxyOptions {
  /** directives at `mail {}` level (auth_http, server_name, ...), each ending in `;` */
  readonly mail: string;
  /**
   * the body of each `server {}` without its `listen`: the helper adds one on a free port (with `ssl`
   * when the server is given as `{ body, ssl: true }`, or the given `listen` address, e.g.
   * `unix:/path`, whose port is then reported as 0)
   */
  readonly servers: readonly (string | { readonly body: string; readonly ssl?: boolean; readonly listen?: string })[];
  /** directives at the main level (e.g. `worker_processes 2;`) */
  readonly main?: string;
}

export interface LogLine {
  readonly level: string;
  /** the connection number, or null for lines without `*<cid>` */
  readonly cid: number | null;
  /** everything after `*<cid> ` */
  readonly text: string;
}

export interface ProxyProcess {
  /** the listen port of each server, in the order given */
  readonly ports: readonly number[];
  readonly dir: string;
  readonly logFile: string;
  readonly proc: RunningPostern;
  /** the whole error log so far */
  logText(): string;
  /** parsed lines, optionally only those after `mark()` */
  lines(since?: number): LogLine[];
  /** the log's current length: pass it to `lines`/`waitForLog` to ignore earlier lines */
  mark(): number;
  /**
   * Waits until a line at `level` whose text (after `*<cid> `) equals `text` (or matches it) appears
   * after `since`; returns it. Fails with the log in the message.
   */
  waitForLog(level: string, text: string | RegExp, opts?: { since?: number; timeoutMs?: number }): Promise<LogLine>;
  stop(): Promise<void>;
}

const LINE_RE = /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[(\w+)\] \d+#\d+: (?:\*(\d+) )?(.*)$/;

export function parseLog(text: string): LogLine[] {
  const out: LogLine[] = [];
  for (const l of text.split('\n')) {
    const m = LINE_RE.exec(l);
    if (m === null) continue;
    out.push({ level: m[1] as string, cid: m[2] === undefined ? null : Number(m[2]), text: m[3] as string });
  }
  return out;
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Starts postern with `worker_processes 1` (unless `main` says otherwise) and waits for every port. */
export async function startProxy(o: ProxyOptions): Promise<ProxyProcess> {
  const dir = subDir('postern');
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const logFile = join(dir, 'error.log');
  writeFileSync(logFile, '');
  const ports: number[] = [];
  for (const spec of o.servers) ports.push(typeof spec !== 'string' && spec.listen !== undefined ? 0 : await freePort());
  const servers = o.servers
    .map((spec, i) => {
      const { body, ssl, listen } = typeof spec === 'string' ? { body: spec, ssl: false, listen: undefined } : spec;
      const addr = listen ?? `127.0.0.1:${String(ports[i])}`;
      return `    server {\n        listen ${addr}${ssl === true ? ' ssl' : ''};\n${indent(body)}    }\n`;
    })
    .join('');
  const main = o.main ?? 'worker_processes 1;';
  const conf = join(dir, 'postern.conf');
  writeFileSync(
    conf,
    `${main}\ndaemon off;\npid ${dir}/postern.pid;\nerror_log ${logFile} info;\nevents {}\nmail {\n${indent(o.mail)}${servers}}\n`,
  );
  const proc = await startPostern(['-p', `${dir}/`, '-c', conf], join(dir, 'postern.pid'));
  try {
    for (const p of ports) if (p !== 0) await waitForPort(p, { timeoutMs: 10_000 });
  } catch (err) {
    await proc.kill();
    throw new Error(`postern did not listen: ${(err as Error).message}\n${proc.stderr()}\n${readText(logFile)}`, { cause: err });
  }
  const logText = (): string => readText(logFile);
  const lines = (since = 0): LogLine[] => parseLog(logText().slice(since));
  return {
    ports,
    dir,
    logFile,
    proc,
    logText,
    lines,
    mark: () => logText().length,
    waitForLog: (level, text, opts) => waitForLogLine(lines, logText, level, text, opts),
    stop: () => proc.kill(),
  };
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l) => `        ${l}\n`)
    .join('');
}
