/**
 * Login throttling through the service: Auth-Wait grows with failures, a lock-out refuses even the
 * right password, the allow-list is never counted, counters expire with the window, and after many
 * attempts in one session no Auth-Wait is sent (the proxy then closes).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ask, startFixture, type Fixture } from './fixture.js';
import { waitFor, THROTTLE_POLICY_DEFAULT } from '../../../auth-service/throttle/types.js';
import { MemoryThrottle } from '../../../auth-service/throttle/memory.js';
import { AllowList } from '../../../auth-service/throttle/allow-list.js';

const FAIL = 'Auth-Status: [AUTHENTICATIONFAILED] Authentication failed.';
const LOCKED = 'Auth-Status: [UNAVAILABLE] Too many failed logins, try again later.';
const OK = ['Auth-Status: OK', 'Auth-Server: 127.0.0.1', 'Auth-Port: 1143'];

let fx: Fixture;
before(async () => {
  fx = await startFixture(
    ['u1@x.test:{PLAIN}good', 'u2@x.test:{PLAIN}good', 'u3@x.test:{PLAIN}good', 'u4@x.test:{PLAIN}good', 'u5@x.test:{PLAIN}good'],
    `domain x.test imap=127.0.0.1:1143;
throttle memory;
throttle_allow 198.51.100.0/24 2001:db8::/32;
throttle_window 1500ms;
throttle_lockout 1s;
throttle_user_limit 4;
throttle_ip_limit 1000;
throttle_wait 1s 4s;
throttle_max_attempts 10;`,
  );
});
after(() => fx.close());

test('Auth-Wait doubles with each failure up to its ceiling', async () => {
  const waits: string[] = [];
  for (let i = 1; i <= 3; i++) waits.push(...(await ask(fx.raw, { user: 'u1@x.test', pass: 'bad', ip: '192.0.2.10', attempt: i })));
  assert.deepEqual(waits, [FAIL, 'Auth-Wait: 1', FAIL, 'Auth-Wait: 2', FAIL, 'Auth-Wait: 4']);
  assert.equal(waitFor({ ...THROTTLE_POLICY_DEFAULT, waitBaseSec: 1, waitMaxSec: 4 }, 9), 4);
});

test('the failure that reaches the user limit locks the user out, even with the right password, until the lock-out ends', async () => {
  for (let i = 1; i <= 3; i++) await ask(fx.raw, { user: 'u2@x.test', pass: 'bad', ip: '192.0.2.11' });
  assert.deepEqual(await ask(fx.raw, { user: 'u2@x.test', pass: 'bad', ip: '192.0.2.12' }), [LOCKED]);
  assert.deepEqual(await ask(fx.raw, { user: 'u2@x.test', pass: 'good', ip: '192.0.2.13' }), [LOCKED]);
  await sleep(1300);
  assert.deepEqual(await ask(fx.raw, { user: 'u2@x.test', pass: 'good', ip: '192.0.2.13' }), OK);
  const lines = fx.log.lines.filter((l) => l.obj.user === 'u2@x.test').map((l) => l.msg);
  assert.deepEqual(lines, ['login failed', 'login failed', 'login failed', 'login failed: locking out', 'login refused: locked out', 'login ok']);
});

test('allow-listed clients are never counted or locked out, IPv4-mapped IPv6 included', async () => {
  for (let i = 0; i < 6; i++)
    assert.deepEqual(await ask(fx.raw, { user: 'u3@x.test', pass: 'bad', ip: i % 2 === 0 ? '198.51.100.7' : '::ffff:198.51.100.7' }), [FAIL]);
  assert.deepEqual(await ask(fx.raw, { user: 'u3@x.test', pass: 'good', ip: '2001:db8::5' }), OK);
  // the user was never counted: a failure from elsewhere is the first one
  assert.deepEqual(await ask(fx.raw, { user: 'u3@x.test', pass: 'bad', ip: '192.0.2.20' }), [FAIL, 'Auth-Wait: 1']);
});

test('counters expire with the window', async () => {
  await ask(fx.raw, { user: 'u4@x.test', pass: 'bad', ip: '192.0.2.30' });
  assert.deepEqual(await ask(fx.raw, { user: 'u4@x.test', pass: 'bad', ip: '192.0.2.31' }), [FAIL, 'Auth-Wait: 2']);
  await sleep(1700);
  assert.deepEqual(await ask(fx.raw, { user: 'u4@x.test', pass: 'bad', ip: '192.0.2.32' }), [FAIL, 'Auth-Wait: 1']);
});

test('from the tenth attempt in one session no Auth-Wait is sent, so the proxy closes the connection', async () => {
  assert.deepEqual(await ask(fx.raw, { user: 'u5@x.test', pass: 'bad', ip: '192.0.2.40', attempt: 10 }), [FAIL]);
});

test('a success clears the user count but not the IP count', async () => {
  const t = new MemoryThrottle();
  const p = { ...THROTTLE_POLICY_DEFAULT, ipLimit: 100, userLimit: 100 };
  await t.recordFailure('192.0.2.50', 'a', p);
  await t.recordSuccess('a');
  assert.deepEqual(await t.recordFailure('192.0.2.50', 'a', p), { ipFailures: 2, userFailures: 1, locked: false });
  await t.close();
});

test('the memory throttle keeps at most its configured number of counters', async () => {
  const t = new MemoryThrottle({ maxEntries: 10 });
  for (let i = 0; i < 50; i++) await t.recordFailure('192.0.2.60', `user${i}`, THROTTLE_POLICY_DEFAULT);
  assert.ok(t.entries <= 11, `entries ${t.entries}`);
  await t.close();
});

test('the allow-list matches CIDRs and bare addresses and rejects malformed ones', () => {
  const a = new AllowList(['10.0.0.0/8', '192.0.2.1', 'fe80::/10']);
  assert.equal(a.has('10.1.2.3'), true);
  assert.equal(a.has('192.0.2.1'), true);
  assert.equal(a.has('192.0.2.2'), false);
  assert.equal(a.has('fe80::1'), true);
  assert.equal(a.has('not-an-ip'), false);
  assert.throws(() => new AllowList(['10.0.0.0/33']));
});
