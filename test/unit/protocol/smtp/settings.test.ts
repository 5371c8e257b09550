import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeSmtpSettings, type SmtpSettingsInput } from '../../../../src/protocol/smtp/settings.js';

const base: SmtpSettingsInput = {
  serverName: 'mx.example.com',
  auth: { plain: true, login: true, cramMd5: false, external: false, none: false },
  capabilities: [],
  starttls: 'off',
  resolver: false,
  greetingDelayMs: 0,
  maxErrors: 5,
  clientBufferBytes: 4096,
};

describe('smtp settings', () => {
  it('keeps the limits it is given and is frozen', () => {
    const s = makeSmtpSettings({ ...base, maxErrors: 0, clientBufferBytes: 512, greetingDelayMs: 1500, resolver: true });
    assert.equal(s.maxErrors, 0);
    assert.equal(s.clientBufferBytes, 512);
    assert.equal(s.greetingDelayMs, 1500);
    assert.equal(s.resolver, true);
    assert.equal(Object.isFrozen(s), true);
  });

  it('refuses limits a config could never produce', () => {
    assert.throws(() => makeSmtpSettings({ ...base, clientBufferBytes: 1.5 }), { code: 'ERR_INTERNAL' });
    assert.throws(() => makeSmtpSettings({ ...base, maxErrors: -1 }), { code: 'ERR_INTERNAL' });
    assert.throws(() => makeSmtpSettings({ ...base, greetingDelayMs: -5 }), { code: 'ERR_INTERNAL' });
  });

  it('builds the greeting and the HELO reply from server_name', () => {
    const s = makeSmtpSettings(base);
    assert.equal(s.greeting.toString(), '220 mx.example.com ESMTP ready\r\n');
    assert.equal(s.helo.toString(), '250 mx.example.com\r\n');
  });

  it('builds the three EHLO variants', () => {
    const s = makeSmtpSettings({ ...base, capabilities: ['PIPELINING', 'SIZE 1000'] });
    assert.equal(s.ehlo.toString(), '250-mx.example.com\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 AUTH PLAIN LOGIN\r\n');
    assert.equal(
      s.ehloStarttls.toString(),
      '250-mx.example.com\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250-AUTH PLAIN LOGIN\r\n250 STARTTLS\r\n',
    );
    assert.equal(s.ehloStarttlsOnly.toString(), '250-mx.example.com\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 STARTTLS\r\n');
  });

  it('leaves the AUTH line out when no SASL mechanism is enabled', () => {
    const s = makeSmtpSettings({ ...base, auth: { plain: false, login: false, cramMd5: false, external: false, none: true } });
    assert.equal(s.ehlo.toString(), '250 mx.example.com\r\n');
    assert.equal(s.ehloStarttls.toString(), '250-mx.example.com\r\n250 STARTTLS\r\n');
    assert.equal(s.ehloStarttlsOnly.toString(), '250-mx.example.com\r\n250 STARTTLS\r\n');
  });
});
