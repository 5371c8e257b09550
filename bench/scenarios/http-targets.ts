/**
 * The HTTP endpoints the `http` scenario measures, grouped by what has to run for them: a target's
 * `prepare` starts what it needs and returns its endpoints (each measured in turn), the processes whose
 * CPU is the serving side's cost, and `stop`; or `{ skip: why }` when it cannot run here.
 *
 * - `auth-responder`: the bench's own fast auth responder, keep-alive and HTTP/1.0 (calibrates the
 *   machine's HTTP path; it is what the mail scenarios' proxies talk to).
 * - `auth-service`: the bundled postern-auth (auth-service/) with a users file, both listeners: node:net
 *   (HTTP/1.0 one request per connection, as nginx and `auth_http_keepalive 0` send it, and HTTP/1.1
 *   keep-alive) and uWebSockets.js (HTTP/1.1 keep-alive only: this uWS build never answers HTTP/1.0).
 *   Every request is a successful IMAP LOGIN, its bytes built by postern's own auth request builder.
 * - `postern-status`: postern's `/metrics` and `/status` (status_listen), scraped after sessions of
 *   every measured protocol have run through it and while some are held open, so the answer has real
 *   series and live sessions in it. Those answers close their connection, so each request gets a
 *   connection of its own (HTTP/1.1 `Connection: close`, the one-shot loader), as a scraper sees it.
 *
 * Owns: what runs for each target and the request each endpoint gets. Does not own the measuring
 * (http.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../test/helpers/ports.js';
import { spawnProc } from '../../test/helpers/proc.js';
import { buildAuthRequest, prepareAuthTarget } from '../../src/auth/request.js';
import { programArgs } from '../paths.js';
import type { OneShotVersion } from '../load/http-oneshot.js';
import type { RunningLoad } from '../load/pool.js';
import type { ProxyVariant } from '../proxies/types.js';
import type { BenchContext } from '../run/context.js';
import { runLoad } from '../run/measure.js';
import { withOpenFiles } from '../system/tuning.js';
import { idleJob } from './idle.js';
import { startVariant } from './instances.js';

export interface HttpEndpoint {
  /** the row's name in the report */
  readonly id: string;
  readonly url: string;
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * One request per connection with this loader (HTTP/1.0: nginx's auth_http way; HTTP/1.1 with
   * `Connection: close`: a scrape of an endpoint that closes anyway) instead of autocannon's keep-alive
   */
  readonly oneShot?: OneShotVersion;
  /** what the row means, for the report */
  readonly note: string;
}

export interface HttpTargetSetup {
  readonly endpoints: readonly HttpEndpoint[];
  /** the serving side's processes: their CPU over a measurement, per request, is reported */
  pids(): readonly number[];
  stop(): Promise<void>;
}

export interface HttpBenchTarget {
  readonly id: string;
  prepare(ctx: BenchContext): Promise<HttpTargetSetup | { readonly skip: string }>;
}

/** The bench's login (the fake backend and the fast auth responder accept it; the auth service gets it as a user). */
const USER = 'bench';
const PASSWORD = 'bench-password';

/**
 * The header lines postern sends for an IMAP `LOGIN bench bench-password` from 127.0.0.1 with
 * `auth_http http://<host>/auth` (reference 3.2; built by src/auth/request.ts, so they are the real
 * ones), as a record for autocannon and the HTTP/1.0 loader.
 */
export function imapLoginHeaders(hostHeader: string): Record<string, string> {
  const target = prepareAuthTarget({
    uri: '/auth',
    hostHeader,
    headers: [],
    passClientCert: false,
    keepalive: true,
  });
  const bytes = buildAuthRequest(target, {
    request: {
      method: 'plain',
      login: Buffer.from(USER),
      password: Buffer.from(PASSWORD),
      salt: null,
      smtpHelo: null,
      smtpFrom: null,
      smtpTo: null,
    },
    protocol: 'imap',
    attempt: 1,
    clientIp: '127.0.0.1',
    clientHost: null,
    proxyProtocol: null,
    tls: null,
  });
  const out: Record<string, string> = {};
  // Skip the request line; stop at the blank line.
  for (const line of bytes.toString('latin1').split('\r\n').slice(1)) {
    if (line === '') break;
    const colon = line.indexOf(':');
    out[line.slice(0, colon)] = line.slice(colon + 1).trimStart();
  }
  return out;
}

