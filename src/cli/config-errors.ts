/**
 * Loading the configuration for a command and reporting failures in nginx's form
 * (`[emerg] <text> in <file>:<line>` on the start-up log, echoed to stderr as `postern: [emerg] …`).
 */
import { loadConfig, type LoadOptions, type LoadResult } from '../config/load.js';
import type { Logger } from '../log/types.js';
import { ConfigError } from '../errors.js';

/** nginx's text of any error: ConfigError with its location, others with their message. */
export function errorText(err: unknown): string {
  if (err instanceof ConfigError) return err.toString();
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Loads, logs every warning at its level, and returns the result or null after logging the error. */
export async function loadAndReport(options: LoadOptions, log: Logger): Promise<LoadResult | null> {
  try {
    const result = await loadConfig(options);
    logWarnings(result, log);
    return result;
  } catch (err) {
    log.emerg(errorText(err));
    return null;
  }
}

export function logWarnings(result: LoadResult, log: Logger): void {
  for (const w of result.warnings) {
    const where = w.source === null ? '' : ` in ${w.source.file}:${w.source.line}`;
    log.log(w.level, `${w.message}${where}`);
  }
}
