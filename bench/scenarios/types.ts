/**
 * What a scenario returns: its cells (one per protocol and parameter set, each with every proxy's
 * runs), notes for the report, and extra files (the sweep's SVG chart).
 */
import type { ScenarioName } from '../options.js';
import type { CellResult } from '../run/ab.js';
import type { BenchContext } from '../run/context.js';

export interface Artifact {
  /** file name suffix, e.g. `sweep-imap.svg` */
  readonly name: string;
  readonly content: string;
}

export interface ScenarioResult {
  readonly name: ScenarioName;
  readonly title: string;
  /** what was measured and how, one line */
  readonly method: string;
  readonly cells: readonly CellResult[];
  readonly notes: readonly string[];
  readonly artifacts: readonly Artifact[];
  /** HTTP benches: rows that are not proxy A/B cells */
  readonly httpRows?: readonly HttpRow[];
}

export interface HttpRow {
  /** the endpoint's id */
  readonly target: string;
  readonly url: string;
  /** how the requests were sent */
  readonly loader: string;
  /** 2xx answers */
  readonly requests: number;
  readonly requestsPerS: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  /** CPU of the serving processes (utime+stime) per 2xx answer, microseconds */
  readonly serverCpuUsPerRequest: number;
  readonly errors: number;
  readonly note: string;
}

export type ScenarioRunner = (ctx: BenchContext) => Promise<ScenarioResult>;
