/**
 * The whole result of a bench run, as written to JSON and rendered to Markdown and the final table.
 */
import type { BenchOptions } from '../options.js';
import type { ScenarioResult } from '../scenarios/types.js';
import type { HostInfo } from '../system/host-info.js';
import type { TuningReport } from '../system/tuning.js';
import type { ProfileSummary } from './cpu-profile.js';

export interface VariantInfo {
  readonly id: string;
  readonly kind: 'nginx' | 'postern';
  readonly keepalive: number;
  /** postern's accept_policy (absent in results written before it was recorded) */
  readonly acceptPolicy?: 'shared' | 'least_conn';
  /** `working tree`, `<ref> (<sha>)`, or nginx's version */
  readonly build: string;
  /** how postern ran: compiled JS, or TypeScript through tsx (not for numbers that matter) */
  readonly runtime: 'compiled' | 'tsx' | 'native';
}

export interface BenchReport {
  readonly schema: 1;
  readonly host: HostInfo;
  readonly command: string;
  readonly options: BenchOptions;
  readonly tuning: TuningReport;
  readonly backend: string;
  readonly variants: readonly VariantInfo[];
  /** variant id → the configuration file it ran with (first scenario's) */
  readonly configs: Readonly<Record<string, string>>;
  readonly scenarios: readonly ScenarioResult[];
  readonly warnings: readonly string[];
  /** CPU profiles written with --profile */
  readonly profiles: readonly string[];
  /** per postern variant, the summary of its busiest profile (the worker under load) */
  readonly profileSummaries: readonly { readonly variant: string; readonly summary: ProfileSummary }[];
  readonly loadAvgEnd: readonly number[];
  readonly durationS: number;
}
