/**
 * The shared ticket key the primary sends workers, and nginx's key file layout.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isTicketKeySet, rotateTicketKeys, ticketKeyBytes, ticketKeyFromNginxFile } from '../../../src/tls/ticket-keys.js';
import { ProxyError } from '../../../src/errors.js';

describe('shared session-ticket keys', () => {
  it('makes a fresh 48-byte key one generation later on each rotation', () => {
    const a = rotateTicketKeys(null);
    const b = rotateTicketKeys(a);
    assert.equal(a.generation, 1);
    assert.equal(b.generation, 2);
    assert.equal(ticketKeyBytes(a).length, 48);
    assert.notDeepEqual(ticketKeyBytes(a), ticketKeyBytes(b));
  });

  it('survives JSON (the IPC channel) and is recognised by its guard', () => {
    const k = rotateTicketKeys(null);
    const back = (JSON.parse(JSON.stringify({ type: 'ticketKeys', keys: k })) as { keys: unknown }).keys;
    assert.equal(isTicketKeySet(back), true);
    assert.deepEqual(back, k);
  });

  it('rejects malformed key sets', () => {
    for (const bad of [null, 5, {}, { generation: 1 }, { generation: 0, key: rotateTicketKeys(null).key }, { generation: 1.5, key: rotateTicketKeys(null).key }, { generation: 1, key: Buffer.alloc(47).toString('base64') }]) {
      assert.equal(isTicketKeySet(bad), false, JSON.stringify(bad));
    }
    assert.throws(() => ticketKeyBytes({ generation: 1, key: 'AAAA' }), (e: unknown) => e instanceof ProxyError && e.code === 'ERR_IPC');
  });

  it('reorders nginx’s 48-byte file (name | AES | HMAC) into Node’s layout (name | HMAC | AES)', () => {
    const file = Buffer.concat([Buffer.alloc(16, 1), Buffer.alloc(16, 2), Buffer.alloc(16, 3)]);
    assert.deepEqual(ticketKeyFromNginxFile('/k', file), Buffer.concat([Buffer.alloc(16, 1), Buffer.alloc(16, 3), Buffer.alloc(16, 2)]));
  });
});
