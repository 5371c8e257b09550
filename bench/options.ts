/**
 * The bench's command line: `npm run bench -- <scenario…> [options]` → BenchOptions.
 *
 * Owns: option names, defaults and validation, and the usage text. Pure: no I/O, so it is tested
 * directly. Every run is bounded in sessions and seconds whatever the options say.
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { MAIL_PROTOCOLS, type MailProtocol } from './load/job.js';
import { parseSize } from './servers/message.js';

export const SCENARIOS = ['sessions', 'relay', 'idle', 'tls', 'sweep', 'http'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export const ACCEPT_POLICIES = ['shared', 'least_conn'] as const;
export type AcceptPolicy = (typeof ACCEPT_POLICIES)[number];

export interface BenchOptions {
  readonly scenarios: readonly ScenarioName[];
  readonly protocols: readonly MailProtocol[];
  /** `nginx` and/or git refs of postern */
  readonly compare: readonly string[];
  /** postern's `auth_http_keepalive` settings, one variant each */
  readonly keepalive: readonly number[];
  /** postern's `accept_policy` settings, one variant each (crossed with keepalive) */
  readonly acceptPolicies: readonly AcceptPolicy[];
  readonly workers: number;
  readonly concurrency: number;
  /** bound on sessions per measured run */
  readonly sessions: number;
  /** bound on seconds per measured run */
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly rounds: number;
  /** load generator threads */
  readonly threads: number;
  /** SMTP DATA size in the `sessions` scenario */
  readonly smtpBytes: number;
  /** message size for `relay` */
  readonly relayBytes: number;
  readonly relaySessions: number;
  readonly idleSessions: number;
  readonly sweepWorkers: readonly number[];
  readonly sweepConcurrency: readonly number[];
  readonly backend: 'fake' | 'dovecot';
  readonly backendProcs: number;
  readonly authProcs: number;
  readonly logLevel: string;
  readonly proxyBuffer: string | null;
  readonly sessionTimeoutMs: number;
  /** results directory (default bench/results) */
  readonly out: string | null;
  /** a postern `src/main.(js|ts)` to measure instead of this tree's */
  readonly posternEntry: string | null;
  /** write V8 CPU profiles of postern's processes */
  readonly profile: boolean;
  readonly quiet: boolean;
}

export const USAGE = `usage: npm run bench -- <scenario...|all> [options]

scenarios:
  sessions   connect, login, one command, logout at a concurrency: sessions/s, login latency, CPU/session
  relay      a few sessions moving a large message (IMAP FETCH, POP3 RETR, SMTP DATA): MB/s
  idle       K logged-in sessions held open: memory per session of the proxy's processes
  tls        TLS handshakes/s with and without resumption; STARTTLS sessions/s
  sweep      sessions at several worker_processes and concurrencies: table + SVG chart
  http       autocannon against the HTTP parts (hooks in bench/scenarios/http-targets.ts)
  all        every scenario above

options (defaults in brackets):
  --protocols imap,pop3,smtp     protocols to measure [all three]
  --compare nginx|<git-ref>      also run nginx's mail module / another postern build, same load,
                                 alternating runs; repeatable
  --keepalive 0,32               postern auth_http_keepalive settings, one variant each [0,32]
  --accept-policy shared,least_conn
                                 postern accept_policy settings, one variant each [shared]
  --workers N                    worker_processes for every proxy [1]
  --concurrency N                sessions in flight [32]
  --sessions N                   at most N sessions per run [1000000]
  --seconds S                    at most S seconds per run [5]
  --warmup S                     unrecorded warm-up per proxy and cell [1]
  --rounds N                     runs per proxy and cell (alternated) [3]
  --threads N                    load generator threads [1]
  --smtp-size SIZE               DATA size in sessions [2k]
  --relay-size SIZE              message size in relay [8m]
  --relay-sessions N             concurrent relay sessions [4]
  --idle-sessions K              held sessions in idle [2000]
  --sweep-workers 1,2,4          worker counts for sweep [1,2,4]
  --sweep-concurrency 8,32,128   concurrencies for sweep [8,32,128]
  --backend fake|dovecot         fake servers, or a private Dovecot for IMAP/POP3 [fake]
  --backend-procs N              fake backend processes [1]
  --auth-procs N                 auth responder processes [1]
  --log-level LEVEL              error_log level of both proxies [error]
  --proxy-buffer SIZE            proxy_buffer of both proxies [their default, 4k]
  --session-timeout S            a session without progress for S seconds is an error [10]
  --out DIR                      where results go [bench/results]
  --postern-entry FILE           measure this postern src/main.js instead of this tree's
  --profile                      write V8 CPU profiles of postern's processes (see docs/performance.md)
  --quiet                        no progress output
`;

function list(text: string, what: string): string[] {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) throw new Error(`${what}: empty list`);
  return items;
}

function int(text: string, what: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new Error(`${what} must be an integer >= ${min}, not "${text}"`);
  return n;
}

function ints(text: string, what: string, min: number): number[] {
  return list(text, what).map((s) => int(s, what, min));
}

function num(text: string, what: string, min: number): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < min) throw new Error(`${what} must be a number >= ${min}, not "${text}"`);
  return n;
}

/** Powers of two up to twice the core count: 1, 2, 4 on a 2-core machine. */
function defaultSweepWorkers(): number[] {
  const out: number[] = [];
  for (let w = 1; w <= Math.max(2, availableParallelism() * 2); w *= 2) out.push(w);
  return out;
}

