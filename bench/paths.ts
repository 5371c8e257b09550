/**
 * Where things are, whether the bench runs from TypeScript (`node --import tsx bench/cli.ts`) or
 * compiled (`node build/bench/cli.js`, or a private `--outDir`).
 *
 * Owns: the repository root, the default results directory, and the node argv that runs one of our
 * programs (the fake backend, the auth responder, the load task, postern itself) in the same form as
 * the bench: compiled JS next to the compiled bench, or the `.ts` source under tsx.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** True when this module is the TypeScript source (run under tsx). */
export const FROM_TS = import.meta.url.endsWith('.ts');

/** Directory of the bench's own files: `<repo>/bench` or `<outDir>/bench`. */
export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));

/** The tree the bench belongs to: `<repo>` from TypeScript, `<outDir>` when compiled. */
export const TREE_ROOT = dirname(BENCH_DIR);

function isRepo(dir: string): boolean {
  return existsSync(join(dir, 'package.json')) && existsSync(join(dir, '.git'));
}

function findRepoRoot(): string {
  let dir = BENCH_DIR;
  for (let i = 0; i < 10; i++) {
    if (isRepo(dir)) return dir;
    dir = dirname(dir);
  }
  // Compiled to a directory outside the repository (e.g. /tmp/bench-build): the working directory.
  return process.cwd();
}

/** The repository root (holds package.json, node_modules and bench/results). */
export const REPO_ROOT = findRepoRoot();

/** Default directory for result files (gitignored). */
export const RESULTS_DIR = join(REPO_ROOT, 'bench', 'results');

/** execArgv that makes node load `.ts` files (tsx's loader), or none when compiled. */
export function tsExecArgv(): string[] {
  return FROM_TS ? ['--import', import.meta.resolve('tsx')] : [];
}

/** A file of this tree by its path without extension, e.g. `bench/servers/fake-backend`. */
export function treeFile(pathNoExt: string): string {
  return join(TREE_ROOT, `${pathNoExt}${FROM_TS ? '.ts' : '.js'}`);
}

/** argv after `node` that runs a program of this tree. */
export function programArgs(pathNoExt: string): string[] {
  return [...tsExecArgv(), treeFile(pathNoExt)];
}
