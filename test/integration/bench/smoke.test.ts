/**
 * CI smoke run of the bench: every scenario, every protocol, tiny counts, against nginx's mail module
 * when it is installed (CI installs it) and postern with and without auth keep-alive. Checks only that
 * the harness did its job and wrote its output — never a timing.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { moduleArgs, REPO_ROOT } from '../../helpers/postern-bin.js';
import { nginxProblem } from '../../../bench/proxies/nginx-binary.js';
import type { BenchReport } from '../../../bench/report/types.js';

const SMOKE_TIMEOUT_MS = 540_000;

function runBench(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...moduleArgs('bench/cli'), ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
      reject(new Error(`bench did not finish within ${SMOKE_TIMEOUT_MS} ms\n${stdout}\n${stderr}`));
    }, SMOKE_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const withNginx = nginxProblem() === null;

/** Runs the bench with `args`, `--quiet` and a temporary `--out` (removed after the test); it must exit 0. */
async function runBenchOk(prefix: string, args: readonly string[]): Promise<{ stdout: string; out: string }> {
  const out = mkdtempSync(join(tmpdir(), prefix));
  after(() => {
    rmSync(out, { recursive: true, force: true });
  });
  const r = await runBench([...args, '--quiet', '--out', out]);
  assert.equal(r.code, 0, `bench failed:\n${r.stdout}\n${r.stderr}`);
  return { stdout: r.stdout, out };
}

test(
  'every bench scenario runs with tiny counts and writes its JSON, Markdown and chart',
  { timeout: SMOKE_TIMEOUT_MS + 10_000 },
  async () => {
    const r = await runBenchOk('postern-bench-smoke-', [
      'all',
      '--protocols',
      'imap,pop3,smtp',
      '--concurrency',
      '3',
      '--sessions',
      '40',
      '--seconds',
      '1',
      '--warmup',
      '0',
      '--rounds',
      '1',
      '--keepalive',
      '0,4',
      '--relay-size',
      '64k',
      '--relay-sessions',
      '1',
      '--idle-sessions',
      '6',
      '--sweep-workers',
      '1,2',
      '--sweep-concurrency',
      '2',
      ...(withNginx ? ['--compare', 'nginx'] : []),
    ]);
    const out = r.out;

    const jsonPath = /^json: +(\S+)$/m.exec(r.stdout)?.[1];
    const mdPath = /^summary: +(\S+)$/m.exec(r.stdout)?.[1];
    const chartPath = /^chart: +(\S+\.svg)$/m.exec(r.stdout)?.[1];
    assert.ok(jsonPath !== undefined && mdPath !== undefined && chartPath !== undefined, r.stdout);
    for (const p of [jsonPath, mdPath, chartPath]) assert.ok(p.startsWith(out), `${p} is not under --out`);

    const report = JSON.parse(readFileSync(jsonPath, 'utf8')) as BenchReport;
    assert.equal(report.schema, 1);
    assert.deepEqual(
      report.scenarios.map((s) => s.name),
      ['sessions', 'relay', 'idle', 'tls', 'sweep', 'http'],
    );
    const targets = [...(withNginx ? ['nginx'] : []), 'postern', 'postern-ka4'];
    assert.deepEqual(
      report.variants.map((v) => v.id),
      targets,
    );
    for (const id of targets) assert.match(report.configs[id] ?? '', /\bmail \{/, `config of ${id}`);
    assert.match(report.configs['postern-ka4'] ?? '', /^ {4}auth_http_keepalive 4;$/m);
    assert.doesNotMatch(report.configs.postern ?? '', /auth_http_keepalive/);

    const byName = new Map(report.scenarios.map((s) => [s.name, s]));
    for (const name of ['sessions', 'relay', 'idle'] as const) {
      const s = byName.get(name)!;
      assert.deepEqual(
        s.cells.map((c) => c.protocol),
        ['imap', 'pop3', 'smtp'],
        name,
      );
      for (const c of s.cells) {
        assert.deepEqual([...c.targets], targets, `${name} ${c.key}`);
        assert.equal(c.runs.length, targets.length, `${name} ${c.key}: one run per proxy`);
        for (const run of c.runs) {
          assert.ok(
            run.load.completed > 0,
            `${name} ${c.key} ${run.target}: nothing completed: ${JSON.stringify(run.load.errors)} ${run.load.errorSamples.join(' | ')}`,
          );
        }
      }
    }
    for (const c of byName.get('sessions')!.cells) {
      for (const t of targets) {
        assert.equal(typeof c.summary[t]?.sessionsPerS?.median, 'number');
        // CPU per session split into user and kernel time from /proc.
        assert.equal(typeof c.summary[t]?.cpuSysMsPerSession?.median, 'number');
      }
      if (withNginx) assert.ok(c.ratios.postern?.nginx?.sessionsPerS !== undefined, 'postern/nginx ratio');
    }
    for (const c of byName.get('idle')!.cells) {
      for (const run of c.runs)
        assert.equal(run.metrics.idleSessions, 6, `${c.key} ${run.target} held every session`);
    }
    // tls: a proxy either has TLS cells or is left out with a note saying why.
    const tls = byName.get('tls')!;
    for (const t of targets) {
      const measured = tls.cells.some((c) => c.targets.includes(t));
      const noted = tls.notes.some((n) => n.startsWith(`${t} left out`));
      assert.ok(measured !== noted, `tls: ${t} measured=${measured} noted=${noted}`);
    }
    const sweep = byName.get('sweep')!;
    assert.deepEqual(
      sweep.cells.map((c) => [c.params.workers, c.params.concurrency]),
      [
        [1, 2],
        [2, 2],
      ],
    );
    // http: every endpoint of every target answered (none skipped), each row with its serving CPU.
    const http = byName.get('http')!;
    assert.deepEqual(http.notes, []);
    assert.deepEqual(
      http.httpRows!.map((row) => row.target),
      [
        'auth-responder-http10',
        'auth-responder',
        'auth-service-raw-http10',
        'auth-service-raw-keepalive',
        'auth-service-uws-keepalive',
        'postern-metrics',
        'postern-status',
      ],
    );
    for (const row of http.httpRows!) {
      assert.ok(
        row.requests > 0 && row.requestsPerS > 0,
        `http ${row.target}: no 2xx answer (${row.errors} errors)`,
      );
      assert.ok(Number.isFinite(row.serverCpuUsPerRequest), `http ${row.target}: server CPU`);
    }
    assert.match(
      http.httpRows!.find((row) => row.target === 'postern-metrics')!.url,
      /^http:\/\/127\.0\.0\.1:\d+\/metrics$/,
    );

    const md = readFileSync(mdPath, 'utf8');
    for (const heading of [
      '## Sessions',
      '## Relay throughput',
      '## Memory per idle proxied session',
      '## TLS',
      '## Worker sweep',
      '## HTTP endpoints',
      '| postern-metrics |',
      '| auth-service-uws-keepalive |',
      '## Configurations',
    ]) {
      assert.ok(md.includes(heading), `markdown lacks ${heading}`);
    }
    const svg = readFileSync(chartPath, 'utf8');
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg, /<\/svg>\n$/);
    assert.ok(existsSync(jsonPath));
    // The one-screen table names every proxy.
    for (const t of targets) assert.match(r.stdout, new RegExp(`^  ${t} `, 'm'));
  },
);

