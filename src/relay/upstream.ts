/**
 * The backend connection: connect, and hand each chunk read to whoever owns the connection right now
 * (the login dialogue, then the relay).
 *
 * Owns: the socket's life. Does not own timeouts or what the bytes mean.
 *
 * Reads use Node's own allocation (a buffer sized to what arrived, up to 64 KiB per read), not a pooled
 * buffer lent through `onread`: a lent buffer stays attached to the socket while it is idle (a
 * proxy_buffer per idle session) and caps every read at proxy_buffer, which on a bulk download doubles
 * the read syscalls. Measured in the bench (docs/performance.md, "Relay throughput").
 */
import net from 'node:net';

export interface UpstreamSink {
  /** A chunk arrived; the sink may keep it (it is not reused). */
  upstreamData(chunk: Buffer): void;
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
  private closed = false;

  constructor(target: UpstreamTarget, sink: UpstreamSink, onConnect: () => void) {
    this.sink = sink;
    this.socket = net.connect({
      host: target.host,
      port: target.port,
      allowHalfOpen: true,
      noDelay: true,
    });
    this.socket.once('connect', onConnect);
    this.socket.on('data', (chunk: Buffer) => {
      this.sink.upstreamData(chunk);
    });
    this.socket.on('end', () => {
      this.sink.upstreamEnd();
    });
    this.socket.on('error', (err: NodeJS.ErrnoException) => {
      this.sink.upstreamError(err);
    });
    this.socket.on('close', () => {
      this.closed = true;
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
