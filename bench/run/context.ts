/**
 * Everything a scenario needs during a bench run, created once by run/bench.ts: options, the backend
 * and auth responder, the load pool, the proxy variants, progress output and collected warnings.
 */
import type { LoadPool } from '../load/pool.js';
import type { BenchOptions } from '../options.js';
import type { ProxyVariant } from '../proxies/types.js';
import type { Progress } from '../report/progress.js';
import type { AuthResponder, Backend } from '../servers/launch.js';

export interface BenchContext {
  readonly opts: BenchOptions;
  readonly backend: Backend;
  readonly auth: AuthResponder;
  readonly pool: LoadPool;
  /** the proxies compared in every scenario, baseline (nginx, when compared) first */
  readonly variants: readonly ProxyVariant[];
  readonly progress: Progress;
  /** warnings for the report (tuning that could not be applied, a worker that restarted...) */
  readonly warnings: string[];
  /** certificate and key for the tls scenario, made on first use */
  certificates(): Promise<{ certificate: string; key: string }>;
  /** directory for CPU profiles (with --profile), else null */
  readonly profileDir: string | null;
  /** variant id → configuration text, filled as proxies start (first one kept) */
  readonly configs: Record<string, string>;
}
