/**
 * Loading the configuration for a command and reporting failures in nginx's form
 * (`[emerg] <text> in <file>:<line>` on the start-up log, echoed to stderr as `postern: [emerg] …`).
 */
import { loadConfig, type LoadOptions, type LoadResult } from '../config/load.js';
import type { Logger } from '../log/types.js';
import { ConfigError } from '../errors.js';
import { checkTlsFiles } from './tls-check.js';
import { logConfigWarnings } from '../primary/config-notices.js';

/** nginx's text of any error: ConfigError with its location, others with their message. */
export function errorText(err: unknown): string {
  if (err instanceof ConfigError) return err.toString();
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * Loads (and reads the TLS files, as nginx does while loading), logs every warning at its level, and
 * returns the result or null after logging the error.
 */
export async function loadAndReport(options: LoadOptions, log: Logger): Promise<LoadResult | null> {
  try {
    const result = await loadChecked(options);
    logWarnings(result, log);
    return result;
  } catch (err) {
    log.emerg(errorText(err));
    return null;
  }
}

export function logWarnings(result: LoadResult, log: Logger): void {
  logConfigWarnings(result.warnings, log);
}

/** loadConfig plus the TLS file check; what a start, `-t` and a reload all go through. */
export async function loadChecked(options: LoadOptions): Promise<LoadResult> {
  const result = await loadConfig(options);
  const tlsWarnings = checkTlsFiles(result.config);
  if (tlsWarnings.length === 0) return result;
  return {
    config: result.config,
    warnings: [...result.warnings, ...tlsWarnings.map((message) => ({ level: 'warn' as const, message, source: null }))],
  };
}
