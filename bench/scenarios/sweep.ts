/**
 * `sweep`: the `sessions` scenario at each worker_processes of --sweep-workers and each concurrency of
 * --sweep-concurrency, for the first protocol of --protocols, so an operator can pick a worker count.
 * Every proxy is restarted per worker count. Reported as a table and an SVG chart (sessions/s against
 * workers, one line per proxy and concurrency, whiskers = min–max of the rounds).
 */
import { runCell, type CellResult } from '../run/ab.js';
import type { BenchContext } from '../run/context.js';
import { colorFor, dashFor, renderLineChart, type ChartSeries } from '../report/svg.js';
import { withInstances } from './instances.js';
import { sessionsPlan } from './sessions.js';
import type { ScenarioResult } from './types.js';

/** The chart for sweep cells: sessions/s by workers, per target and concurrency. */
export function sweepChart(cells: readonly CellResult[], title: string): string {
  const workers = [...new Set(cells.map((c) => Number(c.params.workers)))].sort((a, b) => a - b);
  const concurrencies = [...new Set(cells.map((c) => Number(c.params.concurrency)))].sort((a, b) => a - b);
  const targets = [...new Set(cells.flatMap((c) => c.targets))];
  const series: ChartSeries[] = [];
  targets.forEach((t, ti) => {
    concurrencies.forEach((conc, ci) => {
      const points = cells
        .filter((c) => Number(c.params.concurrency) === conc && c.summary[t]?.sessionsPerS !== undefined)
        .map((c) => {
          const s = c.summary[t]!.sessionsPerS!;
          return { x: Number(c.params.workers), y: s.median, lo: s.min, hi: s.max };
        });
      series.push({ name: `${t} c=${conc}`, color: colorFor(t, ti), dash: dashFor(ci), points });
    });
  });
  return renderLineChart({ title, xLabel: 'worker_processes', yLabel: 'sessions/s', xs: workers, series });
}

export async function sweepScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const o = ctx.opts;
  const protocol = o.protocols[0]!;
  const notes: string[] = [];
  const cells: CellResult[] = [];
  const maxConc = Math.max(...o.sweepConcurrency);
  for (const workers of o.sweepWorkers) {
    await withInstances(ctx, { workers, sessionsInFlight: maxConc, tls: false }, notes, async (insts) => {
      for (const concurrency of o.sweepConcurrency) {
        const key = `${protocol} w=${workers} c=${concurrency}`;
        cells.push(
          await runCell(ctx, 'sweep', insts, sessionsPlan(ctx, protocol, concurrency, key, { workers })),
        );
      }
    });
  }
  const title = `${protocol.toUpperCase()} sessions/s by worker_processes (${o.seconds} s runs, median of ${o.rounds})`;
  return {
    name: 'sweep',
    title: 'Worker sweep',
    method:
      `the sessions scenario (${protocol}) at worker_processes ${o.sweepWorkers.join(', ')} × concurrency ` +
      `${o.sweepConcurrency.join(', ')}; every proxy restarted per worker count.`,
    cells,
    notes,
    artifacts: [{ name: `sweep-${protocol}.svg`, content: sweepChart(cells, title) }],
  };
}
