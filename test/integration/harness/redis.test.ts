// The private redis-server of test/helpers/redis.ts answers on its port, keeps nothing on disk,
// and is gone after stop().
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { connectLine } from '../../helpers/line-client.js';
import { pidAlive } from '../../helpers/proc.js';
import { startRedis, type Redis } from '../../helpers/redis.js';

describe('private Redis', () => {
  let redis: Redis;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis.stop();
  });

  it('answers PING, SET and GET on its port', async () => {
    const c = await connectLine({ port: redis.port });
    try {
      c.send('PING\r\n');
      await c.expect('+PONG\r\n');
      c.send('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nv1\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n');
      await c.expect('+OK\r\n$2\r\nv1\r\n');
    } finally {
      c.destroy();
    }
  });

  it('runs without persistence', async () => {
    const c = await connectLine({ port: redis.port });
    try {
      c.send('*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$4\r\nsave\r\n');
      await c.expect('*2\r\n$4\r\nsave\r\n$0\r\n\r\n');
      c.send('*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$10\r\nappendonly\r\n');
      await c.expect('*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n');
      c.send('*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$3\r\ndir\r\n');
      const reply = (await c.readUntil(/\$\d+\r\n[^\r]*\r\n\$\d+\r\n[^\r]*\r\n/)).toString();
      const dir = reply.split('\r\n')[4]!;
      assert.deepEqual(readdirSync(dir), []);
    } finally {
      c.destroy();
    }
  });

  it('is gone after stop()', async () => {
    const other = await startRedis();
    await other.stop();
    assert.equal(pidAlive(other.proc.pid), false);
  });
});
