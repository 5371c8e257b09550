/**
 * Another build of postern for `--compare <git ref>`: a temporary `git worktree` of the ref (the only
 * git command here that changes anything, and it is undone), this repository's node_modules linked in,
 * compiled with the repository's TypeScript into the worktree's own build/ (never into ours).
 *
 * Owns: creating, compiling and removing that worktree. Compile errors in the old tree are reported
 * but do not stop the build (tsc emits anyway); a ref whose main.js did not come out is an error.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../paths.js';
import type { PosternEntry } from './types.js';

export interface RefBuild {
  readonly entry: PosternEntry;
  /** short label for variant ids: the ref with unsafe characters replaced */
  readonly label: string;
  readonly sha: string;
  /** tsc's complaints about the old tree, if any (first lines) */
  readonly compileErrors: string | null;
  remove(): void;
}

function git(args: readonly string[]): string {
  return execFileSync('git', ['-C', REPO_ROOT, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

export function buildRef(ref: string): RefBuild {
  const sha = git(['rev-parse', '--verify', `${ref}^{commit}`]);
  const dir = mkdtempSync(join(tmpdir(), 'postern-bench-ref-'));
  const wt = join(dir, 'tree');
  git(['worktree', 'add', '--detach', wt, sha]);
  const remove = (): void => {
    try {
      git(['worktree', 'remove', '--force', wt]);
    } catch {
      // fall through: remove the files and prune the record
    }
    rmSync(dir, { recursive: true, force: true });
    try {
      git(['worktree', 'prune']);
    } catch {
      // nothing to prune
    }
  };
  try {
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(wt, 'node_modules'), 'dir');
    let compileErrors: string | null = null;
    try {
      execFileSync(
        process.execPath,
        [
          join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
          '-p',
          join(wt, 'tsconfig.json'),
          '--outDir',
          join(wt, 'build'),
          '--incremental',
          'false',
        ],
        { cwd: wt, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
      );
    } catch (err) {
      const out = (err as { stdout?: string }).stdout ?? String(err);
      compileErrors = out.split('\n').slice(0, 5).join('\n');
    }
    const main = join(wt, 'build', 'src', 'main.js');
    if (!existsSync(main))
      throw new Error(`building ${ref} produced no build/src/main.js:\n${compileErrors ?? ''}`);
    const label = ref.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 24);
    return {
      entry: { main, execArgv: [], build: `${ref} (${sha.slice(0, 10)})` },
      label,
      sha,
      compileErrors,
      remove,
    };
  } catch (err) {
    remove();
    throw err;
  }
}
