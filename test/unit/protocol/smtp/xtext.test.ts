import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xtextEncode } from '../../../../src/protocol/smtp/xtext.js';

const enc = (s: string): string => xtextEncode(Buffer.from(s, 'latin1')).toString('latin1');

describe('xtext (RFC 3461 section 4)', () => {
  it('passes printable ASCII other than + and =', () => {
    assert.equal(enc('alice@example.com'), 'alice@example.com');
    assert.equal(enc('!~"#$%&\'()*,-./:;<>?[\\]^_`{|}'), '!~"#$%&\'()*,-./:;<>?[\\]^_`{|}');
  });
  it('encodes +, =, space, controls, DEL and high bytes as +XX in uppercase hex', () => {
    assert.equal(enc('a+b'), 'a+2Bb');
    assert.equal(enc('a=b'), 'a+3Db');
    assert.equal(enc('a b'), 'a+20b');
    assert.equal(enc('\r\n\u0000\t'), '+0D+0A+00+09');
    assert.equal(enc('\u007f\u0080\u00ff'), '+7F+80+FF');
  });
  it('encodes the empty value as empty', () => {
    assert.equal(enc(''), '');
  });
  it('returns the same buffer when nothing needs escaping', () => {
    const b = Buffer.from('plain');
    assert.equal(xtextEncode(b), b);
  });
});
