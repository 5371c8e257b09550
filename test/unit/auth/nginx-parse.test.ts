import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ATOI_ERROR,
  ipv6Text,
  ngxAtoi,
  ngxInet6Addr,
  ngxInetAddr,
  ngxParseAddr,
} from '../../../src/auth/nginx-parse.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const atoi = (s: string): number => ngxAtoi(b(s), 0, s.length);
const parse = (s: string): string | null => ngxParseAddr(b(s), 0, s.length)?.text ?? null;

describe('ngx_atoi mirror', () => {
  it('accepts plain decimal digits, leading zeros included', () => {
    assert.equal(atoi('0'), 0);
    assert.equal(atoi('143'), 143);
    assert.equal(atoi('007'), 7);
    assert.equal(atoi('000000000000000000000000001'), 1);
    // the largest value nginx accepts (it comes back rounded above 2^53; callers clamp)
    assert.ok(atoi('9223372036854775807') > 9.2e18);
  });

  it('refuses empty text, signs, spaces, other characters and values over NGX_MAX_INT_T_VALUE', () => {
    for (const s of [
      '',
      '-1',
      '+1',
      ' 1',
      '1 ',
      '1.5',
      '0x10',
      'abc',
      '9223372036854775808',
      '12345678901234567890',
    ]) {
      assert.equal(atoi(s), ATOI_ERROR, JSON.stringify(s));
    }
  });
});

describe('ngx_inet_addr mirror', () => {
  it('parses dotted quads the way nginx does, including its lenient forms', () => {
    assert.equal(ngxInetAddr(b('10.0.0.5'), 0, 8), 0x0a000005);
    assert.equal(ngxInetAddr(b('1..2.3'), 0, 6), 0x01000203);
    assert.equal(ngxInetAddr(b('010.0.0.1'), 0, 9), 0x0a000001);
    assert.equal(ngxInetAddr(b('...'), 0, 3), 0);
  });

  it('refuses wrong dot counts, octets over 255 and the INADDR_NONE collision 255.255.255.255', () => {
    for (const s of ['1.2.3', '1.2.3.4.5', '256.0.0.1', '1.2.3.4a', '', '255.255.255.255', ' 1.2.3.4']) {
      assert.equal(ngxInetAddr(b(s), 0, s.length), -1, s);
    }
  });
});

describe('ngx_inet6_addr mirror', () => {
  it('parses the usual forms', () => {
    assert.deepEqual(Array.from(ngxInet6Addr(b('::1'), 0, 3) ?? []), [...new Array<number>(15).fill(0), 1]);
    assert.equal(parse('2001:db8::5'), '2001:db8::5');
    assert.equal(parse('2001:DB8:0:0:0:0:0:5'), '2001:db8::5');
    assert.equal(parse('::'), '::');
    assert.equal(parse('::ffff:10.0.0.1'), '::ffff:10.0.0.1');
    assert.equal(parse('1:2:3:4:5:6:1.2.3.4'), '1:2:3:4:5:6:102:304');
  });

  it('accepts a single leading colon before a full address, as nginx does', () => {
    assert.equal(parse(':1:2:3:4:5:6:7:8'), '1:2:3:4:5:6:7:8');
  });

  it('refuses brackets, zones, too many groups, two "::" and long groups', () => {
    for (const s of [
      '[::1]',
      'fe80::1%eth0',
      '1:2:3:4:5:6:7:8:9',
      '1::2::3',
      '12345::1',
      ':',
      '1:2:3:4:5:6:7',
      'g::1',
      '1:2:3:4:5:6:7:1.2.3.4',
    ]) {
      assert.equal(ngxInet6Addr(b(s), 0, s.length), null, s);
    }
  });
});

describe('Auth-Server parsing (ngx_parse_addr)', () => {
  it('gives a canonical text net.connect accepts and never resolves names', () => {
    assert.equal(parse('10.0.0.5'), '10.0.0.5');
    assert.equal(parse('1..2.3'), '1.0.2.3');
    assert.equal(parse('mail.example.com'), null);
    assert.equal(parse('localhost'), null);
    assert.equal(parse('[2001:db8::5]'), null);
    assert.equal(parse(''), null);
  });

  it('writes IPv6 text per RFC 5952 (longest zero run compressed, first one on a tie, lowercase)', () => {
    const v6 = (words: number[]): Uint8Array => new Uint8Array(words.flatMap((w) => [w >> 8, w & 0xff]));
    assert.equal(ipv6Text(v6([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1])), '2001:db8::1:0:0:1');
    assert.equal(ipv6Text(v6([0x2001, 0xdb8, 0, 1, 1, 1, 1, 1])), '2001:db8:0:1:1:1:1:1');
    assert.equal(ipv6Text(v6([0, 0, 0, 0, 0, 0, 0, 0])), '::');
    assert.equal(ipv6Text(v6([0xabcd, 0, 0, 0, 0, 0, 0, 0])), 'abcd::');
  });
});
