/**
 * `http`: autocannon against each endpoint of http-targets.ts, keep-alive connections at
 * --concurrency, bounded by --seconds and --sessions (as requests).
 */
import autocannon from 'autocannon';
import type { BenchContext } from '../run/context.js';
import { HTTP_TARGETS } from './http-targets.js';
import type { HttpRow, ScenarioResult } from './types.js';

export async function httpScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const o = ctx.opts;
  const rows: HttpRow[] = [];
  const notes: string[] = [];
  for (const t of HTTP_TARGETS) {
    const ep = await t.prepare(ctx);
    if ('skip' in ep) {
      notes.push(`${t.id}: not measured (${ep.skip})`);
      continue;
    }
    try {
      ctx.progress.update(`http ${t.id}: autocannon ${o.seconds}s`);
      const r = await autocannon({
        url: ep.url,
        method: ep.method ?? 'GET',
        ...(ep.headers === undefined ? {} : { headers: ep.headers }),
        connections: o.concurrency,
        duration: Math.max(1, Math.round(o.seconds)),
        maxOverallRequests: Math.max(o.sessions, o.concurrency),
        timeout: Math.ceil(o.sessionTimeoutMs / 1000),
      });
      const row: HttpRow = {
        target: t.id,
        url: ep.url,
        requestsPerS: r.requests.average,
        latencyP50Ms: r.latency.p50,
        latencyP99Ms: r.latency.p99,
        errors: r.errors + r.timeouts + r.non2xx,
        note: ep.note,
      };
      rows.push(row);
      ctx.progress.log(
        `http ${t.id}: ${Math.round(row.requestsPerS)} requests/s, p99 ${row.latencyP99Ms} ms, errors ${row.errors}`,
      );
    } finally {
      await ep.stop();
    }
  }
  return {
    name: 'http',
    title: 'HTTP endpoints (autocannon)',
    method: `autocannon, ${o.concurrency} keep-alive connections, ${Math.max(1, Math.round(o.seconds))} s per endpoint.`,
    cells: [],
    notes,
    artifacts: [],
    httpRows: rows,
  };
}
