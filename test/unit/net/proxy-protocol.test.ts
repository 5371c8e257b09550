/**
 * PROXY protocol v1 and v2 (haproxy's proxy-protocol.txt): the spec's examples and limits, split at every
 * byte, garbage, oversized and truncated headers, LOCAL and UNIX, TLVs and CRC32c; and the builders,
 * checked byte for byte and by a round trip through the parser.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  PP2_CLIENT,
  PP2_SIGNATURE,
  PP2_TYPE,
  buildProxyV1,
  buildProxyV2,
  crc32c,
  decodeSslTlv,
  parseProxyHeader,
  type ProxyParseResult,
} from '../../../src/net/proxy-protocol.js';
import { inet6Ntop } from '../../../src/net/inet-text.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

/** Feeds `input` in the given chunk sizes; the first answer that is not `incomplete` (or incomplete). */
function firstDecision(input: Buffer, cuts: readonly number[]): ProxyParseResult {
  let end = 0;
  for (const cut of [...cuts, input.length]) {
    end = Math.min(input.length, Math.max(end, cut));
    const r = parseProxyHeader(input.subarray(0, end));
    if (r.type !== 'incomplete') return r;
  }
  return parseProxyHeader(input);
}

/** The answer is the same whole, byte by byte, and split in two at every point. */
function splitInvariant(input: Buffer): ProxyParseResult {
  const whole = parseProxyHeader(input);
  const bytewise = Array.from({ length: input.length }, (_, i) => i + 1);
  assert.deepEqual(firstDecision(input, bytewise), whole, 'byte by byte');
  for (let k = 0; k <= input.length; k++) assert.deepEqual(firstDecision(input, [k]), whole, `split at ${String(k)}`);
  return whole;
}

function v2(famProto: number, body: Buffer, verCmd = 0x21): Buffer {
  const h = Buffer.alloc(16);
  PP2_SIGNATURE.copy(h);
  h[12] = verCmd;
  h[13] = famProto;
  h.writeUInt16BE(body.length, 14);
  return Buffer.concat([h, body]);
}

function tlv(type: number, value: Buffer): Buffer {
  const t = Buffer.alloc(3);
  t[0] = type;
  t.writeUInt16BE(value.length, 1);
  return Buffer.concat([t, value]);
}

const ipv4Body = Buffer.from([192, 168, 0, 1, 192, 168, 0, 11, 0xdc, 0x04, 0x01, 0xbb]); // 56324 → 443