test(
  '--backend dovecot and --accept-policy: sessions and relay through a private Dovecot, both accept policies',
  { timeout: SMOKE_TIMEOUT_MS + 10_000 },
  async () => {
    const r = await runBenchOk('postern-bench-dovecot-', [
      'sessions',
      'relay',
      '--backend',
      'dovecot',
      '--protocols',
      'imap,pop3',
      '--accept-policy',
      'shared,least_conn',
      '--keepalive',
      '4',
      '--concurrency',
      '2',
      '--sessions',
      '10',
      '--seconds',
      '1',
      '--warmup',
      '0',
      '--rounds',
      '1',
      '--relay-size',
      '64k',
      '--relay-sessions',
      '1',
    ]);
    const jsonPath = /^json: +(\S+)$/m.exec(r.stdout)?.[1];
    assert.ok(jsonPath !== undefined, r.stdout);
    const report = JSON.parse(readFileSync(jsonPath, 'utf8')) as BenchReport;
    assert.deepEqual(
      report.variants.map((v) => [v.id, v.acceptPolicy]),
      [
        ['postern-ka4', 'shared'],
        ['postern-ka4-lc', 'least_conn'],
      ],
    );
    assert.match(report.configs['postern-ka4-lc'] ?? '', /^ {4}accept_policy least_conn;$/m);
    assert.doesNotMatch(report.configs['postern-ka4'] ?? '', /accept_policy/);
    for (const s of report.scenarios) {
      for (const c of s.cells) {
        for (const run of c.runs) {
          // A real IMAP server answers FETCH only after SELECT: the relay dialogue must select first.
          assert.equal(
            run.load.errorCount,
            0,
            `${s.name} ${c.key} ${run.target}: ${run.load.errorSamples.join(' | ')}`,
          );
          assert.ok(run.load.completed > 0, `${s.name} ${c.key} ${run.target}: nothing completed`);
        }
      }
    }
  },
);
