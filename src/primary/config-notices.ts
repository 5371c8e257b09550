/**
 * What the primary logs about a configuration it is about to run: the loader's warnings after a HUP
 * re-read (at start the CLI logs them) and one notice per ignored directive (at start and after each
 * reload), each naming where it was written.
 *
 * Owns: those lines' text. Does not own loading (config/) or deciding whether the configuration runs.
 */
import type { MainConfig } from '../config/types.js';
import type { ConfigWarning } from '../config/load.js';
import type { Logger } from '../log/types.js';

/** Each warning at its own level, with ` in <file>:<line>` when it has a source. */
export function logConfigWarnings(warnings: readonly ConfigWarning[], log: Logger): void {
  for (const w of warnings) {
    const where = w.source === null ? '' : ` in ${w.source.file}:${w.source.line}`;
    log.log(w.level, `${w.message}${where}`);
  }
}

/** One notice per ignored directive name (its first occurrence). */
export function logIgnoredDirectives(config: MainConfig, log: Logger): void {
  const seen = new Set<string>();
  for (const d of config.ignored) {
    if (seen.has(d.name)) continue;
    seen.add(d.name);
    log.notice(`the "${d.name}" directive is ignored in ${d.source.file}:${d.source.line}`);
  }
}
