import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  atoi,
  formatAddress,
  formatCidr,
  parseCidr,
  parseFlag,
  parseIPv4,
  parseIPv6,
  parseOffset,
  parseSize,
  parseTime,
} from '../../../src/config/values.js';

describe('config value parsers', () => {
  it('atoi takes decimal digits only, up to 2^63-1', () => {
    assert.equal(atoi('0'), 0);
    assert.equal(atoi('0042'), 42);
    assert.equal(atoi('9223372036854775807'), 2 ** 63); // the nearest double
    for (const bad of ['', '-1', '+1', '1.5', ' 1', '1k', '9223372036854775808'])
      assert.equal(atoi(bad), null, bad);
  });

  it('sizes take k and m in either case, but not g', () => {
    assert.equal(parseSize('512'), 512);
    assert.equal(parseSize('4k'), 4096);
    assert.equal(parseSize('4K'), 4096);
    assert.equal(parseSize('2m'), 2 * 1024 * 1024);
    assert.equal(parseSize('2M'), 2 * 1024 * 1024);
    for (const bad of ['', 'k', '1g', '1kb', '-1', '1.5k', '9007199254740992k0'])
      assert.equal(parseSize(bad), null, bad);
  });

  it('offsets also take g', () => {
    assert.equal(parseOffset('1g'), 1024 ** 3);
    assert.equal(parseOffset('1G'), 1024 ** 3);
    assert.equal(parseOffset('10m'), 10 * 1024 ** 2);
    assert.equal(parseOffset('1t'), null);
  });

  it('times in milliseconds: ms s m h d w, largest unit first, a bare number is seconds', () => {
    assert.equal(parseTime('0', false), 0);
    assert.equal(parseTime('500', false), 500_000);
    assert.equal(parseTime('500ms', false), 500);
    assert.equal(parseTime('1s', false), 1000);
    assert.equal(parseTime('1m', false), 60_000);
    assert.equal(parseTime('1h30m', false), 5_400_000);
    assert.equal(parseTime('1w1d1h1m1s1ms', false), (((7 + 1) * 24 + 1) * 3600 + 61) * 1000 + 1);
    assert.equal(parseTime('1h 30m', false), 5_400_000);
    assert.equal(parseTime('1h30', false), 3_630_000);
    assert.equal(parseTime('100d', false), 100 * 86_400_000);
  });

  it('times in milliseconds reject years, months, wrong order and repeats', () => {
    for (const bad of ['', 'x', '1y', '1M', '1s1h', '1s1s', '1ms1s', '5 s', 's', '1x', '1h 2h']) {
      assert.equal(parseTime(bad, false), null, bad);
    }
    assert.equal(parseTime('1h 30m 5', false), 5_405_000);
  });

  it('times in seconds take y and M and reject ms', () => {
    assert.equal(parseTime('1y', true), 365 * 86_400);
    assert.equal(parseTime('1M', true), 30 * 86_400);
    assert.equal(parseTime('5m', true), 300);
    assert.equal(parseTime('90', true), 90);
    assert.equal(parseTime('1y1M1w1d1h1m1s', true), 365 * 86_400 + 30 * 86_400 + 7 * 86_400 + 86_400 + 3661);
    assert.equal(parseTime('10ms', true), null);
    assert.equal(parseTime('1M1y', true), null);
  });

  it('times reject values past 2^63-1', () => {
    assert.equal(parseTime('99999999999999999999', true), null);
    assert.equal(parseTime('9999999999999999d', false), null);
  });

  it('flags are on and off in any case', () => {
    assert.equal(parseFlag('on'), true);
    assert.equal(parseFlag('OFF'), false);
    assert.equal(parseFlag('yes'), null);
  });

  it('IPv4 literals follow inet_addr as nginx wrote it', () => {
    assert.deepEqual(parseIPv4('192.0.2.1'), [192, 0, 2, 1]);
    assert.deepEqual(parseIPv4('127.0.0.001'), [127, 0, 0, 1]);
    assert.deepEqual(parseIPv4('1..2.3'), [1, 0, 2, 3]);
    for (const bad of ['1.2.3', '1.2.3.4.', '256.0.0.1', 'a.b.c.d', '1.2.3.4/8', '255.255.255.255', '']) {
      assert.equal(parseIPv4(bad), null, bad);
    }
  });

  it('IPv6 literals: groups, ::, embedded IPv4', () => {
    assert.equal(formatAddress(parseIPv6('::') ?? []), '::');
    assert.equal(formatAddress(parseIPv6('::1') ?? []), '::1');
    assert.equal(formatAddress(parseIPv6('2001:DB8:0:0:0:0:0:1') ?? []), '2001:db8::1');
    assert.equal(formatAddress(parseIPv6('2001:db8::') ?? []), '2001:db8::');
    assert.equal(formatAddress(parseIPv6('1:0:0:2:0:0:0:3') ?? []), '1:0:0:2::3');
    assert.equal(formatAddress(parseIPv6('1:0:2:3:4:5:6:7') ?? []), '1:0:2:3:4:5:6:7');
    assert.equal(formatAddress(parseIPv6('::ffff:192.0.2.1') ?? []), '::ffff:192.0.2.1');
    for (const bad of [
      '',
      ':',
      '1:2:3',
      '1::2::3',
      'g::1',
      '12345::1',
      '1:2:3:4:5:6:7:8:9',
      '::1.2.3',
      '1:2:3:4:5:6:7:8::',
    ]) {
      assert.equal(parseIPv6(bad), null, bad);
    }
  });

  it('CIDRs clear and report host bits beyond the mask', () => {
    const c = parseCidr('10.1.2.3/8');
    assert.ok(c !== null);
    assert.equal(formatCidr(c), '10.0.0.0/8');
    assert.equal(c.lowBits, true);
    assert.equal(parseCidr('10.0.0.0/8')?.lowBits, false);
    assert.equal(formatCidr(parseCidr('192.0.2.1') ?? assert.fail()), '192.0.2.1/32');
    assert.equal(formatCidr(parseCidr('0.0.0.0/0') ?? assert.fail()), '0.0.0.0/0');
    assert.equal(formatCidr(parseCidr('2001:db8::1/32') ?? assert.fail()), '2001:db8::/32');
    assert.equal(parseCidr('2001:db8::1/32')?.lowBits, true);
    assert.equal(formatCidr(parseCidr('::1') ?? assert.fail()), '::1/128');
    assert.equal(formatCidr(parseCidr('10.0.0.0/12') ?? assert.fail()), '10.0.0.0/12');
    assert.equal(formatCidr(parseCidr('10.31.0.0/12') ?? assert.fail()), '10.16.0.0/12');
    for (const bad of ['10.0.0.0/33', '::/129', '10.0.0.0/', '10.0.0.0/x', 'host', 'unix:'])
      assert.equal(parseCidr(bad), null, bad);
  });
});
