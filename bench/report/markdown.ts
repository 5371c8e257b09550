/**
 * The Markdown summary of a bench run: host and command, the proxies compared, then per scenario and
 * cell a table of medians with min–max spread, ratios against the baseline(s), where the CPU went, the
 * sweep table with its chart, notes, warnings, and the configuration files used.
 */
import type { CellResult } from '../run/ab.js';
import type { ScenarioResult } from '../scenarios/types.js';
import { renderProfile } from './cpu-profile.js';
import { METRICS, formatMetric, type MetricKey } from './metrics.js';
import { formatRatio, type Spread } from './stats.js';
import type { BenchReport } from './types.js';

function cellValue(key: MetricKey, s: Spread | undefined): string {
  if (s === undefined) return '–';
  const m = formatMetric(key, s.median);
  if (s.n < 2) return m;
  const lo = formatMetric(key, s.min);
  const hi = formatMetric(key, s.max);
  return lo === hi ? m : `${m} (${lo}–${hi})`;
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return [row(header), row(header.map(() => '---')), ...rows.map(row)];
}

/** Median CPU milliseconds per session (or per MB) by party, per target. */
function cpuSplit(cell: CellResult, perMb: boolean): string[] {
  const rows: string[][] = [];
  for (const t of cell.targets) {
    const runs = cell.runs.filter((r) => r.target === t);
    const unit = (r: (typeof runs)[number]): number =>
      perMb ? (r.load.bytesIn + r.load.bytesOut) / 1e6 : r.load.completed;
    const med = (f: (r: (typeof runs)[number]) => number): string => {
      const v = runs
        .map(f)
        .filter(Number.isFinite)
        .sort((a, b) => a - b);
      return v.length === 0 ? '–' : v[v.length >> 1]!.toFixed(3);
    };
    rows.push([
      t,
      med((r) => r.cpu.proxyMs / unit(r)),
      med((r) => r.cpu.proxyUserMs / unit(r)),
      med((r) => r.cpu.proxySysMs / unit(r)),
      med((r) => r.cpu.backendMs / unit(r)),
      med((r) => r.cpu.authMs / unit(r)),
      med((r) => r.cpu.loadMs / unit(r)),
    ]);
  }
  const what = perMb ? 'CPU ms per MB' : 'CPU ms per session';
  return table(
    [what, 'proxy', 'proxy user', 'proxy kernel', 'backend', 'auth responder', 'load generator'],
    rows,
  );
}

function renderCell(s: ScenarioResult, cell: CellResult): string[] {
  const out: string[] = [];
  const params = Object.entries(cell.params)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  out.push(`### ${cell.key}${params === '' ? '' : ` (${params})`}`, '');
  out.push(
    ...table(
      ['proxy', ...cell.show.map((k) => METRICS[k].label)],
      cell.targets.map((t) => [t, ...cell.show.map((k) => cellValue(k, cell.summary[t]?.[k]))]),
    ),
    '',
  );
  const ratioRows: string[][] = [];
  const ratioKeys = cell.show.filter((k) => k !== 'errors' && k !== 'idleSessions');
  for (const [t, byBase] of Object.entries(cell.ratios)) {
    for (const [base, r] of Object.entries(byBase)) {
      ratioRows.push([`${t} / ${base}`, ...ratioKeys.map((k) => formatRatio(r[k]))]);
    }
  }
  if (ratioRows.length > 0) {
    out.push(...table(['ratio (paired by round)', ...ratioKeys.map((k) => METRICS[k].label)], ratioRows), '');
  }
  if (s.name === 'sessions' || s.name === 'relay') out.push(...cpuSplit(cell, s.name === 'relay'), '');
  const errs = cell.runs.filter((r) => r.load.errorCount > 0);
  if (errs.length > 0) {
    out.push('Errors by cause:', '');
    for (const r of errs) {
      out.push(
        `- ${r.target} round ${r.round + 1}: ${JSON.stringify(r.load.errors)} — e.g. ${r.load.errorSamples[0] ?? ''}`,
      );
    }
    out.push('');
  }
  return out;
}

function renderSweepTable(s: ScenarioResult): string[] {
  const targets = [...new Set(s.cells.flatMap((c) => c.targets))];
  const rows = s.cells.map((c) => [
    String(c.params.workers),
    String(c.params.concurrency),
    ...targets.map((t) => cellValue('sessionsPerS', c.summary[t]?.sessionsPerS)),
    ...targets.map((t) => formatMetric('cpuMsPerSession', c.summary[t]?.cpuMsPerSession?.median)),
  ]);
  return table(
    [
      'workers',
      'concurrency',
      ...targets.map((t) => `${t} sessions/s`),
      ...targets.map((t) => `${t} CPU ms/session`),
    ],
    rows,
  );
}

