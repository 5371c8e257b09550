/**
 * `relay`: a few sessions log in once and then move a large message again and again until the time
 * is up: IMAP FETCH and POP3 RETR pull it through the proxy, SMTP DATA pushes it. MB/s counts the bytes
 * the clients sent and received (10^6 bytes), and proxy CPU per MB.
 */
import type { MailProtocol } from '../load/job.js';
import type { LoadSpec } from '../load/pool.js';
import type { ProxyInstance } from '../proxies/types.js';
import { runCell, type CellPlan, type CellResult } from '../run/ab.js';
import type { BenchContext } from '../run/context.js';
import { relayMetrics, runLoad } from '../run/measure.js';
import { withInstances } from './instances.js';
import type { ScenarioResult } from './types.js';

const DIRECTION = { imap: 'download (FETCH)', pop3: 'download (RETR)', smtp: 'upload (DATA)' } as const;

function relayPlan(ctx: BenchContext, protocol: MailProtocol): CellPlan {
  const o = ctx.opts;
  const spec = (inst: ProxyInstance, durationMs: number): LoadSpec => ({
    kind: 'relay',
    protocol,
    host: '127.0.0.1',
    port: inst.ports[protocol],
    concurrency: o.relaySessions,
    maxSessions: o.relaySessions,
    durationMs,
    sessionTimeoutMs: Math.max(o.sessionTimeoutMs, 30_000),
    users: ctx.backend.users,
    messageBytes: o.relayBytes,
    resume: false,
    holdMaxMs: 0,
  });
  return {
    key: protocol,
    protocol,
    params: { sessions: o.relaySessions, messageBytes: o.relayBytes, direction: DIRECTION[protocol] },
    show: ['mbPerS', 'cpuMsPerMB', 'transferP50Ms', 'proxyCpuPct', 'errors'],
    run: async (inst, _round, label) => {
      const { load, cpu } = await runLoad(ctx, inst, spec(inst, o.seconds * 1000), label);
      return { metrics: relayMetrics(load, cpu), cpu, load };
    },
    ...(o.warmupSeconds > 0
      ? {
          warmup: async (inst: ProxyInstance, label: string) => {
            await runLoad(ctx, inst, spec(inst, o.warmupSeconds * 1000), label);
          },
        }
      : {}),
  };
}

export async function relayScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const o = ctx.opts;
  const notes: string[] = [];
  const cells = await withInstances(
    ctx,
    { workers: o.workers, sessionsInFlight: o.relaySessions, tls: false },
    notes,
    async (insts) => {
      const out: CellResult[] = [];
      for (const protocol of o.protocols)
        out.push(await runCell(ctx, 'relay', insts, relayPlan(ctx, protocol)));
      return out;
    },
  );
  return {
    name: 'relay',
    title: 'Relay throughput',
    method:
      `${o.relaySessions} sessions each moving a ${o.relayBytes}-byte message repeatedly for ${o.seconds} s, worker_processes ` +
      `${o.workers}, proxy_buffer ${o.proxyBuffer ?? 'default (4k)'}; MB = 10^6 bytes, both directions counted.`,
    cells,
    notes,
    artifacts: [],
  };
}
