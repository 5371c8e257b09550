/**
 * Where tests put files: one temp dir per test process (node --test runs each test file in its own
 * process, so this is one dir per test file), and `test-artifacts/` for things kept on purpose.
 *
 * Owns: creating the run dir (mkdtemp under os.tmpdir(), mode 0755 so the unprivileged users of
 * Dovecot, Postfix and nginx workers can reach what is inside), handing out fresh sub-directories,
 * removing it all when the process exits unless POSTERN_KEEP_TEST_DIRS=1, and finding the repository
 * root (from TypeScript under test/ or compiled under build/test/).
 * Does not own: stopping the processes that write there (proc.ts runs process cleanups first).
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { registerExitCleanup } from './proc.js';

let runDirPath: string | null = null;
const counters = new Map<string, number>();

/** True when POSTERN_KEEP_TEST_DIRS=1: temp dirs are left for inspection (their path is printed). */
export function keepTestDirs(): boolean {
  return process.env.POSTERN_KEEP_TEST_DIRS === '1';
}

/**
 * This process's run dir (created on first use, removed at exit). Every helper that needs files puts
 * them in a `subDir()` of it.
 */
export function runDir(): string {
  if (runDirPath !== null) return runDirPath;
  const path = mkdtempSync(join(tmpdir(), 'postern-test-'));
  // mkdtemp makes 0700; the mail user (Dovecot, Postfix virtual) and nginx workers must traverse it.
  chmodSync(path, 0o755);
  runDirPath = path;
  registerExitCleanup(() => {
    if (keepTestDirs()) process.stderr.write(`postern test dir kept: ${path}\n`);
    else rmSync(path, { recursive: true, force: true });
  }, 'files');
  return path;
}

/**
 * A new, empty directory inside the run dir named `<prefix>-<n>` (n counts per prefix), mode 0755.
 */
export function subDir(prefix: string): string {
  const n = (counters.get(prefix) ?? 0) + 1;
  counters.set(prefix, n);
  const path = join(runDir(), `${prefix}-${n}`);
  mkdirSync(path, { recursive: true, mode: 0o755 });
  chmodSync(path, 0o755);
  return path;
}

/** Removes a directory made by `subDir` now (unless POSTERN_KEEP_TEST_DIRS=1). */
export function removeDir(path: string): void {
  if (!keepTestDirs()) rmSync(path, { recursive: true, force: true });
}

let rootPath: string | null = null;

/**
 * The repository root: the nearest ancestor of this file holding package.json (works from
 * test/helpers/*.ts under tsx and from build/test/helpers/*.js).
 */
export function repoRoot(): string {
  if (rootPath !== null) return rootPath;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 10; i++) {
    if (existsSync(join(dir, 'package.json'))) {
      rootPath = dir;
      return dir;
    }
    dir = dirname(dir);
  }
  throw new Error('repoRoot: no package.json above test/helpers');
}

/**
 * `<repo>/test-artifacts/<name>` (created; gitignored): for files a test keeps on purpose, such as
 * screenshots or a failing transcript. Never removed by the harness.
 */
export function artifactsDir(name = ''): string {
  const path = join(repoRoot(), 'test-artifacts', name);
  mkdirSync(path, { recursive: true });
  return path;
}
