/**
 * `sessions`: connect, greeting, login, one command (IMAP SELECT, POP3 STAT, SMTP MAIL/RCPT/DATA of
 * --smtp-size), logout, at a fixed concurrency; sessions/s, login latency percentiles, proxy CPU per
 * session, errors by cause. The sweep reuses `sessionsPlan`.
 */
import type { MailProtocol } from '../load/job.js';
import type { LoadSpec } from '../load/pool.js';
import type { ProxyInstance } from '../proxies/types.js';
import { runCell, type CellPlan, type CellResult } from '../run/ab.js';
import type { BenchContext } from '../run/context.js';
import { runLoad, sessionMetrics } from '../run/measure.js';
import { withInstances } from './instances.js';
import type { ScenarioResult } from './types.js';

const COMMAND = { imap: 'SELECT', pop3: 'STAT', smtp: 'MAIL/RCPT/DATA' } as const;

export function sessionsPlan(
  ctx: BenchContext,
  protocol: MailProtocol,
  concurrency: number,
  key: string,
  params: Record<string, string | number>,
): CellPlan {
  const o = ctx.opts;
  const spec = (inst: ProxyInstance, durationMs: number): LoadSpec => ({
    kind: 'sessions',
    protocol,
    host: '127.0.0.1',
    port: inst.ports[protocol],
    concurrency,
    maxSessions: o.sessions,
    durationMs,
    sessionTimeoutMs: o.sessionTimeoutMs,
    users: ctx.backend.users,
    messageBytes: o.smtpBytes,
    resume: false,
    holdMaxMs: 0,
  });
  return {
    key,
    protocol,
    params: { concurrency, command: COMMAND[protocol], ...params },
    show: [
      'sessionsPerS',
      'cpuMsPerSession',
      'loginP99Ms',
      'loginP50Ms',
      'loginP90Ms',
      'loginP999Ms',
      'proxyCpuPct',
      'cpuUserMsPerSession',
      'cpuSysMsPerSession',
      'errors',
    ],
    run: async (inst, _round, label) => {
      const { load, cpu } = await runLoad(ctx, inst, spec(inst, o.seconds * 1000), label);
      return { metrics: sessionMetrics(load, cpu), cpu, load };
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

export async function sessionsScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const o = ctx.opts;
  const notes: string[] = [];
  const cells = await withInstances(
    ctx,
    { workers: o.workers, sessionsInFlight: o.concurrency, tls: false },
    notes,
    async (insts) => {
      const out: CellResult[] = [];
      for (const protocol of o.protocols) {
        out.push(
          await runCell(
            ctx,
            'sessions',
            insts,
            sessionsPlan(ctx, protocol, o.concurrency, protocol, { workers: o.workers }),
          ),
        );
      }
      return out;
    },
  );
  return {
    name: 'sessions',
    title: 'Sessions: connect, login, one command, logout',
    method:
      `${o.concurrency} sessions in flight, worker_processes ${o.workers}, each run at most ${o.seconds} s / ${o.sessions} sessions, ` +
      `${o.rounds} alternated rounds after a ${o.warmupSeconds} s warm-up; login latency is from sending the login ` +
      'command to its success reply (POP3: USER through PASS).',
    cells,
    notes,
    artifacts: [],
  };
}
