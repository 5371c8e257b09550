import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { awaitingReply, READING_UPSTREAM_REPLY, rejectedReply } from '../../../src/protocol/upstream-reply.js';

interface L {
  readonly action: string;
}
const reading = (s: L): L => ({ ...s, action: READING_UPSTREAM_REPLY });

describe('upstream reply handling', () => {
  it('switches to the reading action when bytes arrived, and waits without consuming', () => {
    const s: L = { action: 'sending user name to upstream' };
    assert.deepEqual(awaitingReply(s, 3, 5, reading), { state: { action: 'reading response from upstream' }, actions: [], consumed: 0 });
  });

  it('keeps the state when nothing arrived or it is reading already', () => {
    const s: L = { action: 'connecting to upstream' };
    assert.equal(awaitingReply(s, 4, 4, reading).state, s);
    const r: L = { action: READING_UPSTREAM_REPLY };
    assert.equal(awaitingReply(r, 0, 2, reading).state, r);
  });

  it('refuses a reply with its line for the log, without the CRLF', () => {
    const raw = Buffer.from('-ERR no\r\n', 'latin1');
    const a = rejectedReply(raw);
    assert.equal(a.type, 'rejected');
    assert.equal(a.line.toString('latin1'), '-ERR no');
    assert.equal(a.raw, raw);
  });
});
