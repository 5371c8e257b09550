/**
 * `tls`: TLS handshakes per second on `listen … ssl` ports (connect, handshake, greeting, close),
 * without and with session resumption (the client offers the session it got last time; the proxies
 * have `ssl_session_cache shared:…` and tickets on by default), and STARTTLS sessions per second (the
 * `sessions` dialogue with STARTTLS/STLS before the login). RSA-2048 certificate.
 *
 * A proxy that does not complete a TLS handshake on its ssl port (a postern build whose workers do
 * not serve TLS yet) is left out with a note, so the scenario works before and after TLS lands.
 */
import { ClientConn, clientTlsOptions } from '../load/client-conn.js';
import { mailClient } from '../load/dialogues.js';
import type { MailProtocol } from '../load/job.js';
import type { LoadKind } from '../load/job.js';
import type { LoadSpec } from '../load/pool.js';
import type { ProxyInstance } from '../proxies/types.js';
import { benchMessage } from '../servers/message.js';
import { runCell, type CellPlan, type CellResult } from '../run/ab.js';
import type { BenchContext } from '../run/context.js';
import { handshakeMetrics, runLoad, sessionMetrics } from '../run/measure.js';
import { withInstances } from './instances.js';
import type { ScenarioResult } from './types.js';

/** Null when `inst` answers a TLS handshake and a greeting on its implicit-TLS port, else why not. */
export async function tlsProblem(inst: ProxyInstance, protocol: MailProtocol): Promise<string | null> {
  const port = inst.tlsPorts?.implicit[protocol];
  if (port === undefined) return 'no TLS servers configured';
  let conn: ClientConn | null = null;
  try {
    conn = await ClientConn.open('127.0.0.1', port, clientTlsOptions(null), 3_000);
    const c = conn;
    const timer = setTimeout(() => {
      c.destroy();
    }, 3_000);
    await mailClient(protocol, benchMessage(0)).greeting(c);
    clearTimeout(timer);
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    conn?.destroy();
  }
}

type TlsCase = 'handshake' | 'resumed' | 'starttls';

function tlsPlan(ctx: BenchContext, protocol: MailProtocol, tlsCase: TlsCase): CellPlan {
  const o = ctx.opts;
  const kind: LoadKind = tlsCase === 'starttls' ? 'starttls' : 'handshake';
  const spec = (inst: ProxyInstance, durationMs: number): LoadSpec => ({
    kind,
    protocol,
    host: '127.0.0.1',
    port: tlsCase === 'starttls' ? inst.tlsPorts!.starttls[protocol] : inst.tlsPorts!.implicit[protocol],
    concurrency: o.concurrency,
    maxSessions: o.sessions,
    durationMs,
    sessionTimeoutMs: o.sessionTimeoutMs,
    users: ctx.backend.users,
    messageBytes: o.smtpBytes,
    resume: tlsCase === 'resumed',
    holdMaxMs: 0,
  });
  const metrics = tlsCase === 'starttls' ? sessionMetrics : handshakeMetrics;
  return {
    key: `${protocol} ${tlsCase}`,
    protocol,
    params: { case: tlsCase, concurrency: o.concurrency },
    show:
      tlsCase === 'starttls'
        ? ['sessionsPerS', 'cpuMsPerSession', 'loginP99Ms', 'errors']
        : ['handshakesPerS', 'cpuMsPerSession', 'resumedPct', 'connectP99Ms', 'errors'],
    run: async (inst, _round, label) => {
      const { load, cpu } = await runLoad(ctx, inst, spec(inst, o.seconds * 1000), label);
      return { metrics: metrics(load, cpu), cpu, load };
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

export async function tlsScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const o = ctx.opts;
  const notes: string[] = [];
  const cells = await withInstances(
    ctx,
    { workers: o.workers, sessionsInFlight: o.concurrency, tls: true },
    notes,
    async (all) => {
      const insts: ProxyInstance[] = [];
      for (const inst of all) {
        const problem = await tlsProblem(inst, o.protocols[0]!);
        if (problem === null) insts.push(inst);
        else
          notes.push(
            `${inst.variant.id} left out: no TLS handshake on its ssl port (${problem.split('\n')[0]})`,
          );
      }
      const out: CellResult[] = [];
      if (insts.length === 0) return out;
      for (const protocol of o.protocols) {
        for (const c of ['handshake', 'resumed', 'starttls'] as const)
          out.push(await runCell(ctx, 'tls', insts, tlsPlan(ctx, protocol, c)));
      }
      return out;
    },
  );
  return {
    name: 'tls',
    title: 'TLS handshakes and STARTTLS sessions',
    method:
      `${o.concurrency} connections in flight, worker_processes ${o.workers}, RSA-2048 certificate, ` +
      '`ssl_protocols TLSv1.2 TLSv1.3` set for both (nginx 1.22 leaves TLS 1.3 out by default), both on ' +
      'OpenSSL 3; `resumed` offers the newest session the same client lane got (the one it just resumed ' +
      'when the server sent no new ticket).',
    cells,
    notes,
    artifacts: [],
  };
}
