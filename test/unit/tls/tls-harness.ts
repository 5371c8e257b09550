/**
 * Test scaffolding for the TLS modules: an SslConfig with nginx's defaults, a loopback server that runs
 * every accepted socket through a TlsServerPort and records what `upgrade` settled with, and a client
 * that connects, reads until the server closes, and reports what it saw (certificate, protocol, ALPN,
 * session ticket, errors).
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { connect, type ConnectionOptions, type PeerCertificate } from 'node:tls';
import { sslDefaults } from '../../helpers/config-fixture.js';
import type { TlsServerPort, TlsUpgradeResult } from '../../../src/tls/upgrade.js';

/** nginx's defaults for the ssl_* directives of a mail server (reference 1.2), with `over` applied. */
export const sslConfig = sslDefaults;

export type Outcome = { readonly ok: true; readonly result: TlsUpgradeResult } | { readonly ok: false; readonly error: unknown };

export interface TlsTestServer {
  readonly port: number;
  /** the next settled upgrade (in accept order) */
  next(): Promise<Outcome>;
  close(): Promise<void>;
}

/**
 * Listens on 127.0.0.1:0. After a successful upgrade the server writes `reply(result)` (default `ok\n`)
 * and ends the TLS socket.
 */
export async function startTlsServer(
  port: TlsServerPort,
  reply: (r: TlsUpgradeResult) => string = () => 'ok\n',
): Promise<TlsTestServer> {
  const queue: Outcome[] = [];
  const waiters: ((o: Outcome) => void)[] = [];
  const sockets = new Set<Socket>();
  const push = (o: Outcome): void => {
    const w = waiters.shift();
    if (w) w(o);
    else queue.push(o);
  };
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    port.upgrade(sock).then(
      (result) => {
        result.socket.on('error', () => undefined);
        push({ ok: true, result });
        result.socket.end(reply(result));
      },
      (error: unknown) => {
        push({ ok: false, error });
        sock.destroy();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    next: () =>
      new Promise<Outcome>((resolve, reject) => {
        const o = queue.shift();
        if (o) {
          resolve(o);
          return;
        }
        const timer = setTimeout(() => {
          reject(new Error('no TLS upgrade settled within 10 s'));
        }, 10_000);
        waiters.push((x) => {
          clearTimeout(timer);
          resolve(x);
        });
      }),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => { resolve(); }));
    },
  };
}

export interface ClientView {
  readonly secure: boolean;
  readonly error: (Error & { code?: string }) | null;
  readonly protocol: string | null;
  readonly alpn: string | false | null;
  readonly cert: PeerCertificate | null;
  readonly reused: boolean;
  readonly data: string;
  /** the last session (ticket) the server gave, for resumption */
  readonly session: Buffer | null;
}

/** Connects, reads until close (bounded by 10 s), and reports. Never rejects. */
export function tlsClient(port: number, opts: ConnectionOptions = {}): Promise<ClientView> {
  return new Promise((resolve) => {
    let secure = false;
    let error: (Error & { code?: string }) | null = null;
    let protocol: string | null = null;
    let alpn: string | false | null = null;
    let cert: PeerCertificate | null = null;
    let reused = false;
    let data = '';
    let session: Buffer | null = null;
    const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...opts });
    const timer = setTimeout(() => s.destroy(new Error('client timed out')), 10_000);
    s.on('secureConnect', () => {
      secure = true;
      protocol = s.getProtocol();
      alpn = s.alpnProtocol ?? null;
      cert = s.getPeerCertificate();
      reused = s.isSessionReused();
    });
    s.on('session', (b: Buffer) => {
      session = b;
    });
    s.on('data', (b: Buffer) => {
      data += b.toString('latin1');
    });
    s.on('error', (e: Error & { code?: string }) => {
      error ??= e;
    });
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ secure, error, protocol, alpn, cert, reused, data, session });
    });
  });
}
