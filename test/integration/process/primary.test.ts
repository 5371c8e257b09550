/**
 * The primary and its workers over real sockets, on hand-built configurations (primary-driver.ts):
 * worker count, respawn, reload (good and broken), graceful and fast stop, log reopening, and full
 * workers, for both accept policies.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MainConfig } from '../../../src/config/types.js';
import { startModule, waitFor, type RunningPostern } from '../../helpers/postern-bin.js';
import { mainConfig, server, tcpListen } from './config-fixture.js';
import { connectClient, freePort } from './client.js';

interface Env {
  dir: string;
  json: string;
  log: string;
  pidFile: string;
  running: RunningPostern | null;
}

function makeEnv(): Env {
  const dir = `${mkdtempSync(join(tmpdir(), 'postern-proc-'))}/`;
  mkdirSync(join(dir, 'logs'));
  return { dir, json: join(dir, 'c.json'), log: join(dir, 'logs/error.log'), pidFile: join(dir, 'logs/postern.pid'), running: null };
}

function writeConfig(env: Env, config: MainConfig): void {
  writeFileSync(env.json, JSON.stringify(config));
}

async function start(env: Env, config: MainConfig): Promise<RunningPostern> {
  writeConfig(env, config);
  env.running = await startModule('test/integration/process/primary-driver', [env.json], env.pidFile);
  return env.running;
}

function logText(env: Env): string {
  try {
    return readFileSync(env.log, 'utf8');
  } catch {
    return '';
  }
}

function waitLog(env: Env, re: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
  return waitFor(`log line ${re}`, () => logText(env).match(re) ?? undefined, timeoutMs);
}

function workerPids(env: Env): number[] {
  return [...logText(env).matchAll(/start worker process (\d+)/g)].map((m) => Number(m[1]));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function cleanup(env: Env): Promise<void> {
  await env.running?.kill();
  rmSync(env.dir, { recursive: true, force: true });
}

describe('primary with the shared accept policy', () => {
  const env = makeEnv();
  let imap = 0;
  let smtp = 0;
  let config: MainConfig;

  before(async () => {
    imap = await freePort();
    smtp = await freePort();
    config = mainConfig(env.dir, [
      server('imap', [tcpListen('127.0.0.1', imap)]),
      server('smtp', [tcpListen('127.0.0.1', smtp)], { serverName: 'old.example' }),
    ], { workerProcesses: 2 });
    await start(env, config);
  });
  after(() => cleanup(env));

  it('runs worker_processes workers once the pid file is written', () => {
    const pids = workerPids(env);
    assert.equal(pids.length, 2);
    for (const pid of pids) assert.ok(alive(pid), `worker ${pid} is alive`);
    assert.equal(readFileSync(env.pidFile, 'latin1'), `${env.running!.pid}\n`);
  });

  it('greets IMAP and SMTP clients and logs the connection as nginx does', async () => {
    const c = await connectClient(imap);
    assert.equal(await c.line(), '* OK IMAP4 ready');
    c.send('a1 LOGOUT\r\n');
    assert.equal(await c.line(), '* BYE');
    assert.equal(await c.line(), 'a1 OK completed');
    await c.closed;
    const s = await connectClient(smtp);
    assert.equal(await s.line(), '220 old.example ESMTP ready');
    s.send('QUIT\r\n');
    assert.equal(await s.line(), '221 2.0.0 Bye');
    await s.closed;
    await waitLog(env, new RegExp(`^\\d{4}/\\d\\d/\\d\\d \\d\\d:\\d\\d:\\d\\d \\[info\\] (\\d+)#\\1: \\*\\d+ client 127\\.0\\.0\\.1:\\d+ connected to 127\\.0\\.0\\.1:${imap}$`, 'm'));
  });

  it('replaces a killed worker and serves new connections', async () => {
    const [victim] = workerPids(env);
    assert.ok(victim !== undefined);
    process.kill(victim, 'SIGKILL');
    await waitLog(env, new RegExp(`\\[alert\\] \\d+#\\d+: worker process ${victim} exited on signal 9\\n`));
    await waitFor('a third worker', () => (workerPids(env).length === 3 ? true : undefined));
    const fresh = workerPids(env)[2]!;
    await waitFor('the new worker to be alive', () => (alive(fresh) ? true : undefined));
    for (let i = 0; i < 4; i++) {
      const c = await connectClient(imap);
      assert.equal(await c.line(), '* OK IMAP4 ready');
      c.destroy();
    }
  });

  it('keeps the old configuration when a reload fails, and logs why', async () => {
    const before = workerPids(env).length;
    writeFileSync(env.json, JSON.stringify({ error: 'unknown directive "foo"' }));
    env.running!.signal('SIGHUP');
    await waitLog(env, /\[emerg\] \d+#\d+: unknown directive "foo" in .*c\.json:1\n/);
    assert.equal(workerPids(env).length, before);
    const s = await connectClient(smtp);
    assert.equal(await s.line(), '220 old.example ESMTP ready');
    s.destroy();
  });

  it('reloads on HUP: new connections see the new server_name, an open one keeps working', async () => {
    const open = await connectClient(smtp);
    assert.equal(await open.line(), '220 old.example ESMTP ready');
    const next = mainConfig(env.dir, [
      server('imap', [tcpListen('127.0.0.1', imap)]),
      server('smtp', [tcpListen('127.0.0.1', smtp)], { serverName: 'new.example' }),
    ], { workerProcesses: 2 });
    writeConfig(env, next);
    env.running!.signal('SIGHUP');
    await waitLog(env, /signal 1 \(SIGHUP\) received, reconfiguring\n[^]*gracefully shutting down/);
    const fresh = await connectClient(smtp);
    assert.equal(await fresh.line(), '220 new.example ESMTP ready');
    fresh.destroy();
    open.send('QUIT\r\n');
    assert.equal(await open.line(), '221 2.0.0 Bye');
    await open.closed;
  });

  it('reopens a log file that was moved away on USR1', async () => {
    renameSync(env.log, `${env.log}.1`);
    env.running!.signal('SIGUSR1');
    await waitFor('the log file to be created again', () => (existsSync(env.log) ? true : undefined));
    assert.match(readFileSync(`${env.log}.1`, 'utf8'), /signal 10 \(SIGUSR1\) received, reopening logs\n/);
    // give every worker time to reopen, then a new line must land in the new file
    await waitFor('workers to reopen', () =>
      (readFileSync(`${env.log}.1`, 'utf8').match(/\[notice\] \d+#\d+: reopening logs\n/g)?.length ?? 0) >= 3 ? true : undefined);
    const c = await connectClient(imap);
    assert.equal(await c.line(), '* OK IMAP4 ready');
    c.destroy();
    await waitLog(env, /\*\d+ client 127\.0\.0\.1:\d+ connected to /);
  });

  it('waits for open sessions on QUIT, then exits and removes the pid file', async () => {
    const c = await connectClient(imap);
    assert.equal(await c.line(), '* OK IMAP4 ready');
    env.running!.signal('SIGQUIT');
    await waitLog(env, /signal 3 \(SIGQUIT\) received, shutting down\n/);
    await waitLog(env, /gracefully shutting down\n/);
    // still serving the open session
    c.send('a2 LOGOUT\r\n');
    assert.equal(await c.line(), '* BYE');
    assert.equal(await c.line(), 'a2 OK completed');
    await c.closed;
    const { code } = await env.running!.exited;
    assert.equal(code, 0);
    assert.equal(existsSync(env.pidFile), false);
    assert.match(logText(env), /\[notice\] \d+#\d+: exit\n$/);
  });
});

describe('primary with the least_conn accept policy', () => {
  const env = makeEnv();
  let imap = 0;

  before(async () => {
    imap = await freePort();
    await start(env, mainConfig(env.dir, [server('imap', [tcpListen('127.0.0.1', imap)])], {
      workerProcesses: 2,
      workerConnections: 1,
      acceptPolicy: 'least_conn',
    }));
  });
  after(() => cleanup(env));

  it('spreads connections over the workers and closes one when all are full, with nginx\'s alert', async () => {
    const a = await connectClient(imap);
    assert.equal(await a.line(), '* OK IMAP4 ready');
    const b = await connectClient(imap);
    assert.equal(await b.line(), '* OK IMAP4 ready');
    const lines = [...logText(env).matchAll(/(\d+)#\d+: \*\d+ client .* connected to/g)].map((m) => m[1]);
    assert.equal(lines.length, 2);
    assert.notEqual(lines[0], lines[1]);
    const c = await connectClient(imap);
    await c.closed;
    await waitLog(env, /\[alert\] \d+#\d+: 1 worker_connections are not enough\n/);
    a.destroy();
    b.destroy();
  });

  it('stops fast on TERM even with open sessions', async () => {
    // the previous test's sessions are gone once the workers report them closed
    await waitFor('free slots', () => undefined, 300).catch(() => undefined);
    const open = await connectClient(imap);
    assert.equal(await open.line(), '* OK IMAP4 ready');
    env.running!.signal('SIGTERM');
    await open.closed;
    const { code } = await env.running!.exited;
    assert.equal(code, 0);
    assert.match(logText(env), /signal 15 \(SIGTERM\) received, exiting\n/);
    assert.equal(existsSync(env.pidFile), false);
  });
});

describe('primary with the least_conn accept policy and one worker', () => {
  const env = makeEnv();
  let imap = 0;
  let config: MainConfig;

  before(async () => {
    imap = await freePort();
    config = mainConfig(env.dir, [server('imap', [tcpListen('127.0.0.1', imap)])], { acceptPolicy: 'least_conn' });
    await start(env, config);
  });
  after(() => cleanup(env));

  it('a connection arriving while the only worker is respawned waits for the new one and is served', async () => {
    const [victim] = workerPids(env);
    assert.ok(victim !== undefined);
    process.kill(victim, 'SIGKILL');
    // Before and during the respawn (100 ms backoff): no worker is ready.
    const early = await connectClient(imap);
    await waitLog(env, new RegExp(`worker process ${victim} exited on signal 9\n`));
    // During the respawn (100 ms backoff) no worker is ready: the connection waits for the new one.
    const during = await connectClient(imap);
    assert.equal(await during.line(), '* OK IMAP4 ready');
    during.destroy();
    // One that reached the dying worker's channel before its death was noticed is lost with it (as one
    // accepted by a dying nginx worker is), but closed at once, never left open in the primary.
    const early1 = await Promise.race([early.line().catch(() => 'no line'), early.closed.then(() => 'closed')]);
    assert.ok(early1 === '* OK IMAP4 ready' || early1 === 'closed', `the early connection: ${early1}`);
    early.destroy();
    assert.doesNotMatch(logText(env), /worker_connections are not enough|no worker process is ready/);
  });

  it('connections during a reload are served (the old worker until the new one is ready)', async () => {
    writeConfig(env, { ...config, workerConnections: 511 });
    env.running!.signal('SIGHUP');
    const clients = [];
    for (let i = 0; i < 10; i++) {
      clients.push(await connectClient(imap));
      await new Promise((r) => setTimeout(r, 15));
    }
    for (const c of clients) {
      assert.equal(await c.line(), '* OK IMAP4 ready');
      c.destroy();
    }
    await waitLog(env, /gracefully shutting down/);
    assert.doesNotMatch(logText(env), /worker_connections are not enough|no worker process is ready/);
  });
});

describe('primary with full shared workers', () => {
  const env = makeEnv();
  let imap = 0;

  before(async () => {
    imap = await freePort();
    await start(env, mainConfig(env.dir, [server('imap', [tcpListen('127.0.0.1', imap)])], {
      workerProcesses: 1,
      workerConnections: 1,
    }));
  });
  after(() => cleanup(env));

  it('stops accepting at worker_connections and serves the waiting client once a session ends', async () => {
    const a = await connectClient(imap);
    assert.equal(await a.line(), '* OK IMAP4 ready');
    const b = await connectClient(imap); // waits in the backlog
    await assert.rejects(b.line(500), /no line/);
    a.send('a1 LOGOUT\r\n');
    await a.closed;
    assert.equal(await b.line(), '* OK IMAP4 ready');
    b.destroy();
  });
});
