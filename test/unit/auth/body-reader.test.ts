import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BODY_BAD, BODY_MORE, BodyReader } from '../../../src/auth/body-reader.js';
import { AUTH_HTTP_MAX_DRAIN_BYTES, BODY, type BodyKind } from '../../../src/auth/response.js';

/** Feed `text` in pieces cut at `cuts`; returns where the body ended (absolute), or BODY_MORE/BODY_BAD. */
function run(kind: BodyKind, length: number, text: string, cuts: number[] = []): number {
  const bytes = Buffer.from(text, 'latin1');
  const reader = new BodyReader();
  reader.reset(kind, length);
  let prev = 0;
  for (const cut of [...cuts, bytes.length]) {
    const n = reader.feed(bytes, prev, cut);
    if (n === BODY_BAD) return BODY_BAD;
    if (n !== BODY_MORE) return prev + n;
    prev = cut;
  }
  return BODY_MORE;
}

describe('keep-alive body reader', () => {
  it('skips a Content-Length body and reports where it ended', () => {
    assert.equal(run(BODY.length, 5, 'hello'), 5);
    assert.equal(run(BODY.length, 5, 'hel'), BODY_MORE);
    assert.equal(run(BODY.length, 5, 'helloEXTRA'), 5);
    assert.equal(run(BODY.none, 0, 'EXTRA'), 0);
  });

  it('skips chunked bodies with extensions and trailers, CRLF or bare LF', () => {
    assert.equal(run(BODY.chunked, 0, '0\r\n\r\n'), 5);
    assert.equal(run(BODY.chunked, 0, '5\r\nhello\r\n0\r\n\r\nNEXT'), 15);
    assert.equal(run(BODY.chunked, 0, 'A;name=v\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\n'), 41);
    assert.equal(run(BODY.chunked, 0, '2\nok\n0\n\n'), 8);
    assert.equal(run(BODY.chunked, 0, 'a\r\n0123456789\r\n'), BODY_MORE);
  });

  it('refuses malformed chunked framing', () => {
    for (const t of ['x\r\n', '5\r\nhelloX\r\n', '0\r\n\rX', '5\rX', '\r\n'])
      assert.equal(run(BODY.chunked, 0, t), BODY_BAD, JSON.stringify(t));
  });

  it('refuses chunked bodies over the drain limit', () => {
    assert.equal(run(BODY.chunked, 0, `${(AUTH_HTTP_MAX_DRAIN_BYTES + 1).toString(16)}\r\n`), BODY_BAD);
    const big = 'x'.repeat(AUTH_HTTP_MAX_DRAIN_BYTES);
    assert.equal(run(BODY.chunked, 0, `${big.length.toString(16)}\r\n${big}\r\n0\r\n\r\n`), BODY_BAD);
  });

  it('ends at the same byte whatever the pieces', () => {
    const text = '3;x=y\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nT: v\r\n\r\nafter';
    const whole = run(BODY.chunked, 0, text);
    assert.equal(whole, text.length - 'after'.length);
    for (let cut = 1; cut < text.length; cut++)
      assert.equal(run(BODY.chunked, 0, text, [cut]), whole, `cut ${cut}`);
    assert.equal(
      run(
        BODY.chunked,
        0,
        text,
        Array.from({ length: text.length - 1 }, (_, i) => i + 1),
      ),
      whole,
    );
  });
});
