/**
 * The transcript runner: plays each transcript of `test/conformance/transcripts/<protocol>/` against a
 * real postern process and against Debian's nginx 1.22.1 mail module, both configured alike and both
 * talking to one scripted auth service and to fake backends, so each must produce the transcript's bytes.
 *
 * Owns: one postern and one nginx for a whole suite (a `server {}` per transcript, each on its own port
 * with its own error_log, so transcripts can run concurrently), the fake auth service that answers each
 * transcript from its `@auth` lines (requests are told apart by an `auth_http_header X-Transcript`), a
 * fake backend per transcript and target (alike, but separate, so what each one received can be checked
 * per target), comparing the two error logs line by line (`compareLogs`), and reading
 * `known-differences.md`.
 * Does not own: the transcript format or playing it (test/helpers/transcript.ts), nor the servers'
 * start-up details (helpers/nginx.ts, helpers/postern-bin.ts). Works for POP3 and SMTP transcripts too:
 * only the backend flavour depends on the protocol.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  closeConn,
  fail,
  hang,
  ok,
  raw,
  reset,
  startFakeAuthHttp,
  wait,
  type FakeAuthHttp,
  type FakeAuthReply,
  type FakeAuthRequest,
} from '../helpers/fake-auth-http.js';
import {
  startFakeUpstream,
  type Command,
  type FakeUpstream,
  type Flavour,
} from '../helpers/fake-upstream.js';
import { makeCerts, type CertSet } from '../helpers/certs.js';
import { startNginx, type Nginx } from '../helpers/nginx.js';
import { startPostern, type RunningPostern } from '../helpers/postern-bin.js';
import { freePort } from '../helpers/ports.js';
import { repoRoot, subDir } from '../helpers/run-dir.js';
import {
  parseTranscript,
  playTranscript,
  splitLogLine,
  unescapeBytes,
  type AuthReplySpec,
  type TargetName,
  type Transcript,
} from '../helpers/transcript.js';

export const TARGETS: readonly TargetName[] = ['postern', 'nginx'];

/** The server_name every transcript server gets (it shows in CRAM-MD5 salts and SMTP greetings). */
export const SERVER_NAME = 'mail.example.test';

export function transcriptsDir(protocol: Flavour): string {
  return join(repoRoot(), 'test', 'conformance', 'transcripts', protocol);
}

/** Every `*.txt` transcript of a protocol, parsed, in file-name order. */
export function loadTranscripts(protocol: Flavour): Transcript[] {
  const dir = transcriptsDir(protocol);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.txt'))
    .sort()
    .map((f) => parseTranscript(readFileSync(join(dir, f), 'latin1'), f.slice(0, -4)));
}

/** The ids of `known-differences.md` (its `## <ID>: <title>` headings), with their titles. */
export function knownDifferences(): ReadonlyMap<string, string> {
  const text = readFileSync(join(repoRoot(), 'test', 'conformance', 'known-differences.md'), 'utf8');
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^## ([A-Za-z0-9._-]+): (.*)$/gm)) out.set(m[1] as string, m[2] as string);
  return out;
}

