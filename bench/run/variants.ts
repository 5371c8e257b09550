/**
 * The proxies a run compares: nginx (with `--compare nginx`, first, as the baseline), this tree's
 * postern once per `--keepalive` and `--accept-policy` setting, and the same for each `--compare <git ref>`
 * build.
 *
 * Owns: variant ids and builds, and undoing the ref builds. Refuses to start when nginx was asked
 * for and is not installed, saying how to install it.
 */
import { registerExitCleanup } from '../../test/helpers/proc.js';
import { tsExecArgv, treeFile } from '../paths.js';
import { buildRef } from '../proxies/git-ref.js';
import { nginxProblem } from '../proxies/nginx-binary.js';
import type { PosternEntry, ProxyVariant } from '../proxies/types.js';
import type { BenchOptions } from '../options.js';

export interface Variants {
  readonly variants: readonly ProxyVariant[];
  readonly warnings: readonly string[];
  cleanup(): void;
}

/** This tree's postern: the given entry, or compiled JS next to the bench, or src/main.ts under tsx. */
export function currentEntry(posternEntry: string | null): PosternEntry {
  if (posternEntry !== null) {
    return {
      main: posternEntry,
      execArgv: posternEntry.endsWith('.ts') ? tsExecArgv() : [],
      build: 'working tree',
    };
  }
  return { main: treeFile('src/main'), execArgv: tsExecArgv(), build: 'working tree' };
}

function posternVariants(entry: PosternEntry, prefix: string, o: BenchOptions): ProxyVariant[] {
  return o.acceptPolicies.flatMap((policy) =>
    o.keepalive.map((ka) => ({
      id: `${prefix}${ka === 0 ? '' : `-ka${ka}`}${policy === 'shared' ? '' : '-lc'}`,
      kind: 'postern' as const,
      keepalive: ka,
      acceptPolicy: policy,
      entry,
    })),
  );
}

export function resolveVariants(o: BenchOptions, log: (s: string) => void): Variants {
  const warnings: string[] = [];
  const variants: ProxyVariant[] = [];
  const removers: (() => void)[] = [];
  if (o.compare.includes('nginx')) {
    const problem = nginxProblem();
    if (problem !== null) throw new Error(`--compare nginx: ${problem}`);
    variants.push({ id: 'nginx', kind: 'nginx', keepalive: 0, acceptPolicy: 'shared', entry: null });
  }
  const entry = currentEntry(o.posternEntry);
  if (entry.execArgv.length > 0) {
    warnings.push(
      'postern ran from TypeScript through tsx: fine for trying the harness, not for numbers (use `npm run bench`)',
    );
  }
  variants.push(...posternVariants(entry, 'postern', o));
  try {
    for (const ref of o.compare.filter((c) => c !== 'nginx')) {
      log(`building postern at ${ref} in a temporary worktree...`);
      const b = buildRef(ref);
      const unregister = registerExitCleanup(() => {
        b.remove();
      });
      removers.push(() => {
        unregister();
        b.remove();
      });
      if (b.compileErrors !== null)
        warnings.push(`${ref}: tsc reported errors (the build was still used): ${b.compileErrors}`);
      variants.push(...posternVariants(b.entry, b.label, o));
    }
  } catch (err) {
    for (const r of removers) r();
    throw err;
  }
  return {
    variants,
    warnings,
    cleanup: () => {
      for (const r of removers) r();
    },
  };
}