describe('PROXY protocol v1', () => {
  it('parses the spec’s TCP4 example and leaves what follows for the protocol', () => {
    const input = b('PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nGET / HTTP/1.1\r\n');
    const r = splitInvariant(input);
    assert.deepEqual(r, {
      type: 'header',
      consumed: 47,
      header: { version: 1, addresses: { family: 4, srcAddr: '192.168.0.1', srcPort: 56324, dstAddr: '192.168.0.11', dstPort: 443 }, tlvs: [] },
    });
  });

  it('parses TCP6 and keeps the address text as sent (Proxy-Protocol-Addr)', () => {
    const r = splitInvariant(b('PROXY TCP6 2001:DB8::1 ::ffff:192.0.2.9 65535 0143\r\n'));
    assert.ok(r.type === 'header');
    assert.deepEqual(r.header.addresses, { family: 6, srcAddr: '2001:DB8::1', srcPort: 65535, dstAddr: '::ffff:192.0.2.9', dstPort: 143 });
  });

  it('accepts UNKNOWN, short or with the worst-case 107-byte line, and carries no addresses', () => {
    assert.deepEqual(splitInvariant(b('PROXY UNKNOWN\r\n')), { type: 'header', consumed: 15, header: { version: 1, addresses: null, tlvs: [] } });
    const worst = b(
      'PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n',
    );
    assert.equal(worst.length, 107);
    assert.deepEqual(splitInvariant(worst), { type: 'header', consumed: 107, header: { version: 1, addresses: null, tlvs: [] } });
  });

  it('takes the longest TCP6 line the spec allows (104 bytes)', () => {
    const a = 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff';
    const line = b(`PROXY TCP6 ${a} ${a} 65535 65535\r\n`);
    assert.equal(line.length, 104);
    assert.equal(splitInvariant(line).type, 'header');
  });

  it('logs a broken header with the bytes up to the first CR or LF, as nginx does', () => {
    const cases: [string, string][] = [
      ['GET / HTTP/1.0\r\n\r\n', 'GET / HTTP/1.0'],
      ['a001 CAPABILITY\r\n', 'a001 CAPABILITY'],
      ['PROXY TCP4 1.2.3.4 5.6.7.8 70000 25\r\n', 'PROXY TCP4 1.2.3.4 5.6.7.8 70000 25'],
      ['PROXY TCP4 1.2.3.4 5.6.7.8 1 25\n', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 25'],
      ['PROXY TCP4 1.2.3.4 5.6.7.8 1 25\rX', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 25'],
      ['PROXY TCP4 1.2.3.4  5.6.7.8 1 25\r\n', 'PROXY TCP4 1.2.3.4  5.6.7.8 1 25'],
      ['PROXY TCP4 1.2.3.4 5.6.7.8 1 25 \r\n', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 25 '],
      ['PROXY TCP4 1.2.3.4 5.6.7.8  25\r\n', 'PROXY TCP4 1.2.3.4 5.6.7.8  25'],
      ['PROXY TCP4 ::1 ::1 1 2\r\n', 'PROXY TCP4 ::1 ::1 1 2'],
      ['PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n', 'PROXY TCP6 1.2.3.4 5.6.7.8 1 2'],
      ['PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n', 'PROXY TCP4 01.2.3.4 5.6.7.8 1 2'],
      ['PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n', 'PROXY TCP6 fe80::1%eth0 ::1 1 2'],
      ['PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n', 'PROXY UDP4 1.2.3.4 5.6.7.8 1 2'],
      ['PROXY\r\n', 'PROXY'],
      ['proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n', 'proxy TCP4 1.2.3.4 5.6.7.8 1 2'],
      ['\r\nX', ''],
      ['\nX', ''],
      ['\r\n\r\n\0\r\nQUIT!', ''],
    ];
    for (const [input, shown] of cases) {
      assert.deepEqual(splitInvariant(b(input)), { type: 'invalid', log: `broken header: "${shown}"` }, JSON.stringify(input));
    }
  });

  it('gives up after 107 bytes without a line end, and prints non-ASCII bytes as \\xHH', () => {
    const hello = Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]), Buffer.alloc(150, 0x41)]);
    const r = splitInvariant(hello);
    assert.deepEqual(r, { type: 'invalid', log: `broken header: "\\x16\\x03\\x01\\x02\\x00\\x01${'A'.repeat(101)}"` });
    assert.deepEqual(splitInvariant(b(`PROXY UNKNOWN ${'x'.repeat(100)}`)).type, 'invalid');
  });

  it('waits for more bytes while a header can still complete', () => {
    for (const partial of ['P', 'PROXY', 'PROXY TCP4 1.2.3.4', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r', 'PROXY UNKNOWN garbage', 'G', '\r\n\r\n']) {
      assert.deepEqual(parseProxyHeader(b(partial)), { type: 'incomplete' }, JSON.stringify(partial));
    }
    assert.deepEqual(parseProxyHeader(Buffer.alloc(0)), { type: 'incomplete' });
  });
});

