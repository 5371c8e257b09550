/**
 * One measured run of load against one proxy instance: CPU time of the proxy's processes (and, for
 * context, of the backend, the auth responder and the load generator) before and after, the load's
 * merged result, and the metrics derived from them.
 *
 * Owns: the accounting around a run and the live progress line during it. Does not own the load
 * (load/pool.ts) or the order of runs (ab.ts). Idle runs (memory per held session) are here too:
 * they sample RSS/PSS at rest and with every session held.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadSpec, MergedLoad } from '../load/pool.js';
import type { ProxyInstance } from '../proxies/types.js';
import type { Metrics } from '../report/metrics.js';
import { cpuMs, sumCpuMs, sumCpuSplitMs, sumMemory, type MemorySample } from '../system/proc-stats.js';
import type { BenchContext } from './context.js';

/** CPU milliseconds spent during a run, by party. */
export interface CpuSplit {
  readonly proxyMs: number;
  /** the proxy's CPU split: user space and kernel (utime and stime of its processes) */
  readonly proxyUserMs: number;
  readonly proxySysMs: number;
  readonly backendMs: number;
  readonly authMs: number;
  /** this process: the load generator threads and the harness */
  readonly loadMs: number;
}

export interface RunRecord {
  readonly target: string;
  readonly round: number;
  readonly metrics: Metrics;
  readonly cpu: CpuSplit;
  readonly load: MergedLoad;
  readonly memory?: {
    readonly rest: MemorySample;
    readonly half: MemorySample;
    readonly loaded: MemorySample;
    readonly halfHeld: number;
    readonly held: number;
  };
}

interface CpuSnapshot {
  proxy: number;
  proxyUser: number;
  proxySys: number;
  backend: number;
  auth: number;
  load: number;
}

function snapshot(ctx: BenchContext, pids: readonly number[]): CpuSnapshot {
  const split = sumCpuSplitMs(pids);
  return {
    proxy: split.userMs + split.sysMs,
    proxyUser: split.userMs,
    proxySys: split.sysMs,
    backend: sumCpuMs(ctx.backend.pids()),
    auth: sumCpuMs(ctx.auth.pids()),
    load: cpuMs(process.pid) ?? 0,
  };
}

function diff(a: CpuSnapshot, b: CpuSnapshot): CpuSplit {
  return {
    proxyMs: b.proxy - a.proxy,
    proxyUserMs: b.proxyUser - a.proxyUser,
    proxySysMs: b.proxySys - a.proxySys,
    backendMs: b.backend - a.backend,
    authMs: b.auth - a.auth,
    loadMs: b.load - a.load,
  };
}

/** Runs `spec` against `inst` with a progress line; `label` names the run on that line. */
export async function runLoad(
  ctx: BenchContext,
  inst: ProxyInstance,
  spec: LoadSpec,
  label: string,
): Promise<{ load: MergedLoad; cpu: CpuSplit }> {
  const pids = inst.pids();
  const before = snapshot(ctx, pids);
  const t0 = performance.now();
  const running = ctx.pool.start(spec);
  const ticker = setInterval(() => {
    const p = running.progress();
    const s = (performance.now() - t0) / 1000;
    const rate = s > 0 ? Math.round(p.completed / s) : 0;
    const mb = p.kib > 0 ? ` ${(p.kib / 1024 / s).toFixed(0)} MiB/s` : '';
    ctx.progress.update(
      `${label}  ${s.toFixed(1)}s  ${p.completed} done (${rate}/s)${mb}  errors ${p.errors}`,
    );
  }, 250);
  let load: MergedLoad;
  try {
    load = await running.done;
  } finally {
    clearInterval(ticker);
  }
  const after = snapshot(ctx, pids);
  const now = inst.pids();
  if (now.length !== pids.length || now.some((p) => !pids.includes(p))) {
    ctx.warnings.push(
      `${label}: the set of ${inst.variant.id} processes changed during the run (a worker exited?)`,
    );
  }
  return { load, cpu: diff(before, after) };
}

/** Metrics of a `sessions` / `starttls` run. */
export function sessionMetrics(load: MergedLoad, cpu: CpuSplit): Metrics {
  const s = load.windowMs / 1000;
  const l = load.latency;
  return {
    sessionsPerS: s > 0 ? load.completed / s : 0,
    cpuMsPerSession: load.completed > 0 ? cpu.proxyMs / load.completed : NaN,
    cpuUserMsPerSession: load.completed > 0 ? cpu.proxyUserMs / load.completed : NaN,
    cpuSysMsPerSession: load.completed > 0 ? cpu.proxySysMs / load.completed : NaN,
    proxyCpuPct: load.windowMs > 0 ? (cpu.proxyMs / load.windowMs) * 100 : 0,
    loginP50Ms: l.login.p50Ms,
    loginP90Ms: l.login.p90Ms,
    loginP99Ms: l.login.p99Ms,
    loginP999Ms: l.login.p999Ms,
    sessionP50Ms: l.session.p50Ms,
    sessionP99Ms: l.session.p99Ms,
    connectP99Ms: l.connect.p99Ms,
    errors: load.errorCount,
  };
}

