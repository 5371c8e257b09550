/**
 * Interop with a real balancer: haproxy (`send-proxy`, `send-proxy-v2`, and v2 with a CRC32c checksum)
 * in front of a tiny server that reads the header with `readProxyHeader` and answers with what it learnt
 * and with the bytes the client sent behind the header.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { readProxyHeader } from '../../../src/net/proxy-protocol-reader.js';
import { freePorts } from '../../helpers/ports.js';
import { spawnProc, waitForPort, type Proc } from '../../helpers/proc.js';
import { subDir } from '../../helpers/run-dir.js';

/** The backend: `v<version> <src>:<port> -> <dst>:<port> tlvs=<types>` then an echo of the first data. */
async function proxyAwareServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((s: Socket) => {
    s.on('error', () => undefined);
    void readProxyHeader(s).then((r) => {
      if (r.type !== 'header') {
        s.end(`${r.type} ${r.type === 'invalid' ? r.log : ''}\r\n`);
        return;
      }
      const a = r.header.addresses;
      const where = a === null ? 'local' : `${a.srcAddr}:${String(a.srcPort)} -> ${a.dstAddr}:${String(a.dstPort)}`;
      s.write(`v${String(r.header.version)} ${where} tlvs=${r.header.tlvs.map((t) => t.type).join(',')}\r\n`);
      s.once('data', (b: Buffer) => s.end(`echo ${b.toString('latin1')}`));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

function exchange(port: number, send: string): Promise<{ text: string; local: string }> {
  return new Promise((resolve, reject) => {
    let text = '';
    let local = '';
    const c = connect(port, '127.0.0.1', () => {
      local = `${c.localAddress ?? ''}:${String(c.localPort ?? 0)}`;
      c.write(send);
    });
    const timer = setTimeout(() => c.destroy(new Error('no answer within 10 s')), 10_000);
    c.on('data', (b: Buffer) => (text += b.toString('latin1')));
    c.on('error', reject);
    c.on('close', () => {
      clearTimeout(timer);
      resolve({ text, local });
    });
  });
}

describe('PROXY headers from haproxy', () => {
  let haproxy: Proc;
  let backend: { server: Server; port: number };
  let v1: number;
  let v2: number;
  let v2crc: number;
  before(async () => {
    backend = await proxyAwareServer();
    [v1, v2, v2crc] = (await freePorts(3)) as [number, number, number];
    const dir = subDir('haproxy');
    const cfg = join(dir, 'haproxy.cfg');
    const be = `127.0.0.1:${String(backend.port)}`;
    writeFileSync(
      cfg,
      [
        'defaults',
        '  mode tcp',
        '  timeout connect 5s',
        '  timeout client 30s',
        '  timeout server 30s',
        `listen v1`,
        `  bind 127.0.0.1:${String(v1)}`,
        `  server s ${be} send-proxy`,
        `listen v2`,
        `  bind 127.0.0.1:${String(v2)}`,
        `  server s ${be} send-proxy-v2`,
        `listen v2crc`,
        `  bind 127.0.0.1:${String(v2crc)}`,
        `  server s ${be} send-proxy-v2 proxy-v2-options crc32c,unique-id`,
        `  unique-id-format postern-%[src]`,
        '',
      ].join('\n'),
    );
    haproxy = spawnProc('haproxy', ['-db', '-f', cfg], { label: 'haproxy' });
    for (const p of [v1, v2, v2crc]) await waitForPort(p, { proc: haproxy });
  });
  after(async () => {
    await haproxy.stop();
    await new Promise((r) => backend.server.close(r));
  });

  it('reads haproxy’s v1 header and keeps the client’s first bytes that follow it', async () => {
    const { text, local } = await exchange(v1, 'a001 CAPABILITY\r\n');
    assert.equal(text, `v1 ${local} -> 127.0.0.1:${String(v1)} tlvs=\r\necho a001 CAPABILITY\r\n`);
  });

  it('reads haproxy’s v2 header', async () => {
    const { text, local } = await exchange(v2, 'EHLO x\r\n');
    assert.equal(text, `v2 ${local} -> 127.0.0.1:${String(v2)} tlvs=\r\necho EHLO x\r\n`);
  });

  it('verifies haproxy’s CRC32c and reads its TLVs', async () => {
    const { text, local } = await exchange(v2crc, 'USER a\r\n');
    assert.equal(text, `v2 ${local} -> 127.0.0.1:${String(v2crc)} tlvs=3,5\r\necho USER a\r\n`);
  });
});
