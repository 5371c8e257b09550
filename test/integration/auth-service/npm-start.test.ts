/**
 * `npm start`'s driver (scripts/start.js) brings up the demo backend, the auth service and postern;
 * a curl IMAP login and fetch through postern succeeds; SIGTERM stops all three. Run from the sources
 * (`--from-source`) on free ports, with copies of the shipped demo files pointed at those ports; the
 * shipped configs themselves are checked with `postern-auth -t` and `postern -t`.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { curlImapFetch } from '../../helpers/clients.js';
import { REPO_ROOT, runModule } from '../../helpers/postern-bin.js';
import { freePorts } from '../../helpers/ports.js';
import { pidAlive, spawnProc } from '../../helpers/proc.js';
import { subDir } from '../../helpers/run-dir.js';

const procs: ReturnType<typeof spawnProc>[] = [];
after(async () => {
  for (const p of procs) await p.stop({ signal: 'SIGKILL' });
});

test('the shipped postern-auth configuration and demo users pass postern-auth -t, and postern.conf passes postern -t', async () => {
  const r = await runModule('auth-service/main', ['-t', '-c', join(REPO_ROOT, 'conf/auth/postern-auth.conf')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /the configuration .*postern-auth\.conf is ok/);
  const shipped = readFileSync(join(REPO_ROOT, 'conf/auth/postern-auth.conf'), 'utf8');
  assert.match(shipped, /^listen 127\.0\.0\.1:10081 uws;$/m, 'the service answers keep-alive on 127.0.0.1:10081');
  assert.match(shipped, /^listen 127\.0\.0\.1:10080;$/m, 'and nginx-style HTTP/1.0 on 127.0.0.1:10080');
  const posternShipped = readFileSync(join(REPO_ROOT, 'conf/postern.conf'), 'utf8');
  assert.match(posternShipped, /auth_http 127\.0\.0\.1:10081\/auth;/, 'conf/postern.conf uses the keep-alive listener');
  assert.match(posternShipped, /auth_http_keepalive \d+;/);
  const t = await runModule('src/main', ['-t', '-p', `${REPO_ROOT}/`, '-c', join(REPO_ROOT, 'conf/postern.conf')]);
  assert.equal(t.code, 0, t.stderr);
});

test('scripts/start.js starts all three, curl logs in and fetches through postern, and SIGTERM stops them', async () => {
  const [imap, pop3, smtp, pImap, pPop3, pSmtp, auth, authUws] = await freePorts(8);
  const dir = subDir('npm-start');
  mkdirSync(join(dir, 'logs'));
  const authConf = readFileSync(join(REPO_ROOT, 'conf/auth/postern-auth.conf'), 'utf8')
    .replace('listen 127.0.0.1:10080;', `listen 127.0.0.1:${auth};`)
    .replace('listen 127.0.0.1:10081 uws;', `listen 127.0.0.1:${authUws} uws;`)
    .replace('users file users;', `users file ${join(REPO_ROOT, 'conf/auth/users')};`)
    .replace(/imap=127\.0\.0\.1:11143 pop3=127\.0\.0\.1:11110 smtp=127\.0\.0\.1:11025/, `imap=127.0.0.1:${imap} pop3=127.0.0.1:${pop3} smtp=127.0.0.1:${smtp}`);
  writeFileSync(join(dir, 'postern-auth.conf'), authConf);
  const posternConf = readFileSync(join(REPO_ROOT, 'conf/postern.conf'), 'utf8')
    .replace('127.0.0.1:10081/auth', `127.0.0.1:${authUws}/auth`)
    .replace('listen 127.0.0.1:10143;', `listen 127.0.0.1:${pImap};`)
    .replace('listen 127.0.0.1:10110;', `listen 127.0.0.1:${pPop3};`)
    .replace('listen 127.0.0.1:10025;', `listen 127.0.0.1:${pSmtp};`)
    .replace('worker_processes 2;', 'worker_processes 1;');
  writeFileSync(join(dir, 'postern.conf'), posternConf);
  const p = spawnProc(
    process.execPath,
    [join(REPO_ROOT, 'scripts/start.js'), '--from-source', '--prefix', dir, '--postern-conf', join(dir, 'postern.conf'),
      '--auth-conf', join(dir, 'postern-auth.conf'), '--demo-ports', `${imap},${pop3},${smtp}`],
    { cwd: REPO_ROOT, label: 'start.js' },
  );
  procs.push(p);
  await p.waitForLine(/^Ctrl-C stops all three\.$/, { timeoutMs: 60_000, stream: 'stdout' });
  assert.match(p.stdout(), new RegExp(`curl -u demo@example\\.com:demo 'imap://127\\.0\\.0\\.1:${pImap}/INBOX;UID=1'`));
  const r = await curlImapFetch({ port: pImap!, user: 'demo@example.com', password: 'demo', uid: 1 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout.toString(), /^From: postern demo <postmaster@example\.com>\r\nTo: demo@example\.com\r\nSubject: Welcome to postern\r\n/);
  const bad = await curlImapFetch({ port: pImap!, user: 'demo@example.com', password: 'wrong', uid: 1 });
  assert.equal(bad.code, 67, 'curl: login denied');
  const pid = readFileSync(join(dir, 'logs/postern.pid'), 'utf8').trim();
  p.signal('SIGTERM');
  const exit = await p.waitForExit(20_000);
  assert.equal(exit.code, 0, p.output());
  assert.equal(pidAlive(Number(pid)), false, 'postern stopped');
  for (const port of [imap, pImap, auth]) {
    const probe = await curlImapFetch({ port: port!, user: 'x', password: 'y', timeoutMs: 3000 });
    assert.equal(probe.code, 7, `port ${port} is closed (curl: could not connect)`);
  }
});
