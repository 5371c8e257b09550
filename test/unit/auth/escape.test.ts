import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { countEscapes, escapeAuthValue, escapedLength, writeEscaped } from '../../../src/auth/escape.js';

describe('auth header escaping (nginx NGX_ESCAPE_MAIL_AUTH)', () => {
  it('escapes exactly 0x00-0x1F, space and % as uppercase %XX, for every byte value', () => {
    for (let b = 0; b < 256; b++) {
      const out = escapeAuthValue(Buffer.from([b])).toString('latin1');
      const hex = b.toString(16).toUpperCase().padStart(2, '0');
      const escaped = b < 0x20 || b === 0x20 || b === 0x25;
      assert.equal(out, escaped ? `%${hex}` : String.fromCharCode(b), `byte 0x${hex}`);
    }
  });

  it('matches hand-written vectors', () => {
    const cases: [Buffer, string][] = [
      [Buffer.from('alice smith'), 'alice%20smith'],
      [Buffer.from('p%ss'), 'p%25ss'],
      [Buffer.from('a\r\nb'), 'a%0D%0Ab'],
      [Buffer.from([0x00, 0x1f, 0x7f]), '%00%1F\x7f'],
      [Buffer.from('+&=?#/:"\\'), '+&=?#/:"\\'],
      [Buffer.from('\t'), '%09'],
      [Buffer.from(''), ''],
    ];
    for (const [input, expected] of cases) assert.equal(escapeAuthValue(input).toString('latin1'), expected);
  });

  it('passes UTF-8 bytes through raw', () => {
    const utf8 = Buffer.from('jür gen', 'utf8');
    assert.deepEqual(
      escapeAuthValue(utf8),
      Buffer.concat([Buffer.from('j'), Buffer.from('ür', 'utf8'), Buffer.from('%20gen')]),
    );
  });

  it('counts escapes and writes at an offset inside a larger buffer', () => {
    const src = Buffer.from('a b%c');
    assert.equal(countEscapes(src), 2);
    assert.equal(escapedLength(src), 9);
    const dst = Buffer.alloc(12, 0x2e);
    const end = writeEscaped(src, dst, 2, countEscapes(src));
    assert.equal(end, 11);
    assert.equal(dst.toString('latin1'), '..a%20b%25c.');
  });
});
