/**
 * `http`: each endpoint of http-targets.ts in turn, --concurrency connections, bounded by --seconds and
 * --sessions (as requests): autocannon (HTTP/1.1 keep-alive) or, for HTTP/1.0 and for endpoints that
 * close every connection, the one-request-per-connection loader. Besides requests/s and
 * latency, the serving processes' CPU per request (from /proc, so the load generator's and the
 * neighbours' share does not count): on a 2-core machine shared with the load generator, that is the
 * steadier number.
 */
import autocannon from 'autocannon';
import { runOneShot } from '../load/http-oneshot.js';
import type { BenchContext } from '../run/context.js';
import { sumCpuMs } from '../system/proc-stats.js';
import { HTTP_TARGETS, type HttpEndpoint } from './http-targets.js';
import type { HttpRow, ScenarioResult } from './types.js';

interface Measured {
  readonly requests: number;
  readonly seconds: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
}

async function measure(ctx: BenchContext, ep: HttpEndpoint): Promise<Measured> {
  const o = ctx.opts;
  const seconds = Math.max(1, Math.round(o.seconds));
  const maxRequests = Math.max(o.sessions, o.concurrency);
  if (ep.oneShot !== undefined) {
    const u = new URL(ep.url);
    const r = await runOneShot({
      host: u.hostname,
      port: Number(u.port),
      path: `${u.pathname}${u.search}`,
      headers: ep.headers ?? {},
      version: ep.oneShot,
      connections: o.concurrency,
      seconds,
      maxRequests,
      timeoutMs: o.sessionTimeoutMs,
    });
    return {
      requests: r.ok,
      seconds: r.elapsedS,
      p50: r.latencyP50Ms,
      p99: r.latencyP99Ms,
      errors: r.errors + r.non2xx,
    };
  }
  const t0 = performance.now();
  const r = await autocannon({
    url: ep.url,
    method: ep.method ?? 'GET',
    ...(ep.headers === undefined ? {} : { headers: { ...ep.headers } }),
    connections: o.concurrency,
    duration: seconds,
    maxOverallRequests: maxRequests,
    timeout: Math.ceil(o.sessionTimeoutMs / 1000),
  });
  return {
    // 2xx answers only: the rate and the CPU per request are of requests served as asked.
    requests: r.requests.total - r.non2xx,
    seconds: (performance.now() - t0) / 1000,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts + r.non2xx,
  };
}

export async function httpScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const o = ctx.opts;
  const rows: HttpRow[] = [];
  const notes: string[] = [];
  for (const t of HTTP_TARGETS) {
    ctx.progress.update(`http ${t.id}: starting`);
    let setup;
    try {
      setup = await t.prepare(ctx);
    } catch (err) {
      notes.push(`${t.id}: not measured (it did not start: ${(err as Error).message.split('\n')[0] ?? ''})`);
      continue;
    }
    if ('skip' in setup) {
      notes.push(`${t.id}: not measured (${setup.skip})`);
      continue;
    }
    try {
      for (const ep of setup.endpoints) {
        ctx.progress.update(`http ${ep.id}: ${ep.oneShot ?? 'autocannon'} ${o.seconds}s`);
        const before = sumCpuMs(setup.pids());
        const m = await measure(ctx, ep);
        const cpuMs = sumCpuMs(setup.pids()) - before;
        const row: HttpRow = {
          target: ep.id,
          url: ep.url,
          loader:
            ep.oneShot === undefined
              ? 'autocannon, HTTP/1.1 keep-alive'
              : `${ep.oneShot}, a connection per request`,
          requests: m.requests,
          requestsPerS: m.seconds > 0 ? m.requests / m.seconds : 0,
          latencyP50Ms: m.p50,
          latencyP99Ms: m.p99,
          serverCpuUsPerRequest: m.requests > 0 ? (cpuMs * 1000) / m.requests : NaN,
          errors: m.errors,
          note: ep.note,
        };
        rows.push(row);
        ctx.progress.log(
          `http ${ep.id}: ${Math.round(row.requestsPerS)} requests/s, p99 ${row.latencyP99Ms} ms, ` +
            `server CPU ${row.serverCpuUsPerRequest.toFixed(0)} µs/request, errors ${row.errors}`,
        );
      }
    } finally {
      await setup.stop();
    }
  }
  return {
    name: 'http',
    title: 'HTTP endpoints (autocannon)',
    method:
      `${o.concurrency} connections per endpoint, ${Math.max(1, Math.round(o.seconds))} s each; autocannon for HTTP/1.1 ` +
      'keep-alive, a one-request-per-connection loader for HTTP/1.0 and for the status endpoints (which close ' +
      'every connection). Server CPU is ' +
      "the serving processes' utime+stime over the run divided by the 2xx answers.",
    cells: [],
    notes,
    artifacts: [],
    httpRows: rows,
  };
}
