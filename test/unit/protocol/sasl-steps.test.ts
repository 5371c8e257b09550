import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isSaslExchange, saslBegin, saslContinue, saslPrompt, type SaslStep } from '../../../src/protocol/sasl-steps.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const b64 = (s: string): Buffer => b(Buffer.from(s, 'latin1').toString('base64'));

/** Buffers as latin1 text, for readable comparisons. */
function shown(step: SaslStep): Record<string, unknown> {
  return Object.fromEntries(Object.entries(step).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString('latin1') : v]));
}

const BAD_BASE64 = (mech: string): string => `client sent invalid base64 encoding in AUTH ${mech} command`;

describe('SASL steps', () => {
  it('asks for the next line of the exchange a mechanism starts', () => {
    assert.deepEqual(shown(saslBegin([b('login')], false, false)), { kind: 'continue', exchange: 'authLoginUsername', login: null });
    assert.deepEqual(shown(saslBegin([b('PLAIN')], false, false)), { kind: 'continue', exchange: 'authPlain', login: null });
    assert.deepEqual(shown(saslBegin([b('CRAM-MD5')], true, false)), { kind: 'continue', exchange: 'authCramMd5', login: null });
    assert.deepEqual(shown(saslBegin([b('EXTERNAL')], false, true)), { kind: 'continue', exchange: 'authExternal', login: null });
  });

  it('refuses CRAM-MD5 and EXTERNAL unless enabled, the initial-response EXTERNAL too (Q-4), and unknown mechanisms', () => {
    const refused = { kind: 'refused', log: null, login: null };
    assert.deepEqual(shown(saslBegin([b('CRAM-MD5')], false, true)), refused);
    assert.deepEqual(shown(saslBegin([b('EXTERNAL')], true, false)), refused);
    assert.deepEqual(shown(saslBegin([b('EXTERNAL'), b64('alice')], true, false)), refused);
    assert.deepEqual(shown(saslBegin([b('XOAUTH2')], true, true)), refused);
    assert.deepEqual(shown(saslBegin([b('PLAIN'), b('a'), b('b')], true, true)), refused);
  });

  it('takes initial responses as the first line of the exchange', () => {
    assert.deepEqual(shown(saslBegin([b('LOGIN'), b64('alice')], false, false)), {
      kind: 'continue',
      exchange: 'authLoginPassword',
      login: 'alice',
    });
    assert.deepEqual(shown(saslBegin([b('PLAIN'), b64('\0alice\0secret')], false, false)), {
      kind: 'credentials',
      method: 'plain',
      login: 'alice',
      password: 'secret',
    });
    assert.deepEqual(shown(saslBegin([b('EXTERNAL'), b('=')], false, true)), {
      kind: 'credentials',
      method: 'external',
      login: '',
      password: '',
    });
  });

  it('finishes AUTH LOGIN with the user name taken before, and uses only the first argument', () => {
    assert.deepEqual(shown(saslContinue('authLoginPassword', [b64('secret'), b('ignored')], b('alice'))), {
      kind: 'credentials',
      method: 'plain',
      login: 'alice',
      password: 'secret',
    });
    assert.deepEqual(shown(saslContinue('authLoginPassword', [], null)), { kind: 'credentials', method: 'plain', login: '', password: '' });
  });

  it("refuses bad answers with nginx's log text, keeping the login a bad CRAM-MD5 answer names", () => {
    assert.deepEqual(shown(saslContinue('authLoginUsername', [b('*')], null)), { kind: 'refused', log: BAD_BASE64('LOGIN'), login: null });
    assert.deepEqual(shown(saslContinue('authPlain', [b('*')], null)), { kind: 'refused', log: BAD_BASE64('PLAIN'), login: null });
    assert.deepEqual(shown(saslContinue('authCramMd5', [b64('bob 1234')], null)), {
      kind: 'refused',
      log: 'client sent invalid CRAM-MD5 hash in AUTH CRAM-MD5 command',
      login: 'bob',
    });
    assert.deepEqual(shown(saslContinue('authCramMd5', [b64(`bob ${'0'.repeat(32)}`)], null)), {
      kind: 'credentials',
      method: 'cram-md5',
      login: 'bob',
      password: '0'.repeat(32),
    });
  });

  it('prompts with the protocol replies, CRAM-MD5 with the salt, and not without one', () => {
    const prompts = { username: b('U\r\n'), password: b('P\r\n'), next: b('N\r\n'), continuationPrefix: b('334 '), crlf: b('\r\n') };
    const at = (e: Parameters<typeof saslPrompt>[1], salt: Buffer | null): string | null => saslPrompt(prompts, e, salt)?.toString('latin1') ?? null;
    assert.equal(at('authLoginUsername', null), 'U\r\n');
    assert.equal(at('authExternal', null), 'U\r\n');
    assert.equal(at('authLoginPassword', null), 'P\r\n');
    assert.equal(at('authPlain', null), 'N\r\n');
    assert.equal(at('authCramMd5', b('<1.2@x>\r\n')), `334 ${Buffer.from('<1.2@x>').toString('base64')}\r\n`);
    assert.equal(at('authCramMd5', null), null);
  });

  it('tells exchange states from the others', () => {
    assert.equal(isSaslExchange('authCramMd5'), true);
    assert.equal(isSaslExchange('authenticating'), false);
    assert.equal(isSaslExchange('start'), false);
  });
});
