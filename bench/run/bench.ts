/**
 * A whole bench run: host tuning, the proxies to compare, backend and auth responder, the load pool,
 * each requested scenario in turn, then the JSON, Markdown and chart files. Everything started here is
 * stopped here, also on failure.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { makeCerts } from '../../test/helpers/certs.js';
import { LoadPool } from '../load/pool.js';
import type { BenchOptions, ScenarioName } from '../options.js';
import type { ProxyVariant } from '../proxies/types.js';
import { RESULTS_DIR } from '../paths.js';
import { summarizeProfile, type ProfileSummary } from '../report/cpu-profile.js';
import { renderMarkdown } from '../report/markdown.js';
import { Progress } from '../report/progress.js';
import { renderTextTable } from '../report/text-table.js';
import type { BenchReport, VariantInfo } from '../report/types.js';
import { httpScenario } from '../scenarios/http.js';
import { idleScenario } from '../scenarios/idle.js';
import { relayScenario } from '../scenarios/relay.js';
import { sessionsScenario } from '../scenarios/sessions.js';
import { sweepScenario } from '../scenarios/sweep.js';
import { tlsScenario } from '../scenarios/tls.js';
import type { ScenarioResult, ScenarioRunner } from '../scenarios/types.js';
import { startDovecotBackend } from '../servers/dovecot-backend.js';
import { startAuthResponder, startFakeBackend, type AuthResponder, type Backend } from '../servers/launch.js';
import { hostInfo } from '../system/host-info.js';
import { tuneHost } from '../system/tuning.js';
import type { BenchContext } from './context.js';
import { resolveVariants } from './variants.js';

const RUNNERS: Record<ScenarioName, ScenarioRunner> = {
  sessions: sessionsScenario,
  relay: relayScenario,
  idle: idleScenario,
  tls: tlsScenario,
  sweep: sweepScenario,
  http: httpScenario,
};

export interface BenchOutcome {
  readonly report: BenchReport;
  readonly table: string;
  readonly files: { readonly json: string; readonly markdown: string; readonly artifacts: readonly string[] };
}

/** The busiest profile of each postern variant (its worker under load), summarized. */
function summarizeProfiles(
  profileDir: string | null,
  variants: readonly ProxyVariant[],
): BenchReport['profileSummaries'] {
  if (profileDir === null) return [];
  const out: { variant: string; summary: ProfileSummary }[] = [];
  for (const v of variants) {
    const dir = join(profileDir, v.id);
    if (!existsSync(dir)) continue;
    let best: ProfileSummary | null = null;
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.cpuprofile'))) {
      try {
        const s = summarizeProfile(join(dir, f));
        if (best === null || s.busyMs > best.busyMs) best = s;
      } catch {
        // a truncated profile (process killed while writing) is skipped
      }
    }
    if (best !== null) out.push({ variant: v.id, summary: best });
  }
  return out;
}

function stamp(d: Date): string {
  return d.toISOString().replace(/[:]/g, '').replace(/\..*$/, '').replace('T', '-');
}

export async function runBench(opts: BenchOptions, command: string): Promise<BenchOutcome> {
  const started = Date.now();
  const progress = new Progress(opts.quiet);
  const tuning = tuneHost();
  for (const c of tuning.changed) progress.log(`tuned: ${c}`);
  const warnings: string[] = [...tuning.warnings];
  const host = hostInfo();
  const outDir = opts.out ?? RESULTS_DIR;
  mkdirSync(outDir, { recursive: true });
  const base = `${stamp(new Date(started))}-${opts.scenarios.join('-')}`;
  const profileDir = opts.profile ? join(outDir, `${base}-profiles`) : null;
  if (profileDir !== null) mkdirSync(profileDir, { recursive: true });

  const v = resolveVariants(opts, (s) => {
    progress.log(s);
  });
  warnings.push(...v.warnings);
  let backend: Backend | null = null;
  let auth: AuthResponder | null = null;
  let pool: LoadPool | null = null;
  const scenarios: ScenarioResult[] = [];
  const configs: Record<string, string> = {};
  try {
    progress.update('starting backend and auth responder');
    backend =
      opts.backend === 'dovecot'
        ? await startDovecotBackend({ messageBytes: opts.relayBytes })
        : await startFakeBackend({ procs: opts.backendProcs, messageBytes: opts.relayBytes });
    auth = await startAuthResponder({ procs: opts.authProcs, backendPorts: backend.ports });
    pool = new LoadPool(opts.threads);
    let certs: Promise<{ certificate: string; key: string }> | null = null;
    const ctx: BenchContext = {
      opts,
      backend,
      auth,
      pool,
      variants: v.variants,
      progress,
      warnings,
      profileDir,
      configs,
      certificates: () =>
        (certs ??= makeCerts().then((c) => ({ certificate: c.serverRsa.cert, key: c.serverRsa.key }))),
    };
    for (const name of opts.scenarios) {
      progress.log(`== ${name}`);
      scenarios.push(await RUNNERS[name](ctx));
      progress.clear();
    }
  } finally {
    progress.update('stopping');
    await pool?.destroy();
    await auth?.stop();
    await backend?.stop();
    v.cleanup();
    progress.clear();
  }

  const profiles =
    profileDir === null
      ? []
      : readdirSync(profileDir, { recursive: true, encoding: 'utf8' })
          .filter((f) => f.endsWith('.cpuprofile'))
          .map((f) => join(profileDir, f));
  const variants: VariantInfo[] = v.variants.map((x) => ({
    id: x.id,
    kind: x.kind,
    keepalive: x.keepalive,
    acceptPolicy: x.acceptPolicy,
    build: x.entry?.build ?? host.nginx ?? 'nginx',
    runtime: x.entry === null ? 'native' : x.entry.execArgv.length > 0 ? 'tsx' : 'compiled',
  }));
  const report: BenchReport = {
    schema: 1,
    host,
    command,
    options: opts,
    tuning,
    backend:
      opts.backend === 'dovecot'
        ? 'Dovecot for IMAP/POP3 (fake SMTP)'
        : `fake IMAP/POP3/SMTP servers, ${opts.backendProcs} process(es)`,
    variants,
    configs,
    scenarios,
    warnings,
    profiles,
    profileSummaries: summarizeProfiles(profileDir, v.variants),
    loadAvgEnd: loadavg().map((x) => Math.round(x * 100) / 100),
    durationS: (Date.now() - started) / 1000,
  };
  const artifactFiles: Record<string, string> = {};
  const artifacts: string[] = [];
  for (const s of scenarios) {
    for (const a of s.artifacts) {
      const file = `${stamp(new Date(started))}-${a.name}`;
      writeFileSync(join(outDir, file), a.content);
      artifactFiles[a.name] = file;
      artifacts.push(join(outDir, file));
    }
  }
  const json = join(outDir, `${base}.json`);
  const markdown = join(outDir, `${base}.md`);
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(markdown, renderMarkdown(report, artifactFiles));
  return { report, table: renderTextTable(scenarios), files: { json, markdown, artifacts } };
}
