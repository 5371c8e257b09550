/**
 * The POP3 and SMTP entries of the known differences between postern and nginx 1.22.1 (differences.md
 * next to this file, same `## <ID>: <title>` format as ../../known-differences.md, which the IMAP
 * transcripts use). Owns reading that file only.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../../helpers/run-dir.js';

export function localDifferences(): ReadonlyMap<string, string> {
  const text = readFileSync(join(repoRoot(), 'test', 'conformance', 'transcripts', 'smtp', 'differences.md'), 'utf8');
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^## ([A-Za-z0-9._-]+): (.*)$/gm)) out.set(m[1] as string, m[2] as string);
  return out;
}