/** One transcript on one target: its port, log, backend and the auth requests it caused. */
interface Slot {
  readonly transcript: Transcript;
  readonly target: TargetName;
  readonly key: string;
  /** set (again) each time the target is started */
  port: number;
  readonly logFile: string;
  readonly upstream: FakeUpstream;
  readonly requests: FakeAuthRequest[];
  /** length of the log file when the last play started */
  logFrom: number;
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function authReply(spec: AuthReplySpec, slot: Slot): FakeAuthReply {
  switch (spec.kind) {
    case 'ok': {
      const extra: [string, string][] = [];
      if (spec.user !== null) extra.push(['Auth-User', spec.user]);
      if (spec.pass !== null) extra.push(['Auth-Pass', spec.pass]);
      return ok('127.0.0.1', slot.upstream.port, extra);
    }
    case 'fail':
      return fail(spec.text, spec.waitSec === null ? {} : { wait: spec.waitSec });
    case 'wait':
      return wait(spec.sec);
    case 'headers': {
      const head = unescapeBytes(spec.text.replaceAll('$UPSTREAM_PORT', String(slot.upstream.port)));
      return raw([Buffer.from('HTTP/1.0 200 OK\r\n'), head, Buffer.from('\r\n')]);
    }
    case 'raw':
      return raw(spec.data);
    case 'hang':
      return hang();
    case 'close':
      return closeConn();
    case 'reset':
      return reset();
  }
}

/** A backend hook answering LOGIN with the transcript's bytes (`$TAG` = the command's tag). */
function loginReplyHook(reply: string): (cmd: Command) => Buffer | undefined {
  return (cmd) =>
    cmd.verb === 'LOGIN' ? unescapeBytes(reply.replaceAll('$TAG', cmd.tag ?? '*')) : undefined;
}

function serverBlock(slot: Slot, protocol: Flavour, certs: CertSet | null): string {
  const t = slot.transcript;
  const lines = [
    `listen 127.0.0.1:${slot.port};`,
    `protocol ${protocol};`,
    `error_log ${slot.logFile} info;`,
    `auth_http_header X-Transcript ${slot.key};`,
  ];
  if (t.tls && certs !== null) {
    lines.push(`ssl_certificate ${certs.serverRsa.cert};`, `ssl_certificate_key ${certs.serverRsa.key};`);
  }
  lines.push(...t.config);
  return `    server {\n${lines.map((l) => `        ${l}\n`).join('')}    }\n`;
}

export interface RigOptions {
  readonly protocol: Flavour;
  readonly transcripts: readonly Transcript[];
  readonly targets?: readonly TargetName[];
}

/** A running postern and nginx serving every transcript of a suite. */
export class TranscriptRig {
  private constructor(
    private readonly auth: FakeAuthHttp,
    private readonly slots: ReadonlyMap<string, Slot>,
    private readonly postern: RunningPostern | null,
    private readonly nginx: Nginx | null,
    private readonly upstreams: readonly FakeUpstream[],
  ) {}

  static async start(o: RigOptions): Promise<TranscriptRig> {
    const targets = o.targets ?? TARGETS;
    const dir = subDir(`transcripts-${o.protocol}`);
    const slots = new Map<string, Slot>();
    const upstreams: FakeUpstream[] = [];
    const auth = await startFakeAuthHttp({
      script: (req) => {
        const slot = slots.get(req.header('X-Transcript') ?? '');
        if (slot === undefined) return closeConn();
        slot.requests.push(req);
        const specs = slot.transcript.auth;
        const spec = specs[Math.min(slot.requests.length - 1, specs.length - 1)] as AuthReplySpec;
        return authReply(spec, slot);
      },
    });
    let postern: RunningPostern | null = null;
    let nginx: Nginx | null = null;
    try {
      const certs = o.transcripts.some((t) => t.tls) ? await makeCerts() : null;
      for (const t of o.transcripts) {
        for (const target of targets) {
          const u = t.upstream;
          const upstream = await startFakeUpstream({
            flavour: o.protocol,
            rejectLogin: u.rejectLogin,
            silent: u.silent,
            afterLogin: u.afterLogin,
            ...(u.greeting === undefined ? {} : { greeting: u.greeting }),
            ...(u.capabilities === undefined ? {} : { imapCapabilities: u.capabilities }),
            ...(u.messageBytes === undefined ? {} : { messageBytes: u.messageBytes }),
            ...(u.resetAfterBytes === undefined ? {} : { resetAfterBytes: u.resetAfterBytes }),
            ...(u.loginReply === undefined ? {} : { onCommand: loginReplyHook(u.loginReply) }),
          });
          upstreams.push(upstream);
          const key = `${t.name}@${target}`;
          slots.set(key, {
            transcript: t,
            target,
            key,
            port: 0,
            logFile: join(dir, `${target}-${t.name}.log`),
            upstream,
            requests: [],
            logFrom: 0,
          });
        }
      }
      const mailBody = (target: TargetName): string =>
        `    server_name ${SERVER_NAME};\n    auth_http ${auth.url};\n` +
        [...slots.values()]
          .filter((s) => s.target === target)
          .map((s) => serverBlock(s, o.protocol, certs))
          .join('');
      for (const s of slots.values()) writeFileSync(s.logFile, '');
      // Ports are taken after every in-process listener is up; a port another process grabs before the
      // server binds it fails the start, which is retried with new ports.
      const withPorts = async <T>(target: TargetName, start: () => Promise<T>): Promise<T> => {
        for (let attempt = 1; ; attempt++) {
          for (const s of slots.values()) if (s.target === target) s.port = await freePort();
          try {
            return await start();
          } catch (err) {
            if (attempt >= 3 || !/Address already in use/.test((err as Error).message)) throw err;
          }
        }
      };
      if (targets.includes('postern')) {
        const conf = join(dir, 'postern.conf');
        postern = await withPorts('postern', () => {
          writeFileSync(
            conf,
            `worker_processes 1;\ndaemon off;\npid ${dir}/postern.pid;\nerror_log ${dir}/postern-main.log info;\n` +
              `events {}\nmail {\n${mailBody('postern')}}\n`,
          );
          return startPostern(['-p', `${dir}/`, '-c', conf], join(dir, 'postern.pid'));
        });
      }
      if (targets.includes('nginx'))
        nginx = await withPorts('nginx', () => startNginx({ mailConfig: mailBody('nginx') }));
      return new TranscriptRig(auth, slots, postern, nginx, upstreams);
    } catch (err) {
      await postern?.kill();
      await nginx?.stop();
      for (const u of upstreams) await u.close();
      await auth.close();
      throw err;
    }
  }

