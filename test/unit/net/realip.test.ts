/**
 * set_real_ip_from: only a trusted peer's PROXY header changes the client address (reference 6.6).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileRealIpFrom, isTrustedPeer, realClientAddress } from '../../../src/net/realip.js';
import type { ProxyHeader } from '../../../src/net/proxy-protocol.js';

const header = (srcAddr: string, srcPort = 4000, family: 4 | 6 = 4): ProxyHeader => ({
  version: 1,
  addresses: { family, srcAddr, srcPort, dstAddr: family === 4 ? '10.0.0.1' : '::1', dstPort: 143 },
  tlvs: [],
});

describe('real client address from a PROXY header', () => {
  const trust = compileRealIpFrom(['10.0.0.0/8', '2001:db8::/32', 'unix:']);

  it('takes the header’s source from a trusted peer', () => {
    assert.deepEqual(realClientAddress(trust, '10.1.2.3', header('192.0.2.7', 51514)), { changed: true, address: '192.0.2.7', port: 51514, family: 4 });
    assert.deepEqual(realClientAddress(trust, '2001:db8::99', header('2001:DB8:0:0:0:0:0:7', 1, 6)), {
      changed: true,
      address: '2001:db8::7',
      port: 1,
      family: 6,
    });
    assert.deepEqual(realClientAddress(trust, 'unix:', header('192.0.2.7')), { changed: true, address: '192.0.2.7', port: 4000, family: 4 });
  });

  it('ignores the header from an untrusted peer', () => {
    assert.deepEqual(realClientAddress(trust, '192.168.1.1', header('192.0.2.7')), { changed: false });
    assert.deepEqual(realClientAddress(compileRealIpFrom(['10.0.0.0/8']), 'unix:', header('192.0.2.7')), { changed: false });
  });

  it('changes nothing without a trusted list, without a header, or for UNKNOWN/LOCAL headers', () => {
    assert.deepEqual(realClientAddress(compileRealIpFrom([]), '10.1.2.3', header('192.0.2.7')), { changed: false });
    assert.deepEqual(realClientAddress(trust, '10.1.2.3', null), { changed: false });
    assert.deepEqual(realClientAddress(trust, '10.1.2.3', { version: 2, addresses: null, tlvs: [] }), { changed: false });
  });

  it('keeps an IPv4-mapped source as IPv6 text, as ngx_sock_ntop prints it', () => {
    assert.deepEqual(realClientAddress(trust, '10.0.0.1', header('::FFFF:192.0.2.7', 9, 6)), { changed: true, address: '::ffff:192.0.2.7', port: 9, family: 6 });
  });

  it('trusts an IPv4 balancer seen through a dual-stack socket (::ffff:a.b.c.d) by its IPv4 entry', () => {
    assert.equal(isTrustedPeer(trust, '::ffff:10.9.9.9'), true);
    assert.equal(isTrustedPeer(trust, '::ffff:192.0.2.1'), false);
    assert.equal(isTrustedPeer(compileRealIpFrom(['::ffff:10.0.0.0/104']), '::ffff:10.9.9.9'), true);
    assert.equal(isTrustedPeer(compileRealIpFrom(['::ffff:10.0.0.0/104']), '10.9.9.9'), false);
  });

  it('trusts single addresses and does not mix families', () => {
    const one = compileRealIpFrom(['192.0.2.1/32', '::1/128']);
    assert.equal(isTrustedPeer(one, '192.0.2.1'), true);
    assert.equal(isTrustedPeer(one, '192.0.2.2'), false);
    assert.equal(isTrustedPeer(one, '::1'), true);
    assert.equal(isTrustedPeer(one, '::2'), false);
    assert.equal(isTrustedPeer(one, 'garbage'), false);
  });
});
