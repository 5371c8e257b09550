import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildForwardedIdParams, normalizeIdParams, tokenizeIdList } from '../../../../src/protocol/imap/id-params.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const norm = (s: string): string => normalizeIdParams(b(s), 0, s.length).toString('latin1');

describe('ID parameters: canonical form', () => {
  it('keeps NIL as NIL', () => {
    assert.equal(norm('NIL'), 'NIL');
    assert.equal(norm('nil'), 'NIL');
  });
  it('quotes atoms and literals and re-escapes quotes and backslashes', () => {
    assert.equal(norm('(name {3}\r\nA"B "v\\\\x" NIL)'), '("name" "A\\"B" "v\\\\x" NIL)');
  });
  it('keeps NIL values', () => {
    assert.equal(norm('("os" NIL)'), '("os" NIL)');
  });
  it('drops pairs with CR, LF or NUL and gives NIL when nothing is left', () => {
    assert.equal(norm('("a" {2+}\r\n\r\n)'), 'NIL');
    assert.equal(norm('("a" {1+}\r\n\0 "b" "c")'), '("b" "c")');
  });
  it('tokenizes its own canonical output back to the same items', () => {
    const canonical = b('("k" "v \\"q\\"" "n" NIL)');
    assert.deepEqual(tokenizeIdList(canonical, 0, canonical.length), [b('k'), b('v "q"'), b('n'), null]);
  });
});

describe('ID parameters: what is forwarded to a backend', () => {
  const conn = { clientAddr: '192.0.2.7', clientPort: 51514, localAddr: '198.51.100.1', localPort: 143 };
  it('adds the connection facts after the client pairs', () => {
    assert.equal(
      buildForwardedIdParams(b('("name" "Thunderbird")'), conn).toString('latin1'),
      '("name" "Thunderbird" "x-originating-ip" "192.0.2.7" "x-originating-port" "51514" "x-connected-ip" "198.51.100.1" "x-connected-port" "143")',
    );
  });
  it('sends only the client address when that is all that is known, also without a client ID', () => {
    assert.equal(buildForwardedIdParams(null, { clientAddr: '2001:db8::7' }).toString('latin1'), '("x-originating-ip" "2001:db8::7")');
    assert.equal(buildForwardedIdParams(b('NIL'), { clientAddr: '192.0.2.7' }).toString('latin1'), '("x-originating-ip" "192.0.2.7")');
  });
  it('drops keys a backend trusts as connection facts, in any case', () => {
    const spoof = b('("X-Originating-IP" "10.0.0.1" "x-forward-user" "root" "x-session-id" "s" "x-proxy-ttl" "9" "name" "ok")');
    assert.equal(buildForwardedIdParams(spoof, { clientAddr: '192.0.2.7' }).toString('latin1'), '("name" "ok" "x-originating-ip" "192.0.2.7")');
  });
  it('drops pairs over RFC 2971 sizes and keeps at most 30 pairs, ours included', () => {
    const longKey = 'k'.repeat(31);
    const longValue = 'v'.repeat(1025);
    const many = Array.from({ length: 40 }, (_, i) => `"k${String(i)}" "v"`).join(' ');
    assert.equal(
      buildForwardedIdParams(b(`("${longKey}" "v" "a" "${longValue}" "b" "c")`), { clientAddr: '1.2.3.4' }).toString('latin1'),
      '("b" "c" "x-originating-ip" "1.2.3.4")',
    );
    const out = tokenizeIdList(buildForwardedIdParams(b(`(${many})`), conn), 0, Number.MAX_SAFE_INTEGER);
    assert.equal(out?.length, 60);
  });
});
