/**
 * postern + the bundled service + real Dovecot: curl and Python's imaplib/poplib log in through
 * postern with users from each store (users file, SQLite, Redis), with hashed passwords; nginx 1.22
 * in front of the service works too (it sends HTTP/1.0, which the node:net listener answers), and so
 * does postern with auth_http_keepalive against the uWebSockets.js listener.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { curlImapFetch, curlPop3Retr, pyImapFetch, pyPop3Retr } from '../../helpers/clients.js';
import { startDovecot, type Dovecot } from '../../helpers/dovecot.js';
import { startNginx, type Nginx } from '../../helpers/nginx.js';
import { startPostern, type RunningPostern } from '../../helpers/postern-bin.js';
import { freePorts } from '../../helpers/ports.js';
import { startRedis, type Redis as RedisServer } from '../../helpers/redis.js';
import { subDir } from '../../helpers/run-dir.js';
import { makeHash, recordingLog } from '../../unit/auth-service/fixture.js';
import { parseConfig } from '../../../auth-service/config/load.js';
import { startAuthService, type AuthService } from '../../../auth-service/service.js';
import { parsePasswdFile } from '../../../auth-service/stores/passwd-file.js';
import { writeRedis } from '../../../auth-service/stores/redis.js';
import { writeSqlite } from '../../../auth-service/stores/sqlite.js';

const STORES = ['file', 'sqlite', 'redis'] as const;
const MESSAGE = Buffer.from('Subject: through postern\r\n\r\nhello from dovecot\r\n');
const users = { file: 'fileuser@x.test', sqlite: 'sqliteuser@x.test', redis: 'redisuser@x.test' } as const;
const schemes = { file: 'SHA512-CRYPT', sqlite: 'SSHA512', redis: 'SHA256-CRYPT' } as const;
const PASSWORD = 'correct horse';

let dovecot: Dovecot;
let redis: RedisServer;
const services: Partial<Record<(typeof STORES)[number], AuthService>> = {};
let postern: RunningPostern;
let nginx: Nginx;
const imapPorts: Record<string, number> = {};
const pop3Ports: Record<string, number> = {};
let keepalivePort = 0;
let nginxPort = 0;

before(async () => {
  dovecot = await startDovecot({ users: STORES.map((s) => ({ user: users[s], password: PASSWORD })) });
  for (const s of STORES) dovecot.deliver(users[s], MESSAGE);
  redis = await startRedis();
  const dir = subDir('authsvc-e2e');
  const lines: string[] = [];
  for (const s of STORES) lines.push(`${users[s]}:${await makeHash(schemes[s], PASSWORD)}`);
  const parsed = parsePasswdFile(lines.join('\n'), 'inline', true);
  writeFileSync(join(dir, 'users'), `${lines[0]!}\n`);
  writeSqlite(join(dir, 'users.sqlite'), [parsed.users.get(users.sqlite)!]);
  const client = new Redis({ host: '127.0.0.1', port: redis.port });
  await writeRedis(client, [parsed.users.get(users.redis)!]);
  await client.quit();
  const where = { file: 'file users', sqlite: 'sqlite users.sqlite', redis: `redis redis://127.0.0.1:${redis.port}/0` };
  for (const s of STORES) {
    const text = `listen 127.0.0.1:0;\nlisten 127.0.0.1:0 uws;\nusers ${where[s]};\nthrottle off;\nbackend imap 127.0.0.1:${dovecot.imapPort};\nbackend pop3 127.0.0.1:${dovecot.pop3Port};`;
    services[s] = await startAuthService(parseConfig(text, join(dir, `${s}.conf`)), { log: recordingLog() });
  }
  const ports = await freePorts(8);
  const blocks: string[] = [];
  STORES.forEach((s, i) => {
    imapPorts[s] = ports[2 * i]!;
    pop3Ports[s] = ports[2 * i + 1]!;
    const raw = services[s]!.listeners.find((l) => l.kind === 'raw')!.port;
    blocks.push(`server { listen 127.0.0.1:${imapPorts[s]}; protocol imap; auth_http 127.0.0.1:${raw}/auth; }`);
    blocks.push(`server { listen 127.0.0.1:${pop3Ports[s]}; protocol pop3; auth_http 127.0.0.1:${raw}/auth; }`);
  });
  keepalivePort = ports[6]!;
  const uws = services.file!.listeners.find((l) => l.kind === 'uws')!.port;
  blocks.push(`server { listen 127.0.0.1:${keepalivePort}; protocol imap; auth_http 127.0.0.1:${uws}/auth; auth_http_keepalive 4; }`);
  const pdir = subDir('authsvc-postern');
  mkdirSync(join(pdir, 'logs'), { recursive: true });
  const conf = join(pdir, 'postern.conf');
  writeFileSync(conf, `worker_processes 1; daemon off; pid ${pdir}/postern.pid; error_log ${pdir}/error.log info;\nevents {}\nmail {\n${blocks.join('\n')}\n}\n`);
  postern = await startPostern(['-p', `${pdir}/`, '-c', conf], join(pdir, 'postern.pid'));
  nginxPort = ports[7]!;
  const raw = services.file!.listeners.find((l) => l.kind === 'raw')!.port;
  nginx = await startNginx({ mailConfig: `auth_http 127.0.0.1:${raw}/auth;\nserver { listen 127.0.0.1:${nginxPort}; protocol imap; }` });
});

after(async () => {
  await (nginx as Nginx | undefined)?.stop();
  await (postern as RunningPostern | undefined)?.kill();
  for (const s of STORES) await services[s]?.close();
  await (redis as RedisServer | undefined)?.stop();
  await (dovecot as Dovecot | undefined)?.stop();
});

for (const s of STORES) {
  test(`curl fetches a message through postern for a ${s}-store user (${schemes[s]})`, async () => {
    const r = await curlImapFetch({ port: imapPorts[s]!, user: users[s], password: PASSWORD, uid: 1 });
    assert.equal(r.stdout.toString(), MESSAGE.toString(), r.stderr);
    const p = await curlPop3Retr({ port: pop3Ports[s]!, user: users[s], password: PASSWORD, msg: 1 });
    assert.equal(p.stdout.toString(), MESSAGE.toString(), p.stderr);
  });
  test(`Python imaplib and poplib log in through postern for a ${s}-store user, and a wrong password is refused`, async () => {
    const r = await pyImapFetch({ port: imapPorts[s]!, user: users[s], password: PASSWORD });
    assert.equal(r.ok, true, r.error ?? '');
    assert.deepEqual(r.message, MESSAGE);
    const p = await pyPop3Retr({ port: pop3Ports[s]!, user: users[s], password: PASSWORD });
    assert.equal(p.ok, true, p.error ?? '');
    const bad = await pyImapFetch({ port: imapPorts[s]!, user: users[s], password: 'wrong' });
    assert.equal(bad.ok, false);
    assert.match(bad.error ?? '', /AUTHENTICATIONFAILED\] Authentication failed\./);
  });
}

test('postern with auth_http_keepalive logs in through the uWebSockets.js listener', async () => {
  for (let i = 0; i < 2; i++) {
    const r = await curlImapFetch({ port: keepalivePort, user: users.file, password: PASSWORD, uid: 1 });
    assert.equal(r.stdout.toString(), MESSAGE.toString(), r.stderr);
  }
});

test('nginx 1.22 in front of the service logs a curl client in (HTTP/1.0 to the node:net listener)', async () => {
  const r = await curlImapFetch({ port: nginxPort, user: users.file, password: PASSWORD, uid: 1 });
  assert.equal(r.stdout.toString(), MESSAGE.toString(), `${r.stderr}\n${nginx.errorLog()}`);
  const bad = await curlImapFetch({ port: nginxPort, user: users.file, password: 'nope', uid: 1 });
  assert.notEqual(bad.code, 0);
  await nginx.waitForLog(/client login failed: "\[AUTHENTICATIONFAILED\] Authentication failed\."/);
});
