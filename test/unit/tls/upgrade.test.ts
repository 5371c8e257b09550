/**
 * The TLS port as the session uses it: an in-place STARTTLS upgrade of a socket that already spoke
 * plaintext, a handshake cut short by the session's deadline, and a reload that builds new contexts
 * while connections on the old ones carry on.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, connect as netConnect, type AddressInfo, type Server, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { buildTlsContexts } from '../../../src/tls/contexts.js';
import { createTlsPort, type TlsServerPort, type TlsUpgradeResult } from '../../../src/tls/upgrade.js';
import { handshakeLogOf } from '../../../src/tls/handshake-error.js';
import { makeCerts, type CertSet } from '../../helpers/certs.js';
import type { TlsPort } from '../../../src/worker/session-types.js';
import { sslConfig } from './tls-harness.js';

function portFor(certs: CertSet, cert: 'rsa' | 'sni0'): TlsServerPort & TlsPort {
  const pair =
    cert === 'rsa'
      ? { certificate: certs.serverRsa.cert, key: certs.serverRsa.key }
      : { certificate: certs.sni[certs.sniNames[0]!]!.cert, key: certs.sni[certs.sniNames[0]!]!.key };
  return createTlsPort(buildTlsContexts(sslConfig({ certificates: [pair] }), { protocol: 'imap' }));
}

async function listen(onSocket: (s: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => {
    s.on('error', () => undefined);
    onSocket(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

function readLine(s: Socket | TLSSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (b: Buffer): void => {
      buf += b.toString('latin1');
      const i = buf.indexOf('\n');
      if (i >= 0) {
        s.removeListener('data', onData);
        resolve(buf.slice(0, i + 1));
      }
    };
    s.on('data', onData);
    s.once('close', () => { reject(new Error(`closed before a line; had ${JSON.stringify(buf)}`)); });
  });
}

describe('the TLS port in a session', () => {
  let certs: CertSet;
  const servers: Server[] = [];
  const clients: Socket[] = [];
  before(async () => {
    certs = await makeCerts();
  });
  after(async () => {
    for (const c of clients) c.destroy();
    for (const s of servers) await new Promise((r) => s.close(r));
  });

  it('upgrades a socket in place after a plaintext STARTTLS exchange and carries the session on over TLS', async () => {
    const port = portFor(certs, 'rsa');
    const upgraded: Promise<TlsUpgradeResult> = new Promise((resolve, reject) => {
      void listen((s) => {
        readLine(s).then((line) => {
          s.pause();
          if (line !== 'a STARTTLS\r\n') throw new Error(`unexpected ${JSON.stringify(line)}`);
          s.write('a OK Begin TLS negotiation now\r\n', () => {
            port.upgrade(s).then(resolve, reject);
          });
        }, reject);
      }).then(({ server, port: p }) => {
        servers.push(server);
        const plain = netConnect(p, '127.0.0.1', () => plain.write('a STARTTLS\r\n'));
        clients.push(plain);
        plain.on('error', () => undefined);
        void readLine(plain).then((line) => {
          assert.equal(line, 'a OK Begin TLS negotiation now\r\n');
          const t = tlsConnect({ socket: plain, rejectUnauthorized: false }, () => t.write('b NOOP\r\n'));
          t.on('error', () => undefined);
          clients.push(t);
          void readLine(t).then((reply) => {
            assert.equal(reply, 'b OK over TLS\r\n');
            t.end();
          });
        });
      });
    });
    const r = await upgraded;
    assert.equal(r.check, 'ok');
    assert.match(r.info.protocol, /^TLSv1\.[23]$/);
    assert.equal(await readLine(r.socket), 'b NOOP\r\n');
    r.socket.write('b OK over TLS\r\n');
    await once(r.socket, 'close');
  });

  it('settles the upgrade when the session’s deadline destroys the plain socket mid-handshake', { timeout: 10_000 }, async () => {
    const port = portFor(certs, 'rsa');
    let plainSide!: Socket;
    const settled = new Promise<unknown>((resolve) => {
      void listen((s) => {
        plainSide = s;
        port.upgrade(s).then(
          () => { resolve('resolved'); },
          (e: unknown) => { resolve(e); },
        );
      }).then(({ server, port: p }) => {
        servers.push(server);
        // a client that connects and never sends its ClientHello
        const c = netConnect(p, '127.0.0.1');
        c.on('error', () => undefined);
        clients.push(c);
      });
    });
    await new Promise((r) => setTimeout(r, 50));
    plainSide.destroy();
    // the port has no timer of its own: only the destroy can settle it (the test's timeout bounds the wait)
    const e = await settled;
    assert.notEqual(e, 'resolved');
    assert.equal(handshakeLogOf(e).message, 'peer closed connection in SSL handshake');
  });

  it('rejects at once when handed a socket that is already destroyed', async () => {
    const port = portFor(certs, 'rsa');
    const { server, port: p } = await listen((s) => {
      s.destroy();
      port.upgrade(s).then(
        () => assert.fail('must not resolve'),
        () => undefined,
      );
    });
    servers.push(server);
    const c = netConnect(p, '127.0.0.1');
    c.on('error', () => undefined);
    await once(c, 'close');
  });

  it('serves new connections with a reloaded certificate while a connection made before the reload keeps working', async () => {
    let current = portFor(certs, 'rsa');
    const upgrades: TlsUpgradeResult[] = [];
    const { server, port: p } = await listen((s) => {
      current.upgrade(s).then(
        (r) => {
          upgrades.push(r);
          r.socket.on('data', (b: Buffer) => r.socket.write(`echo ${b.toString()}`));
          r.socket.on('error', () => undefined);
        },
        () => undefined,
      );
    });
    servers.push(server);
    const before = tlsConnect({ host: '127.0.0.1', port: p, rejectUnauthorized: false });
    before.on('error', () => undefined);
    clients.push(before);
    await once(before, 'secureConnect');
    assert.equal(before.getPeerCertificate().subject.CN, 'localhost');

    current = portFor(certs, 'sni0'); // the reload: new contexts from the new configuration

    const after = tlsConnect({ host: '127.0.0.1', port: p, rejectUnauthorized: false });
    after.on('error', () => undefined);
    clients.push(after);
    await once(after, 'secureConnect');
    assert.equal(after.getPeerCertificate().subject.CN, certs.sniNames[0]);

    before.write('still here\n');
    assert.equal(await readLine(before), 'echo still here\n');
    assert.equal(upgrades.length, 2);
  });
});
