import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makePop3Settings } from '../../../../src/protocol/pop3/settings.js';

const auth = { plain: true, apop: false, cramMd5: false, external: false };
const limits = { maxErrors: 5, clientBufferBytes: 128 };

describe('pop3 settings', () => {
  it('refuses limits a config could never produce', () => {
    assert.throws(() => makePop3Settings({ serverName: 'h', auth, capabilities: [], starttls: 'off', maxErrors: 5, clientBufferBytes: 0 }), {
      code: 'ERR_INTERNAL',
    });
    assert.throws(() => makePop3Settings({ serverName: 'h', auth, capabilities: [], starttls: 'off', maxErrors: -1, clientBufferBytes: 128 }), {
      code: 'ERR_INTERNAL',
    });
  });

  it('uses TOP USER UIDL when no capabilities are configured', () => {
    const s = makePop3Settings({ serverName: 'h', auth, capabilities: [], starttls: 'off', ...limits });
    assert.equal(s.capa.toString(), '+OK Capability list follows\r\nTOP\r\nUSER\r\nUIDL\r\nSASL PLAIN LOGIN\r\n.\r\n');
  });

  it('sends capability strings verbatim, spaces included', () => {
    const s = makePop3Settings({ serverName: 'h', auth, capabilities: ['EXPIRE 30', 'user'], starttls: 'only', ...limits });
    assert.equal(s.capa.toString(), '+OK Capability list follows\r\nEXPIRE 30\r\nuser\r\nSASL PLAIN LOGIN\r\n.\r\n');
    // the USER entry is dropped case-insensitively for starttls only
    assert.equal(s.capaStarttlsOnly.toString(), '+OK Capability list follows\r\nEXPIRE 30\r\nSTLS\r\n.\r\n');
  });

  it('lists LOGIN only with plain, and every enabled mechanism in nginx order', () => {
    const s = makePop3Settings({
      serverName: 'h',
      auth: { plain: false, apop: true, cramMd5: true, external: true },
      capabilities: ['TOP'],
      starttls: 'on',
      ...limits,
    });
    assert.equal(s.capaStarttls.toString(), '+OK Capability list follows\r\nTOP\r\nSASL CRAM-MD5 EXTERNAL\r\nSTLS\r\n.\r\n');
    assert.equal(s.authListing.toString(), '+OK methods supported:\r\nCRAM-MD5\r\nEXTERNAL\r\n.\r\n');
    assert.equal(s.needsSalt, true);
  });

  it('is frozen', () => {
    const s = makePop3Settings({ serverName: 'h', auth, capabilities: [], starttls: 'off', maxErrors: 2, clientBufferBytes: 512 });
    assert.equal(Object.isFrozen(s), true);
    assert.equal(s.maxErrors, 2);
    assert.equal(s.clientBufferBytes, 512);
  });
});
