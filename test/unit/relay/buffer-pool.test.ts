import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BufferPool, BufferPools } from '../../../src/relay/buffer-pool.js';

test('a released buffer is handed out again instead of allocating a new one', () => {
  const pool = new BufferPool(4096);
  const a = pool.acquire();
  pool.release(a);
  const b = pool.acquire();
  assert.equal(b, a);
  assert.deepEqual(pool.stats(), { bufferBytes: 4096, inUse: 1, free: 0, created: 1, acquired: 2 });
});

test('releasing a buffer twice is a bug and throws', () => {
  const pool = new BufferPool(16);
  const a = pool.acquire();
  pool.release(a);
  assert.throws(() => {
    pool.release(a);
  }, /released twice/);
});

test('a buffer from elsewhere cannot be released into the pool', () => {
  const pool = new BufferPool(16);
  assert.throws(() => {
    pool.release(Buffer.alloc(16));
  }, /not from this pool/);
});

test('the pool keeps at most maxFree idle buffers', () => {
  const pool = new BufferPool(8, 2);
  const bufs = [pool.acquire(), pool.acquire(), pool.acquire()];
  for (const b of bufs) pool.release(b);
  assert.equal(pool.stats().free, 2);
  assert.equal(pool.stats().inUse, 0);
});

test('pools are shared per size and count what is in use across sizes', () => {
  const pools = new BufferPools();
  assert.equal(pools.get(4096), pools.get(4096));
  const a = pools.get(4096).acquire();
  const b = pools.get(128).acquire();
  assert.equal(pools.inUse(), 2);
  pools.get(4096).release(a);
  pools.get(128).release(b);
  assert.equal(pools.inUse(), 0);
});
