/**
 * Runs one corpus configuration through `nginx -t` (Debian 1.22.1 with the mail module loaded by -g)
 * and through postern, and reduces each run to the same comparable Outcome.
 *
 * Owns: preparing a private prefix directory per case (the case file as nginx.conf, its `<name>.d/`
 * files, the shared test certificate), the two runners, and output normalisation. `runPostern` runs the
 * real `postern -t` binary; `runPosternInProcess` calls loadConfig directly for the fast random tests.
 */
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../../src/errors.js';
import { loadConfig } from '../../../src/config/load.js';
import { runPostern as runPosternBin } from '../../helpers/postern-bin.js';

/** What a `-t` run says, with the case directory replaced by `P/`. */
export interface Outcome {
  readonly ok: boolean;
  /** the fatal message as nginx prints it after `[emerg] pid#tid: ` (null when ok) */
  readonly error: string | null;
  /** warn-level messages, in order */
  readonly warnings: readonly string[];
}

export const MAIL_MODULE = '/usr/lib/nginx/modules/ngx_mail_module.so';
export const GLOBAL_DIRECTIVES_BASE = `load_module ${MAIL_MODULE};`;

/** The repository root, whether this file runs from test/ or from build/test/. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('repository root not found');
    dir = up;
  }
}

export const CORPUS_DIR = join(repoRoot(), 'test', 'conformance', 'config', 'corpus');
export const FIXTURES_DIR = join(repoRoot(), 'test', 'conformance', 'config', 'fixtures');

export interface PreparedCase {
  readonly dir: string;
  readonly confFile: string;
  /** `-g` text: the mail module, then the case's own `# -g:` header line if any */
  readonly globalDirectives: string;
  cleanup(): void;
}

/** Copies the case into a fresh prefix directory (`logs/` included, as nginx -t wants to open logs). */
export function prepareCase(name: string): PreparedCase {
  const dir = mkdtempSync(join(tmpdir(), 'postern-conf-'));
  mkdirSync(join(dir, 'logs'));
  const text = readFileSync(join(CORPUS_DIR, `${name}.conf`), 'utf8');
  writeFileSync(join(dir, 'nginx.conf'), text);
  cpSync(FIXTURES_DIR, dir, { recursive: true });
  const extra = join(CORPUS_DIR, `${name}.d`);
  if (existsSync(extra)) cpSync(extra, dir, { recursive: true });
  const header = /^# -g: (.*)$/m.exec(text);
  // nginx -t creates the pid file: keep it in the case directory unless the case sets `pid` itself
  const pid = /\bpid\b/.test(text + extraText(extra)) ? '' : ` pid ${join(dir, 'logs', 'nginx.pid')};`;
  const g = `${GLOBAL_DIRECTIVES_BASE}${pid}`;
  return {
    dir: `${dir}/`,
    confFile: join(dir, 'nginx.conf'),
    globalDirectives: header?.[1] === undefined ? g : `${g} ${header[1]}`,
    cleanup: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The text of every file under a case's `.d` directory ('' when there is none). */
function extraText(dir: string): string {
  if (!existsSync(dir)) return '';
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile())
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
}

function normalise(text: string, dir: string): string {
  return text.split(dir).join('P/');
}

/** `nginx -t` in the case's prefix; every message goes to stderr (`-e stderr`). */
export function runNginx(c: PreparedCase): Outcome {
  const r = spawnSync(
    'nginx',
    ['-e', 'stderr', '-g', c.globalDirectives, '-p', c.dir, '-c', c.confFile, '-t'],
    {
      encoding: 'utf8',
      cwd: c.dir,
      timeout: 20_000,
    },
  );
  if (r.error !== undefined) throw r.error;
  return outcomeOf(r.stderr, r.status, c.dir);
}

/** The `-t` output of either binary, reduced to an Outcome (both print nginx's line formats). */
function outcomeOf(stderr: string, status: number | null, dir: string): Outcome {
  let error: string | null = null;
  const warnings: string[] = [];
  for (const line of stderr.split('\n')) {
    // "nginx: [warn] text" before the error log is open, "YYYY/MM/DD HH:MM:SS [emerg] 1#1: text" after
    const m = /^(?:(?:nginx|postern): |\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d )\[(\w+)\] (?:\d+#\d+: )?(.*)$/.exec(line);
    if (m === null) continue;
    const [, level, message = ''] = m;
    if (level === 'warn') warnings.push(normalise(message, dir));
    else if (level === 'emerg' || level === 'crit' || level === 'alert') error ??= normalise(message, dir);
  }
  const ok = status === 0;
  // postern reports only the error when loading fails, so warnings are compared for valid files only
  return { ok, error: ok ? null : error, warnings: ok ? warnings : [] };
}

/** postern's check of the same files: the real `postern -t` binary, as an operator runs it. */
export async function runPostern(c: PreparedCase): Promise<Outcome> {
  // run in the case directory, as nginx is: relative `listen unix:` paths resolve against the cwd
  const r = await runPosternBin(['-e', 'stderr', '-g', c.globalDirectives, '-p', c.dir, '-c', c.confFile, '-t'], 20_000, c.dir);
  return outcomeOf(r.stderr, r.code, c.dir);
}

/** The same check in-process (loadConfig), for fast property/random tests. */
export async function runPosternInProcess(c: PreparedCase): Promise<Outcome> {
  try {
    const r = await loadConfig({ confFile: c.confFile, prefix: c.dir, globalDirectives: c.globalDirectives });
    return {
      ok: true,
      error: null,
      warnings: r.warnings.map((w) =>
        normalise(
          w.source === null ? w.message : `${w.message} in ${w.source.file}:${String(w.source.line)}`,
          c.dir,
        ),
      ),
    };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { ok: false, error: normalise(err.toString(), c.dir), warnings: [] };
  }
}
