import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { bindOnce, testBind } from '../../../src/primary/listeners.js';
import { tcpListen } from '../../integration/process/config-fixture.js';

describe('listening sockets', () => {
  it('reports an address in use with nginx\'s bind() text, and -t tolerates it', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      const r = bindOnce(tcpListen('127.0.0.1', port));
      assert.deepEqual(r, { ok: false, code: 'EADDRINUSE', message: `bind() to 127.0.0.1:${port} failed (98: Address already in use)` });
      assert.equal(testBind(tcpListen('127.0.0.1', port)), null);
    } finally {
      holder.close();
    }
  });

  it('reports an address that is not local', () => {
    assert.equal(testBind(tcpListen('192.0.2.1', 2525)), 'bind() to 192.0.2.1:2525 failed (99: Cannot assign requested address)');
  });

  it('binds without listening: connections are refused until a worker listens', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => {
      resolve();
    }));
    const r = bindOnce(tcpListen('127.0.0.1', port));
    assert.ok(r.ok);
    try {
      const err = await new Promise<NodeJS.ErrnoException>((resolve) => {
        net.connect(port, '127.0.0.1').on('error', resolve);
      });
      assert.equal(err.code, 'ECONNREFUSED');
    } finally {
      r.handle.close();
    }
  });
});
