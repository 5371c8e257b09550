/**
 * The backend connection: connect, read into pooled buffers through the socket's `onread` option, and
 * hand each filled buffer to whoever owns the connection right now (the login dialogue, then the relay).
 *
 * Owns: the socket's life and the buffer hand-off rule — every buffer given to `sink.upstreamData` is
 * the sink's to release. Does not own timeouts or what the bytes mean.
 */
import net from 'node:net';
import type { BufferPool } from './buffer-pool.js';

export interface UpstreamSink {
  /** `buf[0, n)` arrived; the sink owns `buf` and must release it to the pool (now or after a write). */
  upstreamData(buf: Buffer, n: number): void;
  upstreamEnd(): void;
  upstreamError(err: NodeJS.ErrnoException): void;
  upstreamClose(): void;
}

export interface UpstreamTarget {
  readonly host: string;
  readonly port: number;
}

export class Upstream {
  readonly socket: net.Socket;
  private sink: UpstreamSink;
  private readonly pool: BufferPool;
  /** buffer currently lent to libuv for the next read */
  private reading: Buffer | null = null;
  private closed = false;

  constructor(target: UpstreamTarget, pool: BufferPool, sink: UpstreamSink, onConnect: () => void) {
    this.pool = pool;
    this.sink = sink;
    this.socket = net.connect({
      host: target.host,
      port: target.port,
      allowHalfOpen: true,
      noDelay: true,
      onread: {
        // Called for the first read and again after every read: each read gets its own pooled buffer,
        // so the relay can write that very buffer to the client and release it when the write is done.
        buffer: () => {
          const b = this.pool.acquire();
          this.reading = b;
          return b;
        },
        callback: (n: number, buf: Uint8Array) => {
          this.reading = null;
          this.sink.upstreamData(buf as Buffer, n);
          return true;
        },
      },
    });
    this.socket.once('connect', onConnect);
    this.socket.on('end', () => {
      this.sink.upstreamEnd();
    });
    this.socket.on('error', (err: NodeJS.ErrnoException) => {
      this.sink.upstreamError(err);
    });
    this.socket.on('close', () => {
      this.closed = true;
      // The buffer lent for a read that never came back is ours to return.
      if (this.reading !== null) {
        const b = this.reading;
        this.reading = null;
        this.pool.release(b);
      }
      this.sink.upstreamClose();
    });
  }

  setSink(sink: UpstreamSink): void {
    this.sink = sink;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  destroy(): void {
    this.socket.destroy();
  }
}
