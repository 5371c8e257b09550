/**
 * Shared pieces of the observability tests: a real postern (the binary, with a status listener) in
 * front of a private Dovecot and Postfix and the fake auth_http service, a scraper that parses the
 * Prometheus text into exact series, and one-session dialogues for IMAP, POP3 and SMTP driven byte for
 * byte with LineClient (so the test knows exactly what each session did).
 *
 * Not a test file itself (no `.test.ts`), so `node --test` does not run it.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDovecot, type Dovecot } from '../../helpers/dovecot.js';
import { startPostfix, type Postfix } from '../../helpers/postfix.js';
import { closeConn, fail, ok, startFakeAuthHttp, type FakeAuthHttp, type FakeAuthRequest } from '../../helpers/fake-auth-http.js';
import { connectLine, type LineClient } from '../../helpers/line-client.js';
import { dotStuff } from '../../helpers/mailbox.js';
import { freePort } from '../../helpers/ports.js';
import { startPostern, type RunningPostern } from '../../helpers/postern-bin.js';
import { subDir } from '../../helpers/run-dir.js';

export const PASSWORD = 'secret';

export interface Backends {
  readonly dovecot: Dovecot;
  readonly postfix: Postfix;
  readonly auth: FakeAuthHttp;
  /** a loopback port nothing listens on: a backend that refuses connections */
  readonly deadPort: number;
  stop(): Promise<void>;
}

/**
 * Dovecot (IMAP, POP3) and Postfix (SMTP) with the given users, and a fake auth_http that sends each
 * protocol to its backend. Logins decide the answer: `bad*` are refused, `broken*` get a connection
 * closed without an answer, `dead*` are sent to a port where nothing listens; the rest are accepted.
 */
export async function startBackends(users: readonly string[]): Promise<Backends> {
  const dovecot = await startDovecot({ users: users.map((user) => ({ user, password: PASSWORD })) });
  const postfix = await startPostfix({ users: users.map((u) => `${u}@example.test`) });
  const deadPort = await freePort();
  const auth = await startFakeAuthHttp({
    script: (req: FakeAuthRequest) => {
      const user = decodeURIComponent(req.header('Auth-User') ?? '');
      if (user.startsWith('bad')) return fail('Invalid login or password');
      if (user.startsWith('broken')) return closeConn();
      const proto = req.header('Auth-Protocol');
      const port = user.startsWith('dead')
        ? deadPort
        : proto === 'imap'
          ? dovecot.imapPort
          : proto === 'pop3'
            ? dovecot.pop3Port
            : postfix.smtpPort;
      return ok('127.0.0.1', port);
    },
  });
  return {
    dovecot,
    postfix,
    auth,
    deadPort,
    stop: async () => {
      await auth.close();
      await postfix.stop();
      await dovecot.stop();
    },
  };
}

export interface Proxy {
  readonly p: RunningPostern;
  readonly dir: string;
  readonly conf: string;
  readonly imap: number;
  readonly pop3: number;
  readonly smtp: number;
  readonly statusPort: number;
  /** the whole error log so far */
  log(): string;
  /** `session closed (...)` lines so far */
  sessionLines(): string[];
  /** GET /metrics, parsed */
  scrape(): Promise<Metrics>;
  /** GET /status, parsed */
  status(): Promise<StatusJson>;
  /** rewrites the configuration (same mail ports) with other main-context lines or status lines */
  rewrite(change: ConfigChange): void;
  /** HUP, then waits until /status shows `generation` with every current worker ready */
  reload(): Promise<number>;
  stop(): Promise<void>;
}

export interface StatusJson {
  readonly pid: number;
  readonly generation: number;
  readonly reloads: { readonly ok: number; readonly failed: number };
  readonly sessions: { readonly total: number; readonly imap: number; readonly pop3: number; readonly smtp: number };
  readonly workers: readonly { readonly pid: number; readonly generation: number; readonly state: string; readonly sessions: number | null }[];
}

export interface ConfigChange {
  /** main-context lines added after the others */
  readonly mainExtra?: string;
  /** the status_* lines (default: listen on `statusPort`, allow 127.0.0.1, deny all) */
  readonly status?: string;
}

export interface ProxyOptions {
  readonly auth: FakeAuthHttp;
  /** main-context lines (worker_processes, worker_shutdown_timeout, …) */
  readonly main?: string;
  /** inside events {} */
  readonly events?: string;
  /** inside mail {} before the servers */
  readonly mail?: string;
  readonly logFormat?: 'nginx' | 'json';
  /** the status_* lines, given the free port chosen for the listener */
  readonly status?: (statusPort: number) => string;
}

