/**
 * The catalogue of numbers a run produces: label, unit, which direction is better, digits shown.
 * Reports and ratios are generic over it, so a scenario only says which metrics it records.
 */

export interface MetricDef {
  readonly label: string;
  readonly better: 'higher' | 'lower';
  readonly digits: number;
}

export const METRICS = {
  sessionsPerS: { label: 'sessions/s', better: 'higher', digits: 0 },
  cpuMsPerSession: { label: 'proxy CPU ms/session', better: 'lower', digits: 3 },
  cpuUserMsPerSession: { label: 'proxy user ms/session', better: 'lower', digits: 3 },
  cpuSysMsPerSession: { label: 'proxy kernel ms/session', better: 'lower', digits: 3 },
  proxyCpuPct: { label: 'proxy CPU %', better: 'lower', digits: 0 },
  loginP50Ms: { label: 'login p50 ms', better: 'lower', digits: 2 },
  loginP90Ms: { label: 'login p90 ms', better: 'lower', digits: 2 },
  loginP99Ms: { label: 'login p99 ms', better: 'lower', digits: 2 },
  loginP999Ms: { label: 'login p99.9 ms', better: 'lower', digits: 2 },
  sessionP50Ms: { label: 'session p50 ms', better: 'lower', digits: 2 },
  sessionP99Ms: { label: 'session p99 ms', better: 'lower', digits: 2 },
  connectP99Ms: { label: 'greeting p99 ms', better: 'lower', digits: 2 },
  mbPerS: { label: 'MB/s', better: 'higher', digits: 1 },
  cpuMsPerMB: { label: 'proxy CPU ms/MB', better: 'lower', digits: 2 },
  transferP50Ms: { label: 'transfer p50 ms', better: 'lower', digits: 1 },
  idleSessions: { label: 'idle sessions', better: 'higher', digits: 0 },
  rssKiBPerSession: { label: 'RSS KiB/session', better: 'lower', digits: 2 },
  pssKiBPerSession: { label: 'PSS KiB/session', better: 'lower', digits: 2 },
  rssKiBPerSessionFromRest: { label: 'RSS KiB/session from rest', better: 'lower', digits: 2 },
  baseRssMiB: { label: 'RSS MiB at rest', better: 'lower', digits: 1 },
  loadedRssMiB: { label: 'RSS MiB loaded', better: 'lower', digits: 1 },
  handshakesPerS: { label: 'handshakes/s', better: 'higher', digits: 0 },
  resumedPct: { label: 'resumed %', better: 'higher', digits: 0 },
  requestsPerS: { label: 'requests/s', better: 'higher', digits: 0 },
  errors: { label: 'errors', better: 'lower', digits: 0 },
} as const satisfies Record<string, MetricDef>;

export type MetricKey = keyof typeof METRICS;

export type Metrics = Partial<Record<MetricKey, number>>;

export function formatMetric(key: MetricKey, v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  return v.toFixed(METRICS[key].digits);
}