export type ParseResult =
  | { readonly ok: true; readonly options: BenchOptions }
  | { readonly ok: false; readonly help: boolean; readonly message: string };

export function parseBenchArgs(argv: readonly string[]): ParseResult {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        protocols: { type: 'string' },
        compare: { type: 'string', multiple: true },
        keepalive: { type: 'string' },
        'accept-policy': { type: 'string' },
        workers: { type: 'string' },
        concurrency: { type: 'string' },
        sessions: { type: 'string' },
        seconds: { type: 'string' },
        warmup: { type: 'string' },
        rounds: { type: 'string' },
        threads: { type: 'string' },
        'smtp-size': { type: 'string' },
        'relay-size': { type: 'string' },
        'relay-sessions': { type: 'string' },
        'idle-sessions': { type: 'string' },
        'sweep-workers': { type: 'string' },
        'sweep-concurrency': { type: 'string' },
        backend: { type: 'string' },
        'backend-procs': { type: 'string' },
        'auth-procs': { type: 'string' },
        'log-level': { type: 'string' },
        'proxy-buffer': { type: 'string' },
        'session-timeout': { type: 'string' },
        out: { type: 'string' },
        'postern-entry': { type: 'string' },
        profile: { type: 'boolean' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    return { ok: false, help: false, message: (err as Error).message };
  }
  const v = parsed.values;
  if (v.help === true) return { ok: false, help: true, message: USAGE };
  try {
    const scenarios: ScenarioName[] = [];
    for (const p of parsed.positionals) {
      if (p === 'all') scenarios.push(...SCENARIOS);
      else if ((SCENARIOS as readonly string[]).includes(p)) scenarios.push(p as ScenarioName);
      else throw new Error(`unknown scenario "${p}" (one of ${SCENARIOS.join(', ')}, all)`);
    }
    if (scenarios.length === 0) throw new Error('name a scenario');
    const protocols = v.protocols === undefined ? [...MAIL_PROTOCOLS] : list(v.protocols, '--protocols');
    for (const p of protocols) {
      if (!(MAIL_PROTOCOLS as readonly string[]).includes(p)) throw new Error(`unknown protocol "${p}"`);
    }
    const backend = v.backend ?? 'fake';
    if (backend !== 'fake' && backend !== 'dovecot')
      throw new Error(`--backend is fake or dovecot, not "${backend}"`);
    const logLevel = v['log-level'] ?? 'error';
    if (!['debug', 'info', 'notice', 'warn', 'error', 'crit', 'alert', 'emerg'].includes(logLevel)) {
      throw new Error(`unknown --log-level "${logLevel}"`);
    }
    if (v['proxy-buffer'] !== undefined) parseSize(v['proxy-buffer']);
    const acceptPolicies = list(v['accept-policy'] ?? 'shared', '--accept-policy');
    for (const p of acceptPolicies) {
      if (!(ACCEPT_POLICIES as readonly string[]).includes(p))
        throw new Error(`--accept-policy is ${ACCEPT_POLICIES.join(' or ')}, not "${p}"`);
    }
    const options: BenchOptions = {
      scenarios: [...new Set(scenarios)],
      protocols: [...new Set(protocols)] as MailProtocol[],
      compare: [...new Set(v.compare ?? [])],
      keepalive: [...new Set(ints(v.keepalive ?? '0,32', '--keepalive', 0))],
      acceptPolicies: [...new Set(acceptPolicies)] as AcceptPolicy[],
      workers: int(v.workers ?? '1', '--workers', 1),
      concurrency: int(v.concurrency ?? '32', '--concurrency', 1),
      sessions: int(v.sessions ?? '1000000', '--sessions', 1),
      seconds: num(v.seconds ?? '5', '--seconds', 0.1),
      warmupSeconds: num(v.warmup ?? '1', '--warmup', 0),
      rounds: int(v.rounds ?? '3', '--rounds', 1),
      threads: int(v.threads ?? '1', '--threads', 1),
      smtpBytes: parseSize(v['smtp-size'] ?? '2k'),
      relayBytes: parseSize(v['relay-size'] ?? '8m'),
      relaySessions: int(v['relay-sessions'] ?? '4', '--relay-sessions', 1),
      idleSessions: int(v['idle-sessions'] ?? '2000', '--idle-sessions', 1),
      sweepWorkers:
        v['sweep-workers'] === undefined
          ? defaultSweepWorkers()
          : ints(v['sweep-workers'], '--sweep-workers', 1),
      sweepConcurrency: ints(v['sweep-concurrency'] ?? '8,32,128', '--sweep-concurrency', 1),
      backend,
      backendProcs: int(v['backend-procs'] ?? '1', '--backend-procs', 1),
      authProcs: int(v['auth-procs'] ?? '1', '--auth-procs', 1),
      logLevel,
      proxyBuffer: v['proxy-buffer'] ?? null,
      sessionTimeoutMs: num(v['session-timeout'] ?? '10', '--session-timeout', 0.1) * 1000,
      out: v.out ?? null,
      posternEntry: v['postern-entry'] ?? null,
      profile: v.profile === true,
      quiet: v.quiet === true,
    };
    return { ok: true, options };
  } catch (err) {
    return { ok: false, help: false, message: (err as Error).message };
  }
}
