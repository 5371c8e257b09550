/**
 * The L4 balancer and the clients behind it for the edge tests: a private haproxy (Debian's, `mode tcp`)
 * whose routes add `send-proxy` or `send-proxy-v2`, and a line client that connects from a chosen
 * loopback address (127.0.0.2 …), so the real client's address differs from the balancer's 127.0.0.1.
 *
 * Owns: haproxy's configuration, starting it in the foreground (`-db`) in its own process group, and
 * stopping it. Does not own postern (edge-proxy.ts) or what the tests assert.
 */
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { LineClient } from '../../helpers/line-client.js';
import { spawnProc, waitForPort, type Proc } from '../../helpers/proc.js';
import { subDir } from '../../helpers/run-dir.js';

export interface BalancerRoute {
  /** a haproxy section name */
  readonly name: string;
  /** where haproxy listens (host defaults to 127.0.0.1; `::1` for IPv6) */
  readonly bind: { readonly host?: string; readonly port: number };
  /** where it forwards (127.0.0.1) */
  readonly targetPort: number;
  readonly send: 'send-proxy' | 'send-proxy-v2';
}

export interface Balancer {
  readonly proc: Proc;
  stop(): Promise<void>;
}

export async function startBalancer(routes: readonly BalancerRoute[]): Promise<Balancer> {
  const dir = subDir('haproxy');
  const cfg = join(dir, 'haproxy.cfg');
  const lines = ['defaults', '  mode tcp', '  timeout connect 5s', '  timeout client 30s', '  timeout server 30s'];
  for (const r of routes) {
    const host = r.bind.host ?? '127.0.0.1';
    lines.push(
      `listen ${r.name}`,
      `  bind ${host.includes(':') ? `[${host}]` : host}:${r.bind.port}`,
      `  server s 127.0.0.1:${r.targetPort} ${r.send}`,
    );
  }
  writeFileSync(cfg, `${lines.join('\n')}\n`);
  const proc = spawnProc('haproxy', ['-db', '-f', cfg], { label: 'haproxy' });
  try {
    for (const r of routes) await waitForPort(r.bind.port, { host: r.bind.host ?? '127.0.0.1', proc });
  } catch (err) {
    await proc.stop({ signal: 'SIGKILL' });
    throw err;
  }
  return {
    proc,
    stop: async () => {
      await proc.stop({ signal: 'SIGTERM', timeoutMs: 5_000 });
    },
  };
}

/** A LineClient whose socket is bound to `from` (e.g. 127.0.0.2) before it connects to host:port. */
export function connectFrom(from: string, port: number, host = '127.0.0.1', timeoutMs = 5_000): Promise<LineClient> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, localAddress: from });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connect from ${from} to ${host}:${port} timed out`));
    }, timeoutMs);
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(new LineClient(socket, timeoutMs));
    });
  });
}
