import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isValidHostName, safeClientHost } from '../../../../src/protocol/smtp/host-name.js';

describe('client host names', () => {
  it('accepts letters, digits, dots and dashes', () => {
    for (const name of ['mail.example.com', 'A-1.b', '1.2.3.4', 'x', '-.-']) {
      assert.equal(isValidHostName(name), true, name);
      assert.equal(isValidHostName(Buffer.from(name)), true, name);
    }
  });
  it('refuses an empty name and any other byte (nginx 1.29.7, CVE-2026-28753)', () => {
    for (const name of ['', 'a b', 'a\r\nb', 'under_score.example', 'a\\.b', 'x"y', 'caf\u00e9', 'a\u0000', 'a:b', '[x]']) {
      assert.equal(isValidHostName(name), false, JSON.stringify(name));
      assert.equal(isValidHostName(Buffer.from(name, 'latin1')), false, JSON.stringify(name));
    }
  });
  it('lets the placeholders and valid names through to XCLIENT, nothing else', () => {
    assert.equal(safeClientHost('[UNAVAILABLE]'), '[UNAVAILABLE]');
    assert.equal(safeClientHost('[TEMPUNAVAIL]'), '[TEMPUNAVAIL]');
    assert.equal(safeClientHost('mx.example.com'), 'mx.example.com');
    assert.equal(safeClientHost('a b'), '[TEMPUNAVAIL]');
  });
});
