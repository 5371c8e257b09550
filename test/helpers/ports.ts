/**
 * Free loopback TCP ports for servers that cannot listen on port 0 themselves (Dovecot, Postfix, nginx,
 * Redis take their ports from a config file).
 *
 * Owns: asking the kernel for an unused port on 127.0.0.1 and never handing the same port out twice
 * in one process. Does not own: reserving the port until the server binds it (nothing can); the
 * helpers that start servers retry with new ports when a bind still fails (see `retryOnAddrInUse`).
 */
import { createServer } from 'node:net';

const handedOut = new Set<number>();

/** Bounds the retries when the kernel returns a port this process already handed out. */
const MAX_ATTEMPTS = 50;

function bindZero(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address();
      server.close(() => {
        if (address === null || typeof address === 'string') reject(new Error('no TCP address'));
        else resolve(address.port);
      });
    });
  });
}

/** One port on 127.0.0.1 that was free a moment ago and was not returned before by this process. */
export async function freePort(): Promise<number> {
  for (let i = 0; i < MAX_ATTEMPTS; i++) {
    const port = await bindZero();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`freePort: no new port after ${MAX_ATTEMPTS} attempts`);
}

/** `n` distinct free ports (see `freePort`). */
export async function freePorts(n: number): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < n; i++) ports.push(await freePort());
  return ports;
}

/** Error thrown by a server helper when its daemon could not bind a port that looked free. */
export class AddrInUseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AddrInUseError';
  }
}

/**
 * Runs `start` up to `attempts` times while it fails with `AddrInUseError` (another process took a
 * port between `freePort()` and the daemon's bind). Any other error is thrown at once.
 */
export async function retryOnAddrInUse<T>(start: () => Promise<T>, attempts = 3): Promise<T> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await start();
    } catch (err) {
      if (!(err instanceof AddrInUseError)) throw err;
      last = err;
    }
  }
  throw last;
}
