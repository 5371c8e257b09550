/**
 * Polling an error log for a line (the edge and POP3 proxy helpers): the first line at `level` whose
 * text equals `text` or matches it, among the lines written since `since`, within `timeoutMs`.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface LevelledLine {
  readonly level: string;
  readonly text: string;
}

export interface WaitForLogOptions {
  readonly since?: number;
  readonly timeoutMs?: number;
}

export async function waitForLogLine<L extends LevelledLine>(
  lines: (since: number) => L[],
  logText: () => string,
  level: string,
  text: string | RegExp,
  opts: WaitForLogOptions = {},
): Promise<L> {
  const since = opts.since ?? 0;
  const deadline = Date.now() + (opts.timeoutMs ?? 5_000);
  for (;;) {
    const hit = lines(since).find(
      (l) => l.level === level && (typeof text === 'string' ? l.text === text : text.test(l.text)),
    );
    if (hit !== undefined) return hit;
    if (Date.now() > deadline) {
      throw new Error(`no [${level}] log line ${String(text)}; log:\n${logText().slice(since)}`);
    }
    await sleep(20);
  }
}
