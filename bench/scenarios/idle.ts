/**
 * `idle`: K sessions logged in (IMAP after SELECT, POP3 after PASS, SMTP after AUTH) and held open;
 * the growth of the proxy's resident memory (primary and workers summed, RSS and PSS) divided by the
 * sessions held, on a freshly started proxy per run.
 */
import type { MailProtocol } from '../load/job.js';
import type { LoadSpec } from '../load/pool.js';
import type { ProxyInstance } from '../proxies/types.js';
import { cellResult, logRun, roundOrder, type CellPlan, type CellResult } from '../run/ab.js';
import type { BenchContext } from '../run/context.js';
import { runIdle, type RunRecord } from '../run/measure.js';
import { startVariant } from './instances.js';
import type { ScenarioResult } from './types.js';

/** Time for memory to settle after the last login (timers armed, buffers returned): 1 ms per session, 0.1–1 s. */
function settleMs(sessions: number): number {
  return Math.min(1_000, Math.max(100, sessions));
}

/**
 * The load that logs `sessions` sessions in and holds them until released or `holdMaxMs` passes (the
 * idle scenario's measurement, and the open sessions behind the http scenario's scrapes).
 */
export function idleJob(
  ctx: BenchContext,
  inst: ProxyInstance,
  protocol: MailProtocol,
  sessions: number,
  holdMaxMs: number,
): LoadSpec {
  const o = ctx.opts;
  return {
    kind: 'idle',
    protocol,
    host: '127.0.0.1',
    port: inst.ports[protocol],
    concurrency: sessions,
    maxSessions: sessions,
    durationMs: 3_600_000,
    sessionTimeoutMs: Math.max(o.sessionTimeoutMs, 30_000),
    users: ctx.backend.users,
    messageBytes: o.smtpBytes,
    resume: false,
    holdMaxMs,
  };
}

function idlePlan(ctx: BenchContext, protocol: MailProtocol): CellPlan {
  const o = ctx.opts;
  const k = o.idleSessions;
  return {
    key: protocol,
    protocol,
    params: { sessions: k },
    show: [
      'rssKiBPerSession',
      'pssKiBPerSession',
      'rssKiBPerSessionFromRest',
      'baseRssMiB',
      'loadedRssMiB',
      'idleSessions',
      'errors',
    ],
    run: async (inst, _round, label) =>
      runIdle(
        ctx,
        inst,
        // Bounded: logins at ~1 ms each plus a margin; the runner releases as soon as it has sampled.
        idleJob(ctx, inst, protocol, k, 60_000 + k * 20),
        label,
        settleMs(k),
      ),
  };
}

export async function idleScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const o = ctx.opts;
  const notes: string[] = [];
  const cells: CellResult[] = [];
  const io = { workers: o.workers, sessionsInFlight: o.idleSessions, tls: false };
  for (const protocol of o.protocols) {
    const plan = idlePlan(ctx, protocol);
    const runs: RunRecord[] = [];
    const started = new Set<string>();
    for (let r = 0; r < o.rounds; r++) {
      for (const variant of roundOrder(ctx.variants, r)) {
        // A fresh process per run: a garbage-collected heap that grew in an earlier run hides the
        // per-session growth (its RSS moves by more than thousands of sessions take).
        const inst = await startVariant(ctx, variant, io, notes);
        if (inst === null) continue;
        started.add(variant.id);
        try {
          const label = `idle ${plan.key} ${variant.id} round ${r + 1}/${o.rounds}`;
          const rec = await plan.run(inst, r, label);
          runs.push({ ...rec, target: variant.id, round: r });
          logRun(ctx, plan, label, rec);
        } finally {
          await inst.stop();
        }
      }
    }
    cells.push(
      cellResult(
        plan,
        ctx.variants.filter((v) => started.has(v.id)),
        runs,
      ),
    );
  }
  return {
    name: 'idle',
    title: 'Memory per idle proxied session',
    method:
      `${o.idleSessions} logged-in sessions held open, worker_processes ${o.workers}, a freshly started proxy per run, ` +
      'memory summed over the primary and workers. KiB/session is the slope between holding half and all of ' +
      'the sessions (the cost of one more session); "from rest" divides the whole growth since before the ' +
      'first login by the sessions held, so it also carries one-time growth (code compiled and pools filled ' +
      "on first use). PSS does not count the master's pages shared with its forked workers twice. Each " +
      'memory figure is the median of 3 samples.',
    cells,
    notes,
    artifacts: [],
  };
}