  /** Plays `t` on `target`; rejects with the step that failed. */
  async play(t: Transcript, target: TargetName, waitMs?: number): Promise<void> {
    const slot = this.slots.get(`${t.name}@${target}`);
    if (slot === undefined) throw new Error(`no server for ${t.name} on ${target}`);
    slot.logFrom = Buffer.byteLength(readText(slot.logFile));
    await playTranscript(
      t,
      {
        name: target,
        port: slot.port,
        vars: {
          SERVER: `127.0.0.1:${slot.port}`,
          UPSTREAM: `127.0.0.1:${slot.upstream.port}`,
          AUTH: this.auth.addrText,
        },
        authRequests: () => slot.requests,
        logText: () => readText(slot.logFile),
        upstreamReceived: () => slot.upstream.connections.at(-1)?.received ?? Buffer.alloc(0),
      },
      waitMs === undefined ? {} : { waitMs },
    );
  }

  /**
   * The session log lines the last play of `t` wrote on `target`, comparable across targets: `[level] text`
   * with the addresses replaced by `$SERVER`, `$UPSTREAM` and `$AUTH`, without the `connected to` lines
   * (they carry the client's port) and without postern's own `session closed` summary.
   */
  sessionLog(t: Transcript, target: TargetName): string[] {
    const slot = this.slots.get(`${t.name}@${target}`);
    if (slot === undefined) throw new Error(`no server for ${t.name} on ${target}`);
    const text = Buffer.from(readText(slot.logFile)).subarray(slot.logFrom).toString('utf8');
    const out: string[] = [];
    let keep = false;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const parts = splitLogLine(line);
      if (parts === null) {
        // nginx writes control bytes raw: a logged CR LF continues the previous line
        if (keep && out.length > 0) out[out.length - 1] = `${out[out.length - 1] ?? ''}\n${line}`;
        continue;
      }
      const [level, rest] = parts;
      keep = !(/^client \S+ connected to \S+$/.test(rest) || rest.startsWith('session closed ('));
      if (!keep) continue;
      out.push(
        `[${level}] ${rest}`
          .replaceAll(`127.0.0.1:${slot.port}`, '$SERVER')
          .replaceAll(`127.0.0.1:${slot.upstream.port}`, '$UPSTREAM')
          .replaceAll(this.auth.addrText, '$AUTH'),
      );
    }
    return out;
  }

  /**
   * Compares the two targets' session logs of `t` (after both played it), waiting up to `settleMs` for
   * lines written after the client saw the close. Returns a description of the difference, or null.
   */
  async compareLogs(t: Transcript, settleMs = 2_000): Promise<string | null> {
    const deadline = Date.now() + settleMs;
    for (;;) {
      const a = this.sessionLog(t, 'postern');
      const b = this.sessionLog(t, 'nginx');
      if (a.length === b.length && a.every((l, i) => l === b[i])) return null;
      if (Date.now() >= deadline) {
        return `the error logs differ\n--- postern\n${a.join('\n')}\n--- nginx\n${b.join('\n')}`;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    await this.postern?.kill();
    await this.nginx?.stop();
    for (const u of this.upstreams) await u.close();
    await this.auth.close();
  }
}