/** The users file and configuration of a bench postern-auth: one PLAIN user, the fake backend for every protocol. */
export function authServiceConfig(
  usersFile: string,
  backend: Readonly<Record<'imap' | 'pop3' | 'smtp', number>>,
): string {
  return [
    'listen 127.0.0.1:0;',
    'listen 127.0.0.1:0 uws;',
    'path /auth;',
    `users file ${usersFile};`,
    'throttle memory;',
    `backend imap 127.0.0.1:${backend.imap};`,
    `backend pop3 127.0.0.1:${backend.pop3};`,
    `backend smtp 127.0.0.1:${backend.smtp};`,
    'log_level warn;',
    '',
  ].join('\n');
}

async function startAuthService(ctx: BenchContext): Promise<HttpTargetSetup> {
  const dir = mkdtempSync(join(tmpdir(), 'postern-bench-auth-service-'));
  const users = join(dir, 'users');
  writeFileSync(users, `${USER}:{PLAIN}${PASSWORD}\n`);
  const conf = join(dir, 'postern-auth.conf');
  writeFileSync(conf, authServiceConfig(users, ctx.backend.ports));
  const { command, args } = withOpenFiles([
    process.execPath,
    ...programArgs('auth-service/main'),
    '-c',
    conf,
  ]);
  const proc = spawnProc(command, args, { label: 'postern-auth', cwd: dir });
  const stop = async (): Promise<void> => {
    await proc.stop({ signal: 'SIGTERM' });
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const m = await proc.waitForLine(/^\{"msg":"listening".*\}$/, { timeoutMs: 30_000, stream: 'stderr' });
    const listening = JSON.parse(m[0]) as { listeners: { kind: string; port: number }[] };
    const port = (kind: string): number => {
      const l = listening.listeners.find((x) => x.kind === kind);
      if (l === undefined) throw new Error(`postern-auth has no ${kind} listener: ${m[0]}`);
      return l.port;
    };
    const raw = port('raw');
    const uws = port('uws');
    const auth = (p: number): string => `http://127.0.0.1:${p}/auth`;
    return {
      endpoints: [
        {
          id: 'auth-service-raw-http10',
          url: auth(raw),
          headers: imapLoginHeaders(`127.0.0.1:${raw}`),
          oneShot: 'HTTP/1.0',
          note: 'postern-auth, users file, PLAIN: node:net listener, HTTP/1.0 one login per connection (nginx; postern auth_http_keepalive 0)',
        },
        {
          id: 'auth-service-raw-keepalive',
          url: auth(raw),
          headers: imapLoginHeaders(`127.0.0.1:${raw}`),
          note: 'postern-auth, users file, PLAIN: node:net listener, HTTP/1.1 keep-alive',
        },
        {
          id: 'auth-service-uws-keepalive',
          url: auth(uws),
          headers: imapLoginHeaders(`127.0.0.1:${uws}`),
          note: 'postern-auth, users file, PLAIN: uWebSockets.js listener, HTTP/1.1 keep-alive (postern auth_http_keepalive N)',
        },
      ],
      pids: () => [proc.pid],
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The working tree's postern with the most auth keep-alive (the variant an operator would run). */
function statusVariant(ctx: BenchContext): ProxyVariant | null {
  const ours = ctx.variants.filter((v) => v.kind === 'postern' && v.entry?.build === 'working tree');
  return ours.sort((a, b) => b.keepalive - a.keepalive)[0] ?? null;
}

/** Held open during the scrapes, so /status lists live sessions: a few hundred at most. */
function heldSessions(ctx: BenchContext): number {
  return Math.max(1, Math.min(200, ctx.opts.idleSessions));
}

async function startPosternStatus(ctx: BenchContext): Promise<HttpTargetSetup | { readonly skip: string }> {
  const variant = statusVariant(ctx);
  if (variant === null) return { skip: 'no working-tree postern variant in this run' };
  const o = ctx.opts;
  const statusPort = await freePort();
  const notes: string[] = [];
  const inst = await startVariant(
    ctx,
    variant,
    {
      workers: o.workers,
      sessionsInFlight: Math.max(o.concurrency, heldSessions(ctx)),
      tls: false,
      statusPort,
    },
    notes,
  );
  if (inst === null) return { skip: notes.join('; ') };
  let held: RunningLoad | null = null;
  const release = async (): Promise<void> => {
    const h = held;
    held = null;
    if (h === null) return;
    h.release();
    await h.done;
  };
  try {
    // Sessions of every protocol first, so every series has values: bounded like any other run.
    for (const protocol of o.protocols) {
      await runLoad(
        ctx,
        inst,
        {
          kind: 'sessions',
          protocol,
          host: '127.0.0.1',
          port: inst.ports[protocol],
          concurrency: o.concurrency,
          maxSessions: o.sessions,
          durationMs: Math.min(o.seconds, 2) * 1000,
          sessionTimeoutMs: o.sessionTimeoutMs,
          users: ctx.backend.users,
          messageBytes: o.smtpBytes,
          resume: false,
          holdMaxMs: 0,
        },
        `http: sessions through ${variant.id} (${protocol}) before the scrapes`,
      );
    }
    const protocol = o.protocols[0]!;
    const k = heldSessions(ctx);
    // Bounded: released right after the scrapes, or after 10 minutes.
    const h = ctx.pool.start(idleJob(ctx, inst, protocol, k, 600_000));
    held = h;
    const want = h.admit(1000);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const p = h.progress();
      if (p.ready + p.errors >= want) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const live = h.progress().ready;
    const base = `http://127.0.0.1:${statusPort}`;
    const what = `${variant.id}, worker_processes ${o.workers}, after sessions of ${o.protocols.join(', ')}, ${live} ${protocol} sessions open`;
    const stopAll = async (): Promise<void> => {
      await release();
      await inst.stop();
    };
    return {
      endpoints: [
        {
          id: 'postern-metrics',
          url: `${base}/metrics`,
          headers: { Host: `127.0.0.1:${statusPort}` },
          oneShot: 'HTTP/1.1',
          note: `postern /metrics (Prometheus text; every worker asked over IPC per scrape): ${what}`,
        },
        {
          id: 'postern-status',
          url: `${base}/status`,
          headers: { Host: `127.0.0.1:${statusPort}` },
          oneShot: 'HTTP/1.1',
          note: `postern /status (JSON; live-session summary from every worker): ${what}`,
        },
      ],
      pids: () => inst.pids(),
      stop: stopAll,
    };
  } catch (err) {
    await release();
    await inst.stop();
    throw err;
  }
}

export const HTTP_TARGETS: readonly HttpBenchTarget[] = [
  {
    id: 'auth-responder',
    prepare: (ctx) => {
      const headers = imapLoginHeaders(`127.0.0.1:${ctx.auth.port}`);
      return Promise.resolve({
        endpoints: [
          {
            id: 'auth-responder-http10',
            url: ctx.auth.url,
            headers,
            oneShot: 'HTTP/1.0',
            note: "the bench's fast auth responder, HTTP/1.0 one request per connection (machine calibration)",
          },
          {
            id: 'auth-responder',
            url: ctx.auth.url,
            headers,
            note: "the bench's fast auth responder over keep-alive HTTP/1.1 (machine calibration)",
          },
        ],
        pids: () => ctx.auth.pids(),
        stop: () => Promise.resolve(),
      });
    },
  },
  { id: 'auth-service', prepare: startAuthService },
  { id: 'postern-status', prepare: startPosternStatus },
];
