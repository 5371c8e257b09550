/**
 * The per-worker TLS session-ID cache behind `ssl_session_cache builtin|shared`.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TlsSessionCache } from '../../../src/tls/session-cache.js';

describe('the TLS session cache', () => {
  it('answers Node’s resumeSession with what newSession stored', () => {
    const c = new TlsSessionCache(10, 60_000);
    const id = Buffer.from('0102', 'hex');
    let done = false;
    c.emit('newSession', id, Buffer.from('session'), () => {
      done = true;
    });
    assert.equal(done, true);
    let found: Buffer | null = null;
    c.emit('resumeSession', id, (_e: null, d: Buffer | null) => {
      found = d;
    });
    assert.deepEqual(found, Buffer.from('session'));
    c.emit('resumeSession', Buffer.from('03', 'hex'), (_e: null, d: Buffer | null) => {
      found = d;
    });
    assert.equal(found, null);
  });

  it('drops the oldest session when full and expired ones on lookup', () => {
    const c = new TlsSessionCache(2, 60_000);
    c.store(Buffer.of(1), Buffer.of(1));
    c.store(Buffer.of(2), Buffer.of(2));
    c.store(Buffer.of(3), Buffer.of(3));
    assert.equal(c.size, 2);
    assert.equal(c.lookup(Buffer.of(1)), null);
    assert.deepEqual(c.lookup(Buffer.of(3)), Buffer.of(3));
    const expired = new TlsSessionCache(2, 0);
    expired.store(Buffer.of(1), Buffer.of(1));
    assert.equal(expired.lookup(Buffer.of(1)), null);
    assert.equal(expired.size, 0);
  });

  it('sizes a shared zone at about 4000 sessions per megabyte, as nginx documents', () => {
    assert.equal(TlsSessionCache.entriesFor(null, 1 << 20), 4096);
    assert.equal(TlsSessionCache.entriesFor(20480, null), 20480);
    assert.equal(TlsSessionCache.entriesFor(100, 1 << 20), 4096);
  });
});
