import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { maskCredentials, redactFields } from '../../../src/log/redact.js';

describe('credential redaction', () => {
  it('replaces secret-named fields and keeps the rest', () => {
    assert.deepEqual(redactFields({ login: 'alice', password: 'pw', authPass: 'x', token: 't', bytes: 3 }), {
      login: 'alice', password: '[redacted]', authPass: '[redacted]', token: '[redacted]', bytes: 3,
    });
  });

  it('masks the arguments of commands that carry credentials', () => {
    assert.equal(maskCredentials('a1 LOGIN alice "s3cret"'), 'a1 LOGIN ***');
    assert.equal(maskCredentials('PASS s3cret with spaces'), 'PASS ***');
    assert.equal(maskCredentials('APOP alice c4c9334bac560ecc979e58001b3e22fb'), 'APOP ***');
    assert.equal(maskCredentials('AUTH PLAIN AGFsaWNlAHMzY3JldA=='), 'AUTH PLAIN ***');
    assert.equal(maskCredentials('a2 authenticate plain AGFsaWNlAHMzY3JldA=='), 'a2 authenticate plain ***');
    assert.equal(maskCredentials('AUTH LOGIN'), 'AUTH LOGIN');
    assert.equal(maskCredentials('a3 CAPABILITY'), 'a3 CAPABILITY');
  });
});
