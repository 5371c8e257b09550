/**
 * Free loopback TCP ports for servers that cannot listen on port 0 themselves (Dovecot, Postfix, nginx,
 * Redis take their ports from a config file).
 *
 * Owns: asking the kernel for an unused port on 127.0.0.1 and never handing the same port out twice
 * in one process. Does not own: reserving the port until the server binds it (nothing can); the
 * helpers that start servers retry with new ports when a bind still fails (see `retryOnAddrInUse`).
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const handedOut = new Set<number>();

/** Bounds the retries when a candidate is taken or was handed out before. */
const MAX_ATTEMPTS = 200;

/**
 * Ports are picked OUTSIDE the kernel's ephemeral range (net.ipv4.ip_local_port_range): a port the
 * kernel gave us for `listen(0)` is an ephemeral port, and under load an outgoing connection can take
 * it (as its local port) between our check and the daemon's bind, which then fails with "address in
 * use". Below the range (or above it, when it starts low) nobody gets a port without asking for it.
 */
function candidateRange(): [number, number] {
  let low = 32768;
  let high = 60999;
  try {
    const [a, b] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (a !== undefined && b !== undefined && Number.isInteger(a) && Number.isInteger(b)) [low, high] = [a, b];
  } catch {
    // not Linux: the usual defaults
  }
  if (low - 2048 >= 4096) return [2048, low - 1];
  return [high + 1, 65535];
}

const [RANGE_LOW, RANGE_HIGH] = candidateRange();

function tryBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => {
      resolve(false);
    });
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
      server.close(() => {
        resolve(true);
      });
    });
  });
}

/** One port on 127.0.0.1 that was free a moment ago and was not returned before by this process. */
export async function freePort(): Promise<number> {
  const span = RANGE_HIGH - RANGE_LOW + 1;
  for (let i = 0; i < MAX_ATTEMPTS; i++) {
    const port = RANGE_LOW + Math.floor(Math.random() * span);
    if (handedOut.has(port)) continue;
    if (await tryBind(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`freePort: no free port in ${RANGE_LOW}-${RANGE_HIGH} after ${MAX_ATTEMPTS} attempts`);
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
