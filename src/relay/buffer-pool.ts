/**
 * Fixed-size Buffer pool, one per buffer size per worker (client command buffers, the backend login
 * reply buffer of proxy_buffer bytes).
 *
 * Owns: handing out and taking back buffers, and the counters that prove nothing leaks (a test checks
 * `inUse` returns to zero after clients vanish mid-transfer). Does not own what is in a buffer: a
 * released buffer's bytes are stale and must not be read again.
 *
 * Buffers come from `Buffer.allocUnsafeSlow` (own ArrayBuffer, not Node's shared 8 KiB slab) so a
 * pooled buffer never pins unrelated memory.
 */
import assert from 'node:assert/strict';

export interface BufferPoolStats {
  readonly bufferBytes: number;
  /** buffers handed out and not yet released */
  readonly inUse: number;
  /** buffers waiting in the pool */
  readonly free: number;
  /** buffers ever allocated */
  readonly created: number;
  /** acquire() calls */
  readonly acquired: number;
}

export class BufferPool {
  readonly bufferBytes: number;
  private readonly maxFree: number;
  private readonly freeList: Buffer[] = [];
  private readonly outstanding = new Set<Buffer>();
  private created = 0;
  private acquired = 0;

  /**
   * @param bufferBytes size of every buffer
   * @param maxFree idle buffers kept for reuse; beyond that released buffers are left to the GC, so a
   *   burst does not pin its peak memory forever
   */
  constructor(bufferBytes: number, maxFree = 1024) {
    assert.ok(Number.isInteger(bufferBytes) && bufferBytes > 0, 'buffer size must be a positive integer');
    this.bufferBytes = bufferBytes;
    this.maxFree = maxFree;
  }

  acquire(): Buffer {
    this.acquired++;
    let buf = this.freeList.pop();
    if (buf === undefined) {
      buf = Buffer.allocUnsafeSlow(this.bufferBytes);
      this.created++;
    }
    this.outstanding.add(buf);
    return buf;
  }

  /** Give a buffer back. Releasing a buffer twice, or one this pool did not hand out, is a bug. */
  release(buf: Buffer): void {
    const known = this.outstanding.delete(buf);
    assert.ok(known, 'buffer released twice or not from this pool');
    if (this.freeList.length < this.maxFree) this.freeList.push(buf);
  }

  stats(): BufferPoolStats {
    return {
      bufferBytes: this.bufferBytes,
      inUse: this.outstanding.size,
      free: this.freeList.length,
      created: this.created,
      acquired: this.acquired,
    };
  }
}

/** One pool per buffer size, shared by every session of a worker. */
export class BufferPools {
  private readonly pools = new Map<number, BufferPool>();

  get(bufferBytes: number): BufferPool {
    let pool = this.pools.get(bufferBytes);
    if (pool === undefined) {
      pool = new BufferPool(bufferBytes);
      this.pools.set(bufferBytes, pool);
    }
    return pool;
  }

  stats(): BufferPoolStats[] {
    return [...this.pools.values()].map((p) => p.stats());
  }

  /** Buffers handed out across all pools (0 when no session is alive). */
  inUse(): number {
    let n = 0;
    for (const p of this.pools.values()) n += p.stats().inUse;
    return n;
  }
}
