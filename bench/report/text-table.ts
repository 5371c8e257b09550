/**
 * The one-screen text table printed at the end: per scenario cell and proxy, the headline metrics
 * (medians) and the headline ratio against the baseline.
 */
import type { ScenarioResult } from '../scenarios/types.js';
import { METRICS, formatMetric } from './metrics.js';
import { formatRatio } from './stats.js';

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

export function renderTextTable(scenarios: readonly ScenarioResult[]): string {
  const lines: string[] = [];
  for (const s of scenarios) {
    for (const c of s.cells) {
      const keys = c.show.slice(0, 3);
      // A label longer than the column still gets a separating space.
      const head = keys.map((k) => pad(METRICS[k].label, 22, true).padStart(METRICS[k].label.length + 1)).join('');
      lines.push(`${pad(`${s.name} ${c.key}`, 34)}${head}  ratio (${METRICS[keys[0]!].label})`);
      for (const t of c.targets) {
        const vals = keys.map((k) => pad(formatMetric(k, c.summary[t]?.[k]?.median), 22, true)).join('');
        const ratios = Object.entries(c.ratios[t] ?? {})
          .map(([b, r]) => `${formatRatio(r[keys[0]!])} vs ${b}`)
          .join(', ');
        lines.push(`  ${pad(t, 32)}${vals}  ${ratios}`);
      }
    }
    for (const x of s.httpRows ?? []) {
      lines.push(
        `${pad(`http ${x.target}`, 34)}${pad(`${x.requestsPerS.toFixed(0)} req/s`, 22, true)}${pad(`p99 ${x.latencyP99Ms.toFixed(2)} ms`, 22, true)}${pad(`${Number.isFinite(x.serverCpuUsPerRequest) ? x.serverCpuUsPerRequest.toFixed(0) : '–'} µs CPU/req`, 22, true)}`,
      );
    }
  }
  return lines.join('\n');
}
