// The message generator and byte transforms of test/helpers/mailbox.ts: exact sizes, deterministic
// content, the promised line endings, dot lines, and transforms that undo each other.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  bigMessage,
  crlfToLf,
  dotStuff,
  dotUnstuff,
  lfToCrlf,
  makeMessage,
  sha256,
  stripTraceHeaders,
} from '../../helpers/mailbox.js';

function lines(b: Buffer): string[] {
  return b.toString('latin1').split(/(?<=\n)/);
}

describe('test messages', () => {
  it('have exactly the requested size for every size from the headers up', () => {
    const min = makeMessage({ sizeBytes: 1000 }).indexOf('\r\n\r\n') + 4;
    for (const lineEnding of ['crlf', 'lf', 'mixed'] as const) {
      const base = lineEnding === 'lf' ? min - 7 : min;
      for (let size = base; size < base + 400; size++) {
        assert.equal(makeMessage({ sizeBytes: size, lineEnding }).length, size, `${lineEnding} ${size}`);
      }
    }
    assert.throws(() => makeMessage({ sizeBytes: 10 }), /sizeBytes must be an integer >= \d+/);
  });

  it('are the same bytes for the same seed and differ for another seed', () => {
    const a = makeMessage({ sizeBytes: 5000, seed: 's1' });
    assert.ok(a.equals(makeMessage({ sizeBytes: 5000, seed: 's1' })));
    assert.ok(!a.equals(makeMessage({ sizeBytes: 5000, seed: 's2' })));
    assert.equal(
      bigMessage(1 << 20).sha256,
      sha256(makeMessage({ sizeBytes: 1 << 20, seed: `big-${1 << 20}` })),
    );
  });

  it('end every line as asked: CRLF, bare LF, or CRLF with some bare LF', () => {
    const crlf = lines(makeMessage({ sizeBytes: 3000 }));
    assert.ok(crlf.every((l) => l.endsWith('\r\n')));
    const lf = lines(makeMessage({ sizeBytes: 3000, lineEnding: 'lf' }));
    assert.ok(lf.every((l) => l.endsWith('\n') && !l.endsWith('\r\n')));
    const mixed = lines(makeMessage({ sizeBytes: 3000, lineEnding: 'mixed' }));
    assert.ok(mixed.some((l) => !l.endsWith('\r\n')) && mixed.some((l) => l.endsWith('\r\n')));
    assert.ok(mixed.every((l) => l.endsWith('\n')));
  });

  it('contain dot lines only where asked, printable ASCII only, and no "From " line', () => {
    const m = makeMessage({ sizeBytes: 20_000 });
    assert.ok(lines(m).some((l) => l.startsWith('.')));
    assert.ok(!lines(makeMessage({ sizeBytes: 20_000, dotLines: false })).some((l) => l.startsWith('.')));
    assert.ok(!lines(m).some((l) => l.startsWith('From ')));
    assert.ok(m.every((b) => b === 0x0d || b === 0x0a || (b >= 0x20 && b < 0x7f)));
    assert.ok(!m.includes('%'));
  });

  it('convert line endings and dot-stuffing back and forth', () => {
    const m = makeMessage({ sizeBytes: 8000, lineEnding: 'mixed' });
    assert.ok(lfToCrlf(crlfToLf(m)).equals(lfToCrlf(m)));
    assert.ok(crlfToLf(m).every((b) => b !== 0x0d));
    assert.ok(dotUnstuff(dotStuff(m)).equals(m));
    assert.equal(dotStuff(Buffer.from('.a\r\nb\r\n..c\r\n')).toString(), '..a\r\nb\r\n...c\r\n');
  });

  it('lose exactly the leading trace headers a server prepended', () => {
    const sent = Buffer.from('Received: by me\nFrom: a@b\nReceived: kept\n\nbody\n');
    const stored = Buffer.concat([
      Buffer.from(
        'Return-Path: <a@b>\nX-Original-To: c@d\nDelivered-To: c@d\nReceived: from x\n\tby y\n\tfor <c@d>; date\n',
      ),
      sent.subarray(sent.indexOf('From:')),
    ]);
    assert.equal(stripTraceHeaders(stored).toString(), 'From: a@b\nReceived: kept\n\nbody\n');
  });
});