/** Metrics of a `relay` run: bytes both ways over the window. */
export function relayMetrics(load: MergedLoad, cpu: CpuSplit): Metrics {
  const s = load.windowMs / 1000;
  const mb = (load.bytesIn + load.bytesOut) / 1e6;
  return {
    mbPerS: s > 0 ? mb / s : 0,
    cpuMsPerMB: mb > 0 ? cpu.proxyMs / mb : NaN,
    proxyCpuPct: load.windowMs > 0 ? (cpu.proxyMs / load.windowMs) * 100 : 0,
    transferP50Ms: load.latency.session.p50Ms,
    loginP99Ms: load.latency.login.p99Ms,
    errors: load.errorCount,
  };
}

/** Metrics of a TLS `handshake` run. */
export function handshakeMetrics(load: MergedLoad, cpu: CpuSplit): Metrics {
  const s = load.windowMs / 1000;
  return {
    handshakesPerS: s > 0 ? load.completed / s : 0,
    cpuMsPerSession: load.completed > 0 ? cpu.proxyMs / load.completed : NaN,
    cpuUserMsPerSession: load.completed > 0 ? cpu.proxyUserMs / load.completed : NaN,
    cpuSysMsPerSession: load.completed > 0 ? cpu.proxySysMs / load.completed : NaN,
    resumedPct: load.completed > 0 ? (load.resumed / load.completed) * 100 : 0,
    connectP99Ms: load.latency.connect.p99Ms,
    errors: load.errorCount,
  };
}

/** Samples memory a few times, `gapMs` apart, and keeps the median-RSS sample. */
async function settledMemory(pids: () => number[], samples: number, gapMs: number): Promise<MemorySample> {
  const got: MemorySample[] = [];
  for (let i = 0; i < samples; i++) {
    if (i > 0) await sleep(gapMs);
    got.push(sumMemory(pids()));
  }
  got.sort((a, b) => a.rssBytes - b.rssBytes);
  return got[got.length >> 1]!;
}

/**
 * An idle run: memory at rest; then half of `spec.concurrency` sessions logged in and held, memory
 * again once they are in and a settle time passed; then all of them, memory again; then release.
 * Per-session memory is reported two ways: the slope between the half and full samples (the marginal
 * cost of one more session, free of one-time growth such as a heap expanding on first use), and the
 * growth from rest divided by all sessions held.
 */
export async function runIdle(
  ctx: BenchContext,
  inst: ProxyInstance,
  spec: LoadSpec,
  label: string,
  settleMs: number,
): Promise<Pick<RunRecord, 'metrics' | 'cpu' | 'load' | 'memory'>> {
  const pidsNow = (): number[] => inst.pids();
  const rest = await settledMemory(pidsNow, 3, 200);
  const before = snapshot(ctx, pidsNow());
  const running = ctx.pool.start(spec);
  const t0 = performance.now();
  const deadline = t0 + spec.holdMaxMs;
  /** Admits `permille` of the sessions, waits for them (or failures), settles, samples memory. */
  const step = async (permille: number): Promise<{ held: number; mem: MemorySample }> => {
    const want = running.admit(permille);
    for (;;) {
      const p = running.progress();
      const s = (performance.now() - t0) / 1000;
      ctx.progress.update(`${label}  ${s.toFixed(1)}s  ${p.ready}/${want} sessions held  errors ${p.errors}`);
      if (p.ready + p.errors >= want || performance.now() >= deadline) break;
      await sleep(100);
    }
    await sleep(settleMs);
    const mem = await settledMemory(pidsNow, 3, 300);
    return { held: running.progress().ready, mem };
  };
  let half: { held: number; mem: MemorySample };
  let full: { held: number; mem: MemorySample };
  try {
    half = await step(500);
    full = await step(1000);
  } finally {
    running.release();
  }
  const load = await running.done;
  const after = snapshot(ctx, pidsNow());
  const slope = (a: number, b: number): number =>
    full.held > half.held ? (b - a) / (full.held - half.held) / 1024 : NaN;
  const fromRest = (a: number, b: number): number => (full.held > 0 ? (b - a) / full.held / 1024 : NaN);
  const metrics: Metrics = {
    idleSessions: full.held,
    rssKiBPerSession: slope(half.mem.rssBytes, full.mem.rssBytes),
    rssKiBPerSessionFromRest: fromRest(rest.rssBytes, full.mem.rssBytes),
    baseRssMiB: rest.rssBytes / 1024 / 1024,
    loadedRssMiB: full.mem.rssBytes / 1024 / 1024,
    loginP99Ms: load.latency.login.p99Ms,
    errors: load.errorCount,
  };
  if (half.mem.pssBytes !== null && full.mem.pssBytes !== null) {
    metrics.pssKiBPerSession = slope(half.mem.pssBytes, full.mem.pssBytes);
  }
  return {
    metrics,
    cpu: diff(before, after),
    load,
    memory: { rest, half: half.mem, loaded: full.mem, halfHeld: half.held, held: full.held },
  };
}
