/**
 * The fleet features against a real redis-server started by the test: two service instances share
 * throttle counters and lock-outs through Redis, and users (and domains) can live in Redis.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startRedis, type Redis as RedisServer } from '../../helpers/redis.js';
import { subDir } from '../../helpers/run-dir.js';
import { ask, recordingLog } from '../../unit/auth-service/fixture.js';
import { parseConfig } from '../../../auth-service/config/load.js';
import { startAuthService, type AuthService } from '../../../auth-service/service.js';
import { parsePasswdFile } from '../../../auth-service/stores/passwd-file.js';
import { writeRedis } from '../../../auth-service/stores/redis.js';

const FAIL = 'Auth-Status: [AUTHENTICATIONFAILED] Authentication failed.';
const LOCKED = 'Auth-Status: [UNAVAILABLE] Too many failed logins, try again later.';

let server: RedisServer;
let client: Redis;
const services: AuthService[] = [];

async function instance(extra: string): Promise<number> {
  const dir = subDir('authsvc-redis');
  writeFileSync(join(dir, 'users'), 'shared@x.test:{PLAIN}good\nother@x.test:{PLAIN}good\n');
  const text = `listen 127.0.0.1:0;\nusers file users;\ndomain x.test imap=127.0.0.1:1143;\nthrottle redis redis://127.0.0.1:${server.port}/0;\nthrottle_user_limit 3;\nthrottle_ip_limit 1000;\nthrottle_lockout 1s;\nthrottle_wait 1s 16s;\n${extra}`;
  const s = await startAuthService(parseConfig(text, join(dir, 'postern-auth.conf')), { log: recordingLog() });
  services.push(s);
  return s.listeners[0]!.port;
}

before(async () => {
  server = await startRedis();
  client = new Redis({ host: '127.0.0.1', port: server.port, lazyConnect: true });
  await client.connect();
});
after(async () => {
  for (const s of services) await s.close();
  await client.quit();
  await server.stop();
});

test('two service instances share failure counts and lock-outs through Redis', async () => {
  const a = await instance('');
  const b = await instance('');
  assert.deepEqual(await ask(a, { user: 'shared@x.test', pass: 'bad', ip: '192.0.2.1' }), [FAIL, 'Auth-Wait: 1']);
  assert.deepEqual(await ask(b, { user: 'shared@x.test', pass: 'bad', ip: '192.0.2.2' }), [FAIL, 'Auth-Wait: 2']);
  assert.deepEqual(await ask(a, { user: 'shared@x.test', pass: 'bad', ip: '192.0.2.3' }), [LOCKED]);
  assert.deepEqual(await ask(b, { user: 'shared@x.test', pass: 'good', ip: '192.0.2.4' }), [LOCKED]);
  assert.equal(await client.exists('postern:auth:lock:user:shared@x.test'), 1);
  const ttl = await client.pttl('postern:auth:lock:user:shared@x.test');
  assert.ok(ttl > 0 && ttl <= 1000, `lock ttl ${ttl}`);
  // a success elsewhere clears only that user's count, and the lock expires by itself
  await new Promise((r) => setTimeout(r, 1200));
  assert.deepEqual(await ask(b, { user: 'shared@x.test', pass: 'good', ip: '192.0.2.4' }), [
    'Auth-Status: OK', 'Auth-Server: 127.0.0.1', 'Auth-Port: 1143',
  ]);
  assert.equal(await client.exists('postern:auth:fail:user:shared@x.test'), 0);
  assert.equal(await client.get('postern:auth:fail:ip:192.0.2.1'), '1');
});

test('when Redis is unreachable, logins still work (throttling fails open) and the error is logged', async () => {
  const dir = subDir('authsvc-redis-down');
  writeFileSync(join(dir, 'users'), 'u@x.test:{PLAIN}good\n');
  const log = recordingLog();
  const s = await startAuthService(
    parseConfig('listen 127.0.0.1:0;\nusers file users;\ndomain x.test imap=127.0.0.1:1143;\nthrottle redis redis://127.0.0.1:1/0;', join(dir, 'c.conf')),
    { log },
  );
  services.push(s);
  const port = s.listeners[0]!.port;
  assert.deepEqual(await ask(port, { user: 'u@x.test', pass: 'good' }), ['Auth-Status: OK', 'Auth-Server: 127.0.0.1', 'Auth-Port: 1143']);
  assert.deepEqual(await ask(port, { user: 'u@x.test', pass: 'bad' }), [FAIL]);
  assert.ok(log.lines.some((l) => l.level === 'error' && l.msg === 'throttle check failed'));
});

test('users and domain defaults can live in Redis', async () => {
  const users = parsePasswdFile('r1@y.test:{PLAIN}pw1::::::pop3=127.0.0.1:2110\nr2@y.test:{PLAIN}pw2\n', 'inline', true);
  await writeRedis(client, [...users.users.values()], [{ name: 'y.test', backends: { imap: { host: '127.0.0.1', port: 2143 } }, host: null }]);
  const s = await startAuthService(
    parseConfig(`listen 127.0.0.1:0;\nusers redis redis://127.0.0.1:${server.port}/0;\nthrottle off;`, '/nonexistent/c.conf'),
    { log: recordingLog() },
  );
  services.push(s);
  const port = s.listeners[0]!.port;
  assert.deepEqual(await ask(port, { user: 'r1@y.test', pass: 'pw1', protocol: 'pop3' }), ['Auth-Status: OK', 'Auth-Server: 127.0.0.1', 'Auth-Port: 2110']);
  assert.deepEqual(await ask(port, { user: 'r2@y.test', pass: 'pw2' }), ['Auth-Status: OK', 'Auth-Server: 127.0.0.1', 'Auth-Port: 2143']);
  assert.deepEqual(await ask(port, { user: 'r2@y.test', pass: 'nope' }), [FAIL]);
});
