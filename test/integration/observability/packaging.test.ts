/**
 * The packaging files do what they say: the unit uses keys systemd knows (and `systemd-analyze
 * verify` accepts it where systemd is installed), and its commands,
 * run in the order systemd runs them (with the paths moved into a temp dir and the real binary in
 * place of /usr/bin/postern), start postern as a daemon that writes the pid file and returns, reload it,
 * and stop it gracefully; the logrotate snippet's postrotate script makes the running postern reopen
 * its log after the file was moved away; the sample configuration passes `postern -t`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCmd } from '../../helpers/proc.js';
import { freePort } from '../../helpers/ports.js';
import { posternCommand, readPid, REPO_ROOT } from '../../helpers/postern-bin.js';
import { subDir } from '../../helpers/run-dir.js';
import { startFakeAuthHttp, type FakeAuthHttp } from '../../helpers/fake-auth-http.js';

const UNIT = readFileSync(join(REPO_ROOT, 'packaging', 'systemd', 'postern.service'), 'utf8');
const LOGROTATE = readFileSync(join(REPO_ROOT, 'packaging', 'logrotate', 'postern'), 'utf8');
const SAMPLE = readFileSync(join(REPO_ROOT, 'packaging', 'postern.conf'), 'utf8');

/** `Key=value` lines of the unit's [Service] section. */
function service(key: string): string {
  const section = UNIT.slice(UNIT.indexOf('[Service]'), UNIT.indexOf('[Install]'));
  const line = section.split('\n').find((l) => l.startsWith(`${key}=`));
  assert.ok(line !== undefined, `no ${key}= in [Service]`);
  return line.slice(key.length + 1);
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('packaging', () => {
  let auth: FakeAuthHttp;
  let dir: string;
  let move: (text: string) => string;
  let statusPort: number;
  let primary: number | null = null;

  before(async () => {
    auth = await startFakeAuthHttp();
    dir = subDir('packaging');
    mkdirSync(join(dir, 'etc'));
    mkdirSync(join(dir, 'log'));
    const { command, args } = posternCommand();
    const bin = [command, ...args].map(shellQuote).join(' ');
    move = (text) =>
      text
        .replaceAll('/usr/bin/postern', bin)
        .replaceAll('/etc/postern/', `${dir}/etc/`)
        .replaceAll('/var/log/postern', `${dir}/log`)
        .replaceAll('/run/postern/postern.pid', `${dir}/postern.pid`);
    statusPort = await freePort();
    const [imap, pop3, smtp] = [await freePort(), await freePort(), await freePort()];
    writeFileSync(
      join(dir, 'etc', 'postern.conf'),
      move(SAMPLE)
        .replace('listen 143;', `listen 127.0.0.1:${imap};`)
        .replace('listen 110;', `listen 127.0.0.1:${pop3};`)
        .replace('listen 587;', `listen 127.0.0.1:${smtp};`)
        .replace('status_listen 127.0.0.1:9100;', `status_listen 127.0.0.1:${statusPort};`)
        .replace('auth_http 127.0.0.1:9000/auth;', `auth_http ${auth.url};`)
        .replace('worker_processes auto;', 'worker_processes 1;'),
    );
  });
  after(async () => {
    // the daemon is in its own session: kill its group if a step failed before ExecStop
    if (primary !== null && alive(primary)) {
      try {
        process.kill(-primary, 'SIGKILL');
      } catch {
        process.kill(primary, 'SIGKILL');
      }
    }
    await auth.close();
  });

  it('has a unit of known keys that systemd-analyze verifies without a warning', async () => {
    assert.equal(service('Type'), 'forking');
    assert.equal(service('PIDFile'), '/run/postern/postern.pid');
    assert.equal(service('User'), 'postern');
    assert.equal(service('KillMode'), 'mixed');
    // every key is one systemd knows in its section (systemd.unit(5), systemd.service(5), systemd.exec(5))
    const known: Record<string, readonly string[]> = {
      Unit: ['Description', 'After', 'Wants'],
      Service: [
        'Type', 'User', 'Group', 'AmbientCapabilities', 'CapabilityBoundingSet', 'NoNewPrivileges', 'RuntimeDirectory',
        'LogsDirectory', 'LogsDirectoryMode', 'PIDFile', 'ExecStartPre', 'ExecStart', 'ExecReload', 'ExecStop',
        'TimeoutStopSec', 'KillMode', 'LimitNOFILE',
      ],
      Install: ['WantedBy'],
    };
    let section = '';
    for (const line of UNIT.split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      const head = /^\[(\w+)\]$/.exec(line);
      if (head !== null) {
        section = head[1] ?? '';
        assert.ok(section in known, `unknown section [${section}]`);
        continue;
      }
      const key = line.slice(0, line.indexOf('='));
      assert.ok(known[section]?.includes(key), `${key}= in [${section}]`);
    }
    // The full check needs systemd's own parser (package systemd; .ci/run does not install it).
    if (existsSync('/usr/bin/systemd-analyze')) {
      // verify checks that the commands exist: point them at one that does
      const file = join(dir, 'postern.service');
      writeFileSync(file, UNIT.replaceAll('/usr/bin/postern', '/usr/bin/true'));
      const r = await runCmd('systemd-analyze', ['verify', file], { timeoutMs: 30_000 });
      assert.equal(r.code, 0, r.stderr.toString());
      assert.equal(r.stderr.toString(), '');
    }
  });

  it("runs the unit's start, reload and stop commands and the logrotate postrotate script as systemd and logrotate would", async () => {
    const sh = async (cmd: string): Promise<{ code: number | null; out: string }> => {
      const r = await runCmd('sh', ['-c', move(cmd)], { timeoutMs: 90_000, cwd: REPO_ROOT });
      return { code: r.code, out: `${r.stdout.toString()}${r.stderr.toString()}` };
    };
    const pidFile = join(dir, 'postern.pid');
    const errorLog = join(dir, 'log', 'error.log');

    const pre = await sh(service('ExecStartPre'));
    assert.equal(pre.code, 0, pre.out);
    assert.equal(pre.out, '', 'postern -t -q printed something');

    // Type=forking: the start command returns once the daemon is ready and the pid file written
    const start = await sh(service('ExecStart'));
    assert.equal(start.code, 0, start.out);
    primary = readPid(pidFile);
    assert.ok(primary !== null && alive(primary), 'no running primary in the pid file');
    const status = async (): Promise<{ generation: number }> =>
      (await (await fetch(`http://127.0.0.1:${statusPort}/status`)).json()) as { generation: number };
    assert.equal((await status()).generation, 1);

    const reload = await sh(service('ExecReload'));
    assert.equal(reload.code, 0, reload.out);
    const deadline = Date.now() + 20_000;
    while ((await status()).generation !== 2) {
      assert.ok(Date.now() < deadline, 'the reload did not happen');
      await sleep(50);
    }

    // logrotate: the file is moved away, then postrotate makes postern reopen it
    const post = /\tpostrotate\n([\s\S]*?)\tendscript/.exec(LOGROTATE)?.[1];
    assert.ok(post !== undefined, 'no postrotate script');
    renameSync(errorLog, `${errorLog}.1`);
    // the script signals as the `postern` user; this test's processes are its own user's
    const asUs = post.replace(/su -s \/bin\/sh -c ('[^']*') postern/, 'sh -c $1');
    assert.notEqual(asUs, post, 'the postrotate script no longer signals as the postern user');
    const rotate = await sh(asUs);
    assert.equal(rotate.code, 0, rotate.out);
    // as nginx, the notice goes to the old file, then the file is opened again under its name
    const reopened = Date.now() + 20_000;
    while (!existsSync(errorLog)) {
      assert.ok(Date.now() < reopened, 'the log was not reopened');
      await sleep(50);
    }
    assert.match(readFileSync(`${errorLog}.1`, 'utf8'), /signal 10 \(SIGUSR1\) received, reopening logs\n/);

    // ExecStop (without systemd's "-" prefix): QUIT, wait for the exit
    const stop = await sh(service('ExecStop').replace(/^-/, ''));
    assert.equal(stop.code, 0, stop.out);
    assert.equal(alive(primary), false, 'the primary is still running');
    assert.equal(existsSync(pidFile), false, 'the pid file was left behind');
    assert.match(readFileSync(errorLog, 'utf8'), /\[notice\] \d+#\d+: signal 3 \(SIGQUIT\) received, shutting down\n[\s\S]*\[notice\] \d+#\d+: exit\n$/);
  });
});