/** Starts the real binary with IMAP, POP3 and SMTP servers and a status listener, all on free ports. */
export async function startProxy(o: ProxyOptions): Promise<Proxy> {
  const dir = subDir('postern-obs');
  const [imap, pop3, smtp, statusPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const conf = join(dir, 'postern.conf');
  const errorLog = join(dir, 'error.log');
  const pidFile = join(dir, 'postern.pid');
  const defaultStatus = o.status?.(statusPort) ?? `status_listen 127.0.0.1:${statusPort};\nstatus_allow 127.0.0.1;\nstatus_deny all;`;
  const write = (change: ConfigChange): void => {
    writeFileSync(
      conf,
      `daemon off;
pid ${pidFile};
error_log ${errorLog} info;
${o.logFormat === 'json' ? 'error_log_format json;' : ''}
${change.status ?? defaultStatus}
${o.main ?? 'worker_processes 2;'}
${change.mainExtra ?? ''}
events { ${o.events ?? ''} }
mail {
  auth_http ${o.auth.url};
  ${o.mail ?? ''}
  server { listen 127.0.0.1:${imap}; protocol imap; }
  server { listen 127.0.0.1:${pop3}; protocol pop3; }
  server { listen 127.0.0.1:${smtp}; protocol smtp; smtp_auth plain login; }
}
`,
    );
  };
  write({});
  const p = await startPostern(['-p', `${dir}/`, '-c', conf], pidFile);
  const base = `http://127.0.0.1:${statusPort}`;
  const log = (): string => {
    try {
      return readFileSync(errorLog, 'utf8');
    } catch {
      return '';
    }
  };
  const status = async (): Promise<StatusJson> => {
    const r = await fetch(`${base}/status`);
    assert.equal(r.status, 200);
    return (await r.json()) as StatusJson;
  };
  const proxy: Proxy = {
    p,
    dir,
    conf,
    imap,
    pop3,
    smtp,
    statusPort,
    log,
    sessionLines: () => log().split('\n').filter((l) => l.includes('session closed (')),
    scrape: async () => {
      const r = await fetch(`${base}/metrics`);
      assert.equal(r.status, 200);
      return parseMetrics(await r.text());
    },
    status,
    rewrite: write,
    reload: async () => {
      const before = (await status()).generation;
      p.signal('SIGHUP');
      const deadline = Date.now() + 20_000;
      for (;;) {
        const s = await status();
        const current = s.workers.filter((w) => w.generation === s.generation);
        if (s.generation > before && current.length > 0 && current.every((w) => w.state === 'ready')) return s.generation;
        if (Date.now() > deadline) throw new Error(`reload did not finish: ${JSON.stringify(s)}`);
        await sleep(25);
      }
    },
    stop: () => p.kill(),
  };
  return proxy;
}

/** One scrape: `name{labels}` (exactly as printed) → value. */
export type Metrics = ReadonlyMap<string, number>;

export function parseMetrics(text: string): Metrics {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

/** The series of one family (name, or name prefix up to `{`), sorted, as `series value` lines. */
export function family(m: Metrics, name: string): string[] {
  return [...m]
    .filter(([k]) => k === name || k.startsWith(`${name}{`))
    .map(([k, v]) => `${k} ${v}`)
    .sort();
}

// ---- dialogues ----------------------------------------------------------------------------------

async function greeted(port: number, greeting: RegExp): Promise<LineClient> {
  const c = await connectLine({ port, timeoutMs: 10_000 });
  await c.expect(greeting);
  return c;
}

/** IMAP: LOGIN, fetch UID 1 and check its bytes, LOGOUT; the backend closes. */
export async function imapFetch(port: number, user: string, expected: Buffer): Promise<void> {
  const c = await greeted(port, /^\* OK /);
  try {
    c.send(`a LOGIN ${user} ${PASSWORD}\r\n`);
    await c.skipUntil(/^a OK /);
    c.send('b SELECT INBOX\r\n');
    await c.skipUntil(/^b OK /);
    c.send('c UID FETCH 1 BODY.PEEK[]\r\n');
    const head = (await c.readUntil(/\{\d+\}\r\n/)).toString('latin1');
    const size = Number(/\{(\d+)\}\r\n$/.exec(head)?.[1]);
    const body = await c.readBytes(size);
    assert.ok(body.equals(expected), `IMAP message of ${user} differs (${body.length} vs ${expected.length} bytes)`);
    await c.skipUntil(/^c OK /);
    c.send('d LOGOUT\r\n');
    await c.skipUntil(/^d OK /);
    await c.waitClosed();
  } finally {
    c.destroy();
  }
}

/** IMAP LOGIN that the auth service refuses (no Auth-Wait): `NO` with its text, then the proxy closes. */
export async function imapRefused(port: number, user: string): Promise<void> {
  const c = await greeted(port, /^\* OK /);
  try {
    c.send(`a LOGIN ${user} ${PASSWORD}\r\n`);
    await c.expect('a NO Invalid login or password\r\n');
    await c.waitClosed();
  } finally {
    c.destroy();
  }
}

/** A login that ends in nginx's internal error (auth_http unusable, or the backend unreachable). */
export async function internalError(port: number, protocol: 'imap' | 'pop3' | 'smtp', user: string): Promise<void> {
  const c = await greeted(port, protocol === 'imap' ? /^\* OK / : protocol === 'pop3' ? /^\+OK / : /^220 /);
  try {
    if (protocol === 'imap') {
      c.send(`a LOGIN ${user} ${PASSWORD}\r\n`);
      await c.expect('* BAD internal server error\r\n');
    } else if (protocol === 'pop3') {
      c.send(`USER ${user}\r\n`);
      await c.expect('+OK\r\n');
      c.send(`PASS ${PASSWORD}\r\n`);
      await c.expect('-ERR internal server error\r\n');
    } else {
      c.send('EHLO client.test\r\n');
      await c.skipUntil(/^250 /);
      c.send(`AUTH PLAIN ${Buffer.from(`\0${user}\0${PASSWORD}`).toString('base64')}\r\n`);
      await c.expect('451 4.3.2 Internal server error\r\n');
    }
    await c.waitClosed();
  } finally {
    c.destroy();
  }
}

/** IMAP: invalid commands until max_errors (default 5) closes the session. */
export async function imapTooManyErrors(port: number): Promise<void> {
  const c = await greeted(port, /^\* OK /);
  try {
    for (let i = 0; i < 5; i++) {
      c.send(`x${i} FOO\r\n`);
      await c.expect(`x${i} BAD invalid command\r\n`);
    }
    c.end();
    await c.waitClosed({ timeoutMs: 15_000 });
  } finally {
    c.destroy();
  }
}

/** POP3: USER/PASS, RETR 1 and check its bytes (dot-stuffed on the wire), QUIT; the backend closes. */
export async function pop3Retr(port: number, user: string, expected: Buffer): Promise<void> {
  const c = await greeted(port, /^\+OK /);
  try {
    c.send(`USER ${user}\r\n`);
    await c.expect('+OK\r\n');
    c.send(`PASS ${PASSWORD}\r\n`);
    await c.expect(/^\+OK /);
    c.send('RETR 1\r\n');
    await c.expect(/^\+OK /);
    const body = await c.readUntil('\r\n.\r\n');
    const want = Buffer.concat([dotStuff(expected), Buffer.from('.\r\n')]);
    assert.ok(body.equals(want), `POP3 message of ${user} differs (${body.length} vs ${want.length} bytes)`);
    c.send('QUIT\r\n');
    await c.expect(/^\+OK /);
    await c.waitClosed();
  } finally {
    c.destroy();
  }
}

/** POP3 PASS that the auth service refuses: `-ERR` with its text, then the proxy closes. */
export async function pop3Refused(port: number, user: string): Promise<void> {
  const c = await greeted(port, /^\+OK /);
  try {
    c.send(`USER ${user}\r\n`);
    await c.expect('+OK\r\n');
    c.send(`PASS ${PASSWORD}\r\n`);
    await c.expect('-ERR Invalid login or password\r\n');
    await c.waitClosed();
  } finally {
    c.destroy();
  }
}

/** SMTP: EHLO, AUTH PLAIN, one message to `<user>@example.test`, QUIT; the backend closes. */
export async function smtpSend(port: number, user: string, message: Buffer): Promise<void> {
  const c = await greeted(port, /^220 /);
  try {
    c.send('EHLO client.test\r\n');
    await c.skipUntil(/^250 /);
    c.send(`AUTH PLAIN ${Buffer.from(`\0${user}\0${PASSWORD}`).toString('base64')}\r\n`);
    await c.expect(/^235 /);
    c.send(`MAIL FROM:<sender@example.org>\r\n`);
    await c.expect(/^250 /);
    c.send(`RCPT TO:<${user}@example.test>\r\n`);
    await c.expect(/^250 /);
    c.send('DATA\r\n');
    await c.expect(/^354 /);
    c.send(Buffer.concat([dotStuff(message), Buffer.from('.\r\n')]));
    await c.expect(/^250 /);
    c.send('QUIT\r\n');
    await c.expect(/^221 /);
    await c.waitClosed();
  } finally {
    c.destroy();
  }
}

/** SMTP AUTH that the auth service refuses: nginx's `535 5.7.8` reply; the session stays open until QUIT. */
export async function smtpRefused(port: number, user: string): Promise<void> {
  const c = await greeted(port, /^220 /);
  try {
    c.send('EHLO client.test\r\n');
    await c.skipUntil(/^250 /);
    c.send(`AUTH PLAIN ${Buffer.from(`\0${user}\0${PASSWORD}`).toString('base64')}\r\n`);
    await c.expect(/^535 /);
    await c.waitClosed();
  } finally {
    c.destroy();
  }
}

/** A client that connects, reads the greeting and says nothing until the proxy's `timeout` closes it. */
export async function silentUntilTimeout(port: number, greeting: RegExp): Promise<void> {
  const c = await greeted(port, greeting);
  try {
    await c.waitClosed({ timeoutMs: 20_000 });
  } finally {
    c.destroy();
  }
}
