/**
 * postern's command line as a real process, with the real config loader: nginx's flags, outputs and
 * exit codes, `-t`/`-T`, `-s`, start in the foreground, as a daemon and as a single process.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPid, runPostern, startPostern, waitFor, type RunningPostern } from '../../helpers/postern-bin.js';
import { connectClient, freePort } from './client.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url.replace('/build/test/', '/test/')), 'utf8')) as { version: string }).version;

function tempPrefix(): string {
  const dir = `${mkdtempSync(join(tmpdir(), 'postern-cli-'))}/`;
  mkdirSync(join(dir, 'logs'));
  mkdirSync(join(dir, 'conf'));
  return dir;
}

function conf(prefix: string, body: string, name = 'conf/postern.conf'): string {
  const path = join(prefix, name);
  writeFileSync(path, body);
  return path;
}

function mailConf(opts: { port: number; serverName?: string; extraMain?: string; extraEvents?: string }): string {
  return (
    `error_log logs/error.log info;\npid logs/postern.pid;\nworker_processes 1;\ndaemon off;\n${opts.extraMain ?? ''}` +
    `events { worker_connections 64; ${opts.extraEvents ?? ''} }\n` +
    'mail {\n  auth_http 127.0.0.1:9/auth;\n' +
    `  server { listen 127.0.0.1:${opts.port}; protocol smtp; server_name ${opts.serverName ?? 'one.example'}; }\n}\n`
  );
}

describe('command line flags', () => {
  it('prints the version line on stderr for -v and exits 0', async () => {
    const r = await runPostern(['-v']);
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, '', `postern version: postern/${VERSION}\n`]);
  });

  it('prints the version and usage for -h and -?', async () => {
    for (const flag of ['-h', '-?']) {
      const r = await runPostern([flag]);
      assert.equal(r.code, 0);
      assert.match(r.stderr, new RegExp(`^postern version: postern/${VERSION.replace(/\./g, '\\.')}\nUsage: postern \\[-\\?hvVtTq\\] \\[-s signal\\] \\[-p prefix\\]\n`));
      assert.match(r.stderr, /\n {2}-s signal {5}: signal the primary process: stop, quit, reopen, reload\n/);
    }
  });

  it('prints build details for -V, naming the mail modules as nginx -V does', async () => {
    const r = await runPostern(['-V']);
    assert.equal(r.code, 0);
    assert.match(r.stderr, /\nconfigure arguments: --with-mail --with-mail_ssl_module\n$/);
  });

  it('rejects bad options with nginx\'s messages and exit code 1', async () => {
    const cases: [string[], string][] = [
      [['-x'], 'postern: invalid option: "x"\n'],
      [['-tx'], 'postern: invalid option: "x"\n'],
      [['foo'], 'postern: invalid option: "foo"\n'],
      [['-s', 'restart'], 'postern: invalid option: "-s restart"\n'],
      [['-c'], 'postern: option "-c" requires file name\n'],
      [['-p'], 'postern: option "-p" requires directory name\n'],
      [['-e'], 'postern: option "-e" requires file name\n'],
      [['-g'], 'postern: option "-g" requires parameter\n'],
      [['-s'], 'postern: option "-s" requires parameter\n'],
    ];
    for (const [args, stderr] of cases) {
      const r = await runPostern(args);
      assert.deepEqual([args, r.code, r.stderr], [args, 1, stderr]);
    }
  });
});

describe('-t and -T', () => {
  const prefix = tempPrefix();
  after(() => {
    rmSync(prefix, { recursive: true, force: true });
  });

  it('prints nginx\'s two success lines and exits 0', async () => {
    const port = await freePort();
    const file = conf(prefix, mailConf({ port }));
    const r = await runPostern(['-p', prefix, '-t']);
    assert.deepEqual([r.code, r.stdout], [0, '']);
    assert.equal(r.stderr, `postern: the configuration file ${file} syntax is ok\npostern: configuration file ${file} test is successful\n`);
  });

  it('prints nothing with -q when the test passes', async () => {
    const r = await runPostern(['-p', prefix, '-tq']);
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, '', '']);
  });

  it('dumps every configuration file to stdout with -T', async () => {
    const file = join(prefix, 'conf/postern.conf');
    const r = await runPostern(['-p', prefix, '-T', '-q']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `# configuration file ${file}:\n${readFileSync(file, 'utf8')}\n`);
  });

  it('prints the error and "test failed" with exit code 1', async () => {
    const file = conf(prefix, 'events {}\nfoo;\n', 'conf/bad.conf');
    const r = await runPostern(['-p', prefix, '-c', 'conf/bad.conf', '-t']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `postern: [emerg] unknown directive "foo" in ${file}:2\npostern: configuration file ${file} test failed\n`);
    // and the same line, in nginx's full format, in the start-up error log
    assert.match(readFileSync(join(prefix, 'logs/error.log'), 'utf8'), new RegExp(`\\[emerg\\] (\\d+)#\\1: unknown directive "foo" in ${file}:2\\n`));
  });

  it('fails the test when a listen address cannot be bound for another reason than "in use"', async () => {
    const file = conf(prefix, mailConf({ port: 0 }).replace('127.0.0.1:0', '192.0.2.1:2525'), 'conf/nobind.conf');
    const r = await runPostern(['-p', prefix, '-c', 'conf/nobind.conf', '-t', '-q']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `postern: [emerg] bind() to 192.0.2.1:2525 failed (99: Cannot assign requested address)\npostern: configuration file ${file} test failed\n`);
  });
});

describe('-s without a running primary', () => {
  const prefix = tempPrefix();
  before(async () => {
    conf(prefix, mailConf({ port: await freePort() }));
  });
  after(() => {
    rmSync(prefix, { recursive: true, force: true });
  });

  it('reports a missing pid file as nginx does and exits 1', async () => {
    const r = await runPostern(['-p', prefix, '-s', 'reload']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `postern: [error] open() "${prefix}logs/postern.pid" failed (2: No such file or directory)\n`);
  });

  it('reports an invalid pid and exits 1', async () => {
    writeFileSync(join(prefix, 'logs/postern.pid'), 'abc\n');
    const r = await runPostern(['-p', prefix, '-s', 'stop']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `postern: [error] invalid PID number "abc" in "${prefix}logs/postern.pid"\n`);
  });
});

describe('a running postern controlled with -s', () => {
  const prefix = tempPrefix();
  const pidFile = join(prefix, 'logs/postern.pid');
  let port = 0;
  let running: RunningPostern | null = null;
  before(async () => {
    port = await freePort();
    conf(prefix, mailConf({ port }));
    running = await startPostern(['-p', prefix], pidFile);
  });
  after(async () => {
    await running?.kill();
    rmSync(prefix, { recursive: true, force: true });
  });

  it('reloads on -s reload: new connections get the new server_name', async () => {
    const before = await connectClient(port);
    assert.equal(await before.line(), '220 one.example ESMTP ready');
    conf(prefix, mailConf({ port, serverName: 'two.example' }));
    const r = await runPostern(['-p', prefix, '-s', 'reload']);
    assert.deepEqual([r.code, r.stderr], [0, '']);
    await waitFor('the old worker to drain', () =>
      /gracefully shutting down/.test(readFileSync(join(prefix, 'logs/error.log'), 'utf8')) ? true : undefined);
    const after = await connectClient(port);
    assert.equal(await after.line(), '220 two.example ESMTP ready');
    after.destroy();
    before.send('QUIT\r\n');
    assert.equal(await before.line(), '221 2.0.0 Bye');
  });

  it('keeps serving with the old configuration when the reloaded file is broken, and logs why', async () => {
    const file = conf(prefix, `${mailConf({ port, serverName: 'three.example' })}bogus;\n`);
    // `-s reload` would refuse the broken file itself (as nginx's does), so signal directly
    running!.signal('SIGHUP');
    await waitFor('the reload error in the log', () =>
      new RegExp(`\\[emerg\\] \\d+#\\d+: unknown directive "bogus" in ${file}:\\d+\\n`).test(readFileSync(join(prefix, 'logs/error.log'), 'utf8')) ? true : undefined);
    const c = await connectClient(port);
    assert.equal(await c.line(), '220 two.example ESMTP ready');
    c.destroy();
  });

  it('stops gracefully on -s quit and removes the pid file', async () => {
    conf(prefix, mailConf({ port, serverName: 'two.example' }));
    const r = await runPostern(['-p', prefix, '-s', 'quit']);
    assert.equal(r.code, 0);
    const { code } = await running!.exited;
    assert.equal(code, 0);
    assert.equal(existsSync(pidFile), false);
  });
});

describe('-s stop, daemon and master_process off', () => {
  const prefix = tempPrefix();
  const pidFile = join(prefix, 'logs/postern.pid');
  after(() => {
    rmSync(prefix, { recursive: true, force: true });
  });

  it('stops fast on -s stop', async () => {
    const port = await freePort();
    conf(prefix, mailConf({ port }));
    const running = await startPostern(['-p', prefix], pidFile);
    try {
      const c = await connectClient(port);
      assert.equal(await c.line(), '220 one.example ESMTP ready');
      const r = await runPostern(['-p', prefix, '-s', 'stop']);
      assert.equal(r.code, 0);
      await c.closed;
      assert.equal((await running.exited).code, 0);
      assert.equal(existsSync(pidFile), false);
    } finally {
      await running.kill();
    }
  });

  it('with "daemon on", returns 0 once the pid file is written and keeps serving in the background', async () => {
    const port = await freePort();
    conf(prefix, mailConf({ port }).replace('daemon off;', 'daemon on;'));
    const r = await runPostern(['-p', prefix]);
    assert.deepEqual([r.code, r.stderr], [0, '']);
    const pid = readPid(pidFile);
    assert.ok(pid !== null);
    try {
      const c = await connectClient(port);
      assert.equal(await c.line(), '220 one.example ESMTP ready');
      c.destroy();
      assert.equal((await runPostern(['-p', prefix, '-s', 'stop'])).code, 0);
      await waitFor('the pid file to go', () => (existsSync(pidFile) ? undefined : true));
    } finally {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // stopped already
      }
    }
  });

  it('with "daemon on", prints a bind error on the terminal and exits 1', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      conf(prefix, mailConf({ port }).replace('daemon off;', 'daemon on;'));
      const r = await runPostern(['-p', prefix]);
      assert.equal(r.code, 1);
      const line = `postern: [emerg] bind() to 127.0.0.1:${port} failed (98: Address already in use)\n`;
      assert.equal(r.stderr, `${line.repeat(5)}postern: [emerg] still could not bind()\n`);
      assert.equal(existsSync(pidFile), false);
    } finally {
      blocker.close();
    }
  });

  it('with "master_process off", serves from one process and exits on QUIT', async () => {
    const port = await freePort();
    conf(prefix, mailConf({ port }).replace('daemon off;', 'daemon off;\nmaster_process off;'));
    rmSync(join(prefix, 'logs/error.log'), { force: true });
    const running = await startPostern(['-p', prefix], pidFile);
    try {
      const c = await connectClient(port);
      assert.equal(await c.line(), '220 one.example ESMTP ready');
      assert.doesNotMatch(readFileSync(join(prefix, 'logs/error.log'), 'utf8'), /start worker process/);
      running.signal('SIGQUIT');
      c.send('QUIT\r\n');
      assert.equal(await c.line(), '221 2.0.0 Bye');
      assert.equal((await running.exited).code, 0);
      assert.equal(existsSync(pidFile), false);
    } finally {
      await running.kill();
    }
  });
});
