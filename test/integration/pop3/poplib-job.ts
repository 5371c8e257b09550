/**
 * Runs poplib_job.py (APOP, a large RETR reported by hash, pipelined commands) with a deadline and
 * returns its JSON answer. Owns only the process call; the Python side says what each job does.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCmd } from '../../helpers/proc.js';
import { repoRoot } from '../../helpers/run-dir.js';

export interface PoplibResult {
  readonly ok: boolean;
  readonly error: string | null;
  readonly result: Record<string, unknown>;
  /** the process's stderr, for failure messages */
  readonly stderr: string;
}

function script(): string {
  // From TypeScript the .py file sits next to this one; compiled tests run from build/, so use the repo.
  return import.meta.url.endsWith('.ts')
    ? fileURLToPath(new URL('./poplib_job.py', import.meta.url))
    : join(repoRoot(), 'test', 'integration', 'pop3', 'poplib_job.py');
}

export async function poplibJob(job: Record<string, unknown>, timeoutMs = 30_000): Promise<PoplibResult> {
  const r = await runCmd('python3', [script(), JSON.stringify({ timeout: Math.ceil(timeoutMs / 1000), ...job })], {
    timeoutMs: timeoutMs + 5_000,
  });
  const text = r.stdout.toString('utf8').trim();
  const stderr = r.stderr.toString('utf8');
  try {
    const parsed = JSON.parse(text) as { ok?: boolean; error?: string; result?: Record<string, unknown> };
    return { ok: parsed.ok === true, error: parsed.error ?? null, result: parsed.result ?? {}, stderr };
  } catch {
    return { ok: false, error: `no JSON from poplib_job.py: ${text}`, result: {}, stderr };
  }
}
