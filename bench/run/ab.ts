/**
 * A/B(/C…) runs of one cell (a scenario × protocol × parameters) over every proxy instance: a warm-up
 * per instance, then `rounds` rounds, each running every instance once, the order rotated every round
 * (A B, B A, A B…) so neither side always runs first on a machine whose speed drifts. Ratios are paired
 * by round.
 *
 * Owns: the order of runs, the per-run summary line, and the cell's summary and ratios. Does not own
 * what one run does (the scenario's `run`).
 */
import type { MailProtocol } from '../load/job.js';
import type { ProxyInstance, ProxyVariant } from '../proxies/types.js';
import { formatMetric, type MetricKey } from '../report/metrics.js';
import { pairedRatios, summarizeRuns, type Spread } from '../report/stats.js';
import type { BenchContext } from './context.js';
import type { RunRecord } from './measure.js';

export interface CellPlan {
  /** e.g. `imap`, `imap c=50`, `pop3 resume` */
  readonly key: string;
  readonly protocol: MailProtocol | null;
  readonly params: Readonly<Record<string, string | number>>;
  /** metrics the reports show for this cell, first one is the headline */
  readonly show: readonly MetricKey[];
  run(inst: ProxyInstance, round: number, label: string): Promise<Omit<RunRecord, 'target' | 'round'>>;
  /** unrecorded run before the first round (JIT warm-up, pools filled) */
  warmup?(inst: ProxyInstance, label: string): Promise<void>;
}

export interface CellResult {
  readonly key: string;
  readonly protocol: MailProtocol | null;
  readonly params: Readonly<Record<string, string | number>>;
  readonly show: readonly MetricKey[];
  readonly targets: readonly string[];
  readonly runs: readonly RunRecord[];
  readonly summary: Readonly<Record<string, Partial<Record<MetricKey, Spread>>>>;
  /** target → baseline → metric → ratio spread */
  readonly ratios: Readonly<Record<string, Readonly<Record<string, Partial<Record<MetricKey, Spread>>>>>>;
}

/** Rotation `r` of the instances: round 0 keeps the order, round 1 starts with the second... */
export function roundOrder<T>(items: readonly T[], round: number): T[] {
  if (items.length === 0) return [];
  const k = round % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

/**
 * Which variants a variant is compared with: nginx (when present) for every postern variant, and
 * for a working-tree postern variant also the compared git ref's variant with the same keep-alive and
 * accept policy.
 */
export function baselinesOf(v: ProxyVariant, all: readonly ProxyVariant[]): ProxyVariant[] {
  if (v.kind !== 'postern') return [];
  const out = all.filter((b) => b.kind === 'nginx');
  if (v.entry?.build === 'working tree') {
    out.push(
      ...all.filter(
        (b) =>
          b.kind === 'postern' &&
          b.entry?.build !== 'working tree' &&
          b.keepalive === v.keepalive &&
          b.acceptPolicy === v.acceptPolicy,
      ),
    );
  }
  return out;
}

/** The one-line result of a run on the progress output. */
export function logRun(
  ctx: BenchContext,
  plan: Pick<CellPlan, 'show'>,
  label: string,
  rec: Omit<RunRecord, 'target' | 'round'>,
): void {
  const shown = plan.show
    .slice(0, 3)
    .map((k) => `${k} ${formatMetric(k, rec.metrics[k])}`)
    .join('  ');
  const errs = rec.load.errorCount > 0 ? `  errors ${JSON.stringify(rec.load.errors)}` : '';
  ctx.progress.log(`${label}: ${shown}${errs}`);
}

export async function runCell(
  ctx: BenchContext,
  scenario: string,
  instances: readonly ProxyInstance[],
  plan: CellPlan,
): Promise<CellResult> {
  const runs: RunRecord[] = [];
  const rounds = ctx.opts.rounds;
  if (plan.warmup !== undefined) {
    for (const inst of instances)
      await plan.warmup(inst, `${scenario} ${plan.key} ${inst.variant.id} warm-up`);
  }
  for (let r = 0; r < rounds; r++) {
    for (const inst of roundOrder(instances, r)) {
      const label = `${scenario} ${plan.key} ${inst.variant.id} round ${r + 1}/${rounds}`;
      const rec = await plan.run(inst, r, label);
      runs.push({ ...rec, target: inst.variant.id, round: r });
      logRun(ctx, plan, label, rec);
    }
  }
  return cellResult(
    plan,
    instances.map((i) => i.variant),
    runs,
  );
}

/** Summary and ratios of a cell's runs. */
export function cellResult(
  plan: Pick<CellPlan, 'key' | 'protocol' | 'params' | 'show'>,
  variants: readonly ProxyVariant[],
  runs: readonly RunRecord[],
): CellResult {
  const targets = variants.map((v) => v.id);
  const summary: Record<string, Partial<Record<MetricKey, Spread>>> = {};
  const ratios: Record<string, Record<string, Partial<Record<MetricKey, Spread>>>> = {};
  for (const v of variants) {
    const mine = runs.filter((x) => x.target === v.id);
    summary[v.id] = summarizeRuns(mine);
    for (const b of baselinesOf(v, variants)) {
      (ratios[v.id] ??= {})[b.id] = pairedRatios(
        mine,
        runs.filter((x) => x.target === b.id),
      );
    }
  }
  return {
    key: plan.key,
    protocol: plan.protocol,
    params: plan.params,
    show: plan.show,
    targets,
    runs,
    summary,
    ratios,
  };
}