describe('PROXY protocol v2', () => {
  it('parses TCP over IPv4 with the spec’s layout and leaves the rest', () => {
    const input = Buffer.concat([v2(0x11, ipv4Body), b('a001 NOOP\r\n')]);
    assert.deepEqual(splitInvariant(input), {
      type: 'header',
      consumed: 28,
      header: { version: 2, addresses: { family: 4, srcAddr: '192.168.0.1', srcPort: 56324, dstAddr: '192.168.0.11', dstPort: 443 }, tlvs: [] },
    });
  });

  it('prints IPv6 addresses as nginx (ngx_inet6_ntop)', () => {
    const src = Buffer.from('20010db8000000000000000000000001', 'hex');
    const dst = Buffer.from('00000000000000000000ffffc0000209', 'hex');
    const r = splitInvariant(v2(0x21, Buffer.concat([src, dst, Buffer.from([0x30, 0x39, 0x00, 0x19])])));
    assert.ok(r.type === 'header');
    assert.deepEqual(r.header.addresses, { family: 6, srcAddr: '2001:db8::1', srcPort: 12345, dstAddr: '::ffff:192.0.2.9', dstPort: 25 });
  });

  it('prints IPv6 the way ngx_inet6_ntop does, corner cases included', () => {
    const cases: [string, string][] = [
      ['00000000000000000000000000000000', '::'],
      ['00000000000000000000000000000001', '::1'],
      ['00010000000000000000000000000000', '1::'],
      ['00000000000000000000ffff01020304', '::ffff:1.2.3.4'],
      ['00000000000000000000000001020304', '::1.2.3.4'],
      ['00000000000000000000000000000002', '::2'],
      ['00000000000000000000000000020003', '::0.2.0.3'],
      ['00010000000000020000000000000003', '1:0:0:2::3'],
      ['00010000000000020000000000030004', '1::2:0:0:3:4'],
      ['00010000000200000003000000040000', '1:0:2:0:3:0:4:0'],
      ['fe800000000000000202b3fffe1e8329', 'fe80::202:b3ff:fe1e:8329'],
      ['20010db8ffffffffffffffffffffffff', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff'],
    ];
    for (const [hex, text] of cases) assert.equal(inet6Ntop(Buffer.from(hex, 'hex')), text, hex);
  });

  it('accepts LOCAL (health checks), UNSPEC, UNIX and UDP as headers without addresses, skipping their length', () => {
    const cases: [Buffer, number][] = [
      [v2(0x11, ipv4Body, 0x20), 28], // LOCAL with addresses present: they are ignored
      [v2(0x00, Buffer.alloc(0), 0x20), 16],
      [v2(0x31, Buffer.alloc(216, 0x61)), 232], // AF_UNIX stream
      [v2(0x12, ipv4Body), 28], // UDP
      [v2(0x00, Buffer.alloc(0)), 16],
    ];
    for (const [input, consumed] of cases) {
      assert.deepEqual(splitInvariant(Buffer.concat([input, b('x')])), { type: 'header', consumed, header: { version: 2, addresses: null, tlvs: [] } });
    }
  });

  it('parses TLVs, the SSL TLV with its sub-TLVs included', () => {
    const ssl = Buffer.concat([Buffer.from([PP2_CLIENT.SSL | PP2_CLIENT.CERT_CONN, 0, 0, 0, 0]), tlv(PP2_TYPE.SSL_VERSION, b('TLSv1.3')), tlv(PP2_TYPE.SSL_CN, b('client'))]);
    const tlvs = Buffer.concat([tlv(PP2_TYPE.ALPN, b('imap')), tlv(PP2_TYPE.AUTHORITY, b('mail.example.org')), tlv(PP2_TYPE.SSL, ssl), tlv(PP2_TYPE.NOOP, Buffer.alloc(0))]);
    const r = splitInvariant(v2(0x11, Buffer.concat([ipv4Body, tlvs])));
    assert.ok(r.type === 'header');
    assert.deepEqual(
      r.header.tlvs.map((t) => [t.type, t.value.toString('latin1')]),
      [[PP2_TYPE.ALPN, 'imap'], [PP2_TYPE.AUTHORITY, 'mail.example.org'], [PP2_TYPE.SSL, ssl.toString('latin1')], [PP2_TYPE.NOOP, '']],
    );
    const decoded = decodeSslTlv(r.header.tlvs[2]!.value);
    assert.deepEqual(decoded && { client: decoded.client, verify: decoded.verify, subs: decoded.subTlvs.map((t) => t.value.toString()) }, {
      client: 3,
      verify: 0,
      subs: ['TLSv1.3', 'client'],
    });
  });

  it('ignores a truncated TLV at the end, as nginx stores the bytes without checking', () => {
    const r = splitInvariant(v2(0x11, Buffer.concat([ipv4Body, tlv(PP2_TYPE.ALPN, b('imap')), Buffer.from([0x05, 0x00, 0x09, 0x01])])));
    assert.ok(r.type === 'header');
    assert.equal(r.header.tlvs.length, 1);
    assert.equal(r.consumed, 16 + 12 + 7 + 4);
  });

  it('verifies a CRC32c TLV and refuses a header whose checksum does not match', () => {
    assert.equal(crc32c(b('123456789')), 0xe3069283);
    const withCrc = (corrupt: boolean): Buffer => {
      const h = v2(0x11, Buffer.concat([ipv4Body, tlv(PP2_TYPE.CRC32C, Buffer.alloc(4))]));
      h.writeUInt32BE(crc32c(h), h.length - 4);
      if (corrupt) h[17] = (h[17] ?? 0) ^ 1;
      return h;
    };
    assert.equal(splitInvariant(withCrc(false)).type, 'header');
    assert.deepEqual(splitInvariant(withCrc(true)), { type: 'invalid', log: 'PROXY protocol v2 CRC32c checksum mismatch' });
  });

  it('refuses another version, an oversized header and an address block that is too short', () => {
    assert.deepEqual(splitInvariant(v2(0x11, ipv4Body, 0x11)), { type: 'invalid', log: 'unknown PROXY protocol version: 1' });
    const big = v2(0x11, Buffer.alloc(4096 - 16 + 1));
    assert.deepEqual(parseProxyHeader(big.subarray(0, 16)), { type: 'invalid', log: 'header is too large' });
    assert.equal(parseProxyHeader(v2(0x11, Buffer.alloc(4096 - 16))).type, 'header');
    assert.deepEqual(splitInvariant(v2(0x11, Buffer.alloc(4))), { type: 'invalid', log: 'PROXY protocol v2 header is too short for its addresses' });
    assert.deepEqual(splitInvariant(v2(0x21, Buffer.alloc(12))), { type: 'invalid', log: 'PROXY protocol v2 header is too short for its addresses' });
  });

  it('waits for the whole announced length', () => {
    const h = v2(0x11, Buffer.concat([ipv4Body, tlv(PP2_TYPE.NOOP, Buffer.alloc(100))]));
    for (let k = 0; k < h.length; k++) assert.deepEqual(parseProxyHeader(h.subarray(0, k)), { type: 'incomplete' }, `at ${String(k)}`);
  });
});

describe('building PROXY headers for the backend', () => {
  it('writes v1 lines as nginx: TCP4, TCP6 and UNKNOWN for a UNIX client', () => {
    assert.equal(buildProxyV1({ address: '192.0.2.7', port: 51514 }, { address: '10.0.0.1', port: 143 }).toString(), 'PROXY TCP4 192.0.2.7 10.0.0.1 51514 143\r\n');
    assert.equal(buildProxyV1({ address: '2001:DB8:0:0::7', port: 1 }, { address: '::1', port: 993 }).toString(), 'PROXY TCP6 2001:db8::7 ::1 1 993\r\n');
    assert.equal(buildProxyV1(null, { address: '10.0.0.1', port: 143 }).toString(), 'PROXY UNKNOWN\r\n');
    assert.equal(buildProxyV1({ address: '192.0.2.7', port: 1 }, null).toString(), 'PROXY UNKNOWN\r\n');
  });

  it('keeps both v1 addresses in one family', () => {
    // a real client (after set_real_ip_from) on a dual-stack listener
    assert.equal(buildProxyV1({ address: '192.0.2.7', port: 5 }, { address: '::ffff:10.0.0.1', port: 143 }).toString(), 'PROXY TCP4 192.0.2.7 10.0.0.1 5 143\r\n');
    assert.equal(buildProxyV1({ address: '192.0.2.7', port: 5 }, { address: '2001:db8::1', port: 143 }).toString(), 'PROXY TCP6 ::ffff:192.0.2.7 2001:db8::1 5 143\r\n');
  });

  it('round-trips v1 through the parser', () => {
    for (const [src, dst] of [['192.0.2.7', '10.0.0.1'], ['2001:db8::7', 'fe80::1']] as const) {
      const h = buildProxyV1({ address: src, port: 40000 }, { address: dst, port: 110 });
      const r = parseProxyHeader(h);
      assert.ok(r.type === 'header');
      assert.equal(r.consumed, h.length);
      assert.deepEqual(r.header.addresses, { family: src.includes(':') ? 6 : 4, srcAddr: src, srcPort: 40000, dstAddr: dst, dstPort: 110 });
    }
  });

  it('writes the v2 header byte for byte, with the SSL TLV for a TLS client', () => {
    const h = buildProxyV2({ address: '192.168.0.1', port: 56324 }, { address: '192.168.0.11', port: 443 }, {
      ssl: { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', clientCert: 'none', verified: false },
    });
    const ssl = Buffer.concat([Buffer.from([0x01, 0, 0, 0, 1]), tlv(0x21, b('TLSv1.3')), tlv(0x23, b('TLS_AES_256_GCM_SHA384'))]);
    assert.deepEqual(h, v2(0x11, Buffer.concat([ipv4Body, tlv(0x20, ssl)])));
  });

  it('round-trips v2 with ALPN, SNI and a verified client certificate', () => {
    const h = buildProxyV2({ address: '2001:db8::7', port: 1234 }, { address: '2001:db8::1', port: 993 }, {
      alpn: 'imap',
      authority: 'mail.example.org',
      ssl: { version: 'TLSv1.2', cipher: 'ECDHE-RSA-AES128-GCM-SHA256', clientCert: 'connection', verified: true, commonName: 'J\u00f6rg' },
    });
    const r = parseProxyHeader(Buffer.concat([h, b('* OK')]));
    assert.ok(r.type === 'header');
    assert.equal(r.consumed, h.length);
    assert.deepEqual(r.header.addresses, { family: 6, srcAddr: '2001:db8::7', srcPort: 1234, dstAddr: '2001:db8::1', dstPort: 993 });
    const [alpn, authority, ssl] = r.header.tlvs;
    assert.deepEqual([alpn?.type, alpn?.value.toString()], [PP2_TYPE.ALPN, 'imap']);
    assert.deepEqual([authority?.type, authority?.value.toString()], [PP2_TYPE.AUTHORITY, 'mail.example.org']);
    const d = decodeSslTlv(ssl!.value);
    assert.deepEqual(d && [d.client, d.verify, d.subTlvs.map((t) => [t.type, t.value.toString('utf8')])], [
      PP2_CLIENT.SSL | PP2_CLIENT.CERT_CONN | PP2_CLIENT.CERT_SESS,
      0,
      [[PP2_TYPE.SSL_VERSION, 'TLSv1.2'], [PP2_TYPE.SSL_CN, 'J\u00f6rg'], [PP2_TYPE.SSL_CIPHER, 'ECDHE-RSA-AES128-GCM-SHA256']],
    ]);
  });

  it('marks a certificate from a resumed session with CERT_SESS only and a failed one as not verified', () => {
    const h = buildProxyV2({ address: '192.0.2.1', port: 1 }, { address: '192.0.2.2', port: 2 }, {
      ssl: { version: 'TLSv1.3', cipher: 'x', clientCert: 'session', verified: false },
    });
    const r = parseProxyHeader(h);
    assert.ok(r.type === 'header');
    const d = decodeSslTlv(r.header.tlvs[0]!.value);
    assert.deepEqual(d && [d.client, d.verify], [PP2_CLIENT.SSL | PP2_CLIENT.CERT_SESS, 1]);
  });

  it('picks the v2 family as nginx: mapped pairs become AF_INET, a mixed pair AF_INET6, unknown ends placeholders', () => {
    const mapped = parseProxyHeader(buildProxyV2({ address: '::ffff:192.0.2.1', port: 1 }, { address: '::ffff:10.0.0.1', port: 2 }));
    assert.ok(mapped.type === 'header');
    assert.deepEqual(mapped.header.addresses, { family: 4, srcAddr: '192.0.2.1', srcPort: 1, dstAddr: '10.0.0.1', dstPort: 2 });
    const mixed = parseProxyHeader(buildProxyV2({ address: '192.0.2.1', port: 1 }, { address: '2001:db8::1', port: 2 }));
    assert.ok(mixed.type === 'header');
    assert.deepEqual(mixed.header.addresses, { family: 6, srcAddr: '::ffff:192.0.2.1', srcPort: 1, dstAddr: '2001:db8::1', dstPort: 2 });
    const unixClient = parseProxyHeader(buildProxyV2(null, { address: '10.0.0.1', port: 143 }));
    assert.ok(unixClient.type === 'header');
    assert.deepEqual(unixClient.header.addresses, { family: 4, srcAddr: '127.0.0.1', srcPort: 0, dstAddr: '10.0.0.1', dstPort: 143 });
    const none = buildProxyV2(null, null);
    assert.deepEqual(none, v2(0x00, Buffer.alloc(0)));
  });
});