export function renderMarkdown(r: BenchReport, artifactFiles: Readonly<Record<string, string>>): string {
  const h = r.host;
  const out: string[] = [];
  out.push(`# postern bench, ${h.date}`, '');
  out.push(
    `- git ${h.gitSha ?? 'unknown'}${h.gitDirty === true ? ' (with uncommitted changes)' : ''}; Node ${h.node}; nginx ${h.nginx ?? 'not installed'}`,
    `- ${h.cpuModel}, ${h.cores} cores, ${h.memoryGiB} GiB, Linux ${h.kernel}; load average ${h.loadAvgStart.join(' ')} at start, ${r.loadAvgEnd.join(' ')} at end`,
    `- command: \`${r.command}\` (${r.durationS.toFixed(0)} s)`,
    `- backend: ${r.backend}; auth: the fast auth responder (HTTP/1.0 close for nginx and keep-alive 0, HTTP/1.1 keep-alive otherwise)`,
    `- loopback tuning: tcp_tw_reuse ${r.tuning.tcpTwReuse ?? '?'}, port range ${r.tuning.portRange ?? '?'}, open files ${r.tuning.openFiles?.soft ?? '?'}${r.tuning.changed.length > 0 ? ` (changed: ${r.tuning.changed.join('; ')})` : ''}`,
    '',
    'Proxies (same worker count, backend, auth responder and load; runs alternate between them):',
    '',
  );
  for (const v of r.variants) {
    const ka =
      v.kind === 'postern'
        ? `, auth_http_keepalive ${v.keepalive}${v.acceptPolicy === 'least_conn' ? ', accept_policy least_conn' : ''}`
        : '';
    const what = v.kind === 'nginx' ? `${v.build} with the mail module` : `postern, ${v.build}${ka}`;
    const tsx = v.runtime === 'tsx' ? ' — TypeScript via tsx, not compiled: do not quote these numbers' : '';
    out.push(`- **${v.id}**: ${what}${tsx}`);
  }
  out.push('');
  for (const s of r.scenarios) {
    out.push(`## ${s.title}`, '', s.method, '');
    if (s.name === 'sweep' && s.cells.length > 0) {
      out.push(...renderSweepTable(s), '');
      for (const a of s.artifacts) out.push(`![${a.name}](${artifactFiles[a.name] ?? a.name})`, '');
    }
    if (s.httpRows !== undefined) {
      out.push(
        ...table(
          [
            'endpoint',
            'requests',
            'requests/s',
            'p50 ms',
            'p99 ms',
            'server CPU µs/request',
            'errors',
            'loader',
            'what',
          ],
          s.httpRows.map((x) => [
            x.target,
            String(x.requests),
            x.requestsPerS.toFixed(0),
            x.latencyP50Ms.toFixed(2),
            x.latencyP99Ms.toFixed(2),
            Number.isFinite(x.serverCpuUsPerRequest) ? x.serverCpuUsPerRequest.toFixed(0) : '–',
            String(x.errors),
            x.loader,
            x.note,
          ]),
        ),
        '',
      );
    }
    if (s.name !== 'sweep') for (const c of s.cells) out.push(...renderCell(s, c));
    for (const n of s.notes) out.push(`- note: ${n}`);
    if (s.notes.length > 0) out.push('');
  }
  if (r.warnings.length > 0) {
    out.push('## Warnings', '', ...r.warnings.map((w) => `- ${w}`), '');
  }
  if (r.profiles.length > 0) {
    out.push('## Where the time goes (CPU profiles)', '');
    for (const p of r.profileSummaries) out.push(`### ${p.variant}`, '', ...renderProfile(p.summary));
    out.push(
      'All profiles (open in Chrome DevTools or speedscope):',
      '',
      ...r.profiles.map((p) => `- ${p}`),
      '',
    );
  }
  out.push('## Configurations', '');
  for (const [id, text] of Object.entries(r.configs)) {
    out.push(
      `<details><summary>${id}</summary>`,
      '',
      '```nginx',
      text.trimEnd(),
      '```',
      '',
      '</details>',
      '',
    );
  }
  return out.join('\n');
}
