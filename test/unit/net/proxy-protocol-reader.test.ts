/**
 * Reading the PROXY header off a socket: bytes behind the header in the same segment stay readable (a
 * TLS ClientHello on `listen … ssl proxy_protocol` included), a broken header and an early close settle
 * the read.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { readProxyHeader, type ProxyReadResult } from '../../../src/net/proxy-protocol-reader.js';
import { buildProxyV2 } from '../../../src/net/proxy-protocol.js';
import { buildTlsContexts } from '../../../src/tls/contexts.js';
import { createTlsPort } from '../../../src/tls/upgrade.js';
import { makeCerts } from '../../helpers/certs.js';
import { sslConfig } from '../tls/tls-harness.js';

describe('reading a PROXY header from a socket', () => {
  let server: Server;
  let port: number;
  const accepted: ((s: Socket) => void)[] = [];
  before(async () => {
    server = createServer((s) => {
      s.on('error', () => undefined);
      accepted.shift()?.(s);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    await new Promise((r) => server.close(r));
  });

  const nextSocket = (): Promise<Socket> => new Promise((r) => accepted.push(r));

  it('hands back the bytes that came in the same segment as the header', async () => {
    const sock = nextSocket();
    const c = connect(port, '127.0.0.1', () => c.write('PROXY TCP4 192.0.2.1 192.0.2.2 1000 143\r\na001 NOOP\r\n'));
    c.on('error', () => undefined);
    const s = await sock;
    const r = await readProxyHeader(s);
    assert.ok(r.type === 'header');
    assert.equal(r.header.addresses?.srcAddr, '192.0.2.1');
    const [rest] = (await once(s, 'data')) as [Buffer];
    assert.equal(rest.toString(), 'a001 NOOP\r\n');
    c.destroy();
  });

  it('reports a broken header with nginx’s text', async () => {
    const sock = nextSocket();
    const c = connect(port, '127.0.0.1', () => c.write('a001 LOGIN x y\r\n'));
    c.on('error', () => undefined);
    const r: ProxyReadResult = await readProxyHeader(await sock);
    assert.deepEqual(r, { type: 'invalid', log: 'broken header: "a001 LOGIN x y"' });
    c.destroy();
  });

  it('settles as closed when the client leaves or the session destroys the socket first', async () => {
    const sock1 = nextSocket();
    const c1 = connect(port, '127.0.0.1', () => c1.end('PROXY TCP4'));
    c1.on('error', () => undefined);
    assert.deepEqual(await readProxyHeader(await sock1), { type: 'closed', error: null });
    const sock2 = nextSocket();
    const c2 = connect(port, '127.0.0.1');
    c2.on('error', () => undefined);
    const s2 = await sock2;
    const pending = readProxyHeader(s2);
    s2.destroy();
    assert.equal((await pending).type, 'closed');
    c2.destroy();
  });

  it('leaves a ClientHello sent right behind the header for the TLS handshake', async () => {
    const certs = await makeCerts();
    const tlsPort = createTlsPort(
      buildTlsContexts(sslConfig({ certificates: [{ certificate: certs.serverRsa.cert, key: certs.serverRsa.key }] }), { protocol: 'imap' }),
    );
    const sock = nextSocket();
    const raw = connect(port, '127.0.0.1');
    raw.on('error', () => undefined);
    await once(raw, 'connect');
    // cork so the header and the ClientHello leave together
    raw.cork();
    raw.write(buildProxyV2({ address: '203.0.113.5', port: 4000 }, { address: '127.0.0.1', port }));
    const client = tlsConnect({ socket: raw, rejectUnauthorized: false });
    client.on('error', () => undefined);
    process.nextTick(() => { raw.uncork(); });
    const s = await sock;
    const r = await readProxyHeader(s);
    assert.ok(r.type === 'header');
    assert.equal(r.header.addresses?.srcAddr, '203.0.113.5');
    const up = await tlsPort.upgrade(s);
    assert.equal(up.check, 'ok');
    up.socket.end('* OK\r\n');
    const [greeting] = (await once(client, 'data')) as [Buffer];
    assert.equal(greeting.toString(), '* OK\r\n');
    client.destroy();
  });
});
