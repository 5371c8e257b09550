// test/helpers/line-client.ts against tiny inline servers: exact and line expectations fail loudly
// with the transcript, every wait is bounded, and STARTTLS upgrades the same connection.
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { TLSSocket } from 'node:tls';
import { makeCerts, readPem } from '../../helpers/certs.js';
import { connectLine } from '../../helpers/line-client.js';

/** A server that greets, echoes lines as "echo: <line>", and upgrades to TLS after "STARTTLS". */
function startServer(tlsOpts: { cert: Buffer; key: Buffer }): Promise<{ server: Server; port: number }> {
  const server = createServer((s: Socket) => {
    s.on('error', () => undefined);
    s.write('hello\r\n');
    let buf = '';
    const onData = (b: Buffer): void => {
      buf += b.toString('latin1');
      for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl + 1);
        buf = buf.slice(nl + 1);
        if (line === 'STARTTLS\r\n') {
          s.off('data', onData);
          s.write('go ahead\r\n');
          const t = new TLSSocket(s, { isServer: true, ...tlsOpts });
          t.on('error', () => undefined);
          t.on('data', (d: Buffer) => t.write(`secure echo: ${d.toString('latin1')}`));
          return;
        }
        if (line === 'CLOSE\r\n') s.end('bye\r\n');
        else s.write(`echo: ${line}`);
      }
    };
    s.on('data', onData);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve({ server, port: typeof a === 'object' && a ? a.port : 0 });
    });
  });
}

describe('line client', () => {
  let srv: { server: Server; port: number };
  before(async () => {
    const certs = await makeCerts();
    srv = await startServer({ cert: readPem(certs.serverRsa.cert), key: readPem(certs.serverRsa.key) });
  });
  after(() => {
    srv.server.close();
  });

  it('expects exact bytes and whole lines, and reads until a delimiter', async () => {
    const c = await connectLine({ port: srv.port });
    try {
      await c.expect('hello\r\n');
      c.send('one\r\ntwo\r\nthree\r\n');
      assert.equal((await c.expect(/^echo: one\r\n$/)).toString(), 'echo: one\r\n');
      assert.equal((await c.readUntil('two')).toString(), 'echo: two');
      assert.equal((await c.readLine()).toString(), '\r\n');
      assert.equal((await c.readBytes(5)).toString(), 'echo:');
      c.send('CLOSE\r\n');
      assert.equal((await c.skipUntil(/^bye/)).toString(), ' three\r\nbye\r\n');
      assert.equal((await c.waitClosed()).length, 0);
    } finally {
      c.destroy();
    }
  });

  it('fails an exact expectation at the first differing byte, showing both sides and the transcript', async () => {
    const c = await connectLine({ port: srv.port });
    try {
      await assert.rejects(c.expect('help'), (err: Error) => {
        assert.match(err.message, /^expected "help"\n {5}got "hello\\r\\n"/);
        assert.match(err.message, /S: "hello\\r\\n"/);
        return true;
      });
    } finally {
      c.destroy();
    }
  });

  it('fails a line expectation that does not match the next line', async () => {
    const c = await connectLine({ port: srv.port });
    try {
      await assert.rejects(c.expect(/^bye/), /expected a line matching \/\^bye\/\n {5}got "hello\\r\\n"/);
    } finally {
      c.destroy();
    }
  });

  it('bounds every wait', async () => {
    const c = await connectLine({ port: srv.port });
    try {
      await c.expect('hello\r\n');
      await assert.rejects(
        c.readLine({ timeoutMs: 100 }),
        /^Error: timed out after 100 ms waiting for a line; unread: ""/,
      );
      await assert.rejects(
        c.waitClosed({ timeoutMs: 100 }),
        /timed out after 100 ms waiting for the peer to close/,
      );
    } finally {
      c.destroy();
    }
  });

  it('upgrades the connection with STARTTLS and talks TLS on it', async () => {
    const c = await connectLine({ port: srv.port });
    try {
      await c.expect('hello\r\n');
      c.send('STARTTLS\r\n');
      await c.expect('go ahead\r\n');
      await c.starttls({ servername: 'localhost' });
      assert.equal('encrypted' in c.socket && c.socket.encrypted, true);
      c.send('ping\r\n');
      await c.expect('secure echo: ping\r\n');
    } finally {
      c.destroy();
    }
  });

  it('refuses to upgrade while unread plaintext is pending', async () => {
    const c = await connectLine({ port: srv.port });
    try {
      c.send('x\r\n');
      await c.readUntil('echo: x\r\n');
      c.send('y\r\n');
      await c.readUntil('echo: ');
      await assert.rejects(c.starttls(), /^Error: plaintext pending before the TLS handshake/);
    } finally {
      c.destroy();
    }
  });
});
