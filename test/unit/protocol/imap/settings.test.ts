import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeImapSettings, type ImapSettingsInput } from '../../../../src/protocol/imap/index.js';
import { ProxyError } from '../../../../src/errors.js';

const BASE: ImapSettingsInput = {
  capabilities: ['IMAP4', 'IMAP4rev1', 'UIDPLUS'],
  auth: { plain: true, login: false, cramMd5: false, external: false },
  clientBufferBytes: 4096,
  maxErrors: 5,
  starttls: 'off',
  serverName: 'mail.example.com',
};
const text = (b: Buffer): string => b.toString('latin1');

describe('makeImapSettings (nginx ngx_mail_imap_merge_srv_conf)', () => {
  it('builds the default capability line', () => {
    assert.equal(text(makeImapSettings(BASE).capability), '* CAPABILITY IMAP4 IMAP4rev1 UIDPLUS AUTH=PLAIN\r\n');
  });
  it('appends STARTTLS for starttls on', () => {
    assert.equal(text(makeImapSettings(BASE).starttlsCapability), '* CAPABILITY IMAP4 IMAP4rev1 UIDPLUS AUTH=PLAIN STARTTLS\r\n');
  });
  it('replaces the AUTH= entries by STARTTLS LOGINDISABLED for starttls only', () => {
    const s = makeImapSettings({ ...BASE, auth: { plain: true, login: true, cramMd5: true, external: true } });
    assert.equal(text(s.starttlsOnlyCapability), '* CAPABILITY IMAP4 IMAP4rev1 UIDPLUS STARTTLS LOGINDISABLED\r\n');
  });
  it('lists AUTH= entries in nginx order whatever the input order', () => {
    const s = makeImapSettings({ ...BASE, auth: { external: true, cramMd5: true, login: true, plain: false } });
    assert.equal(text(s.capability), '* CAPABILITY IMAP4 IMAP4rev1 UIDPLUS AUTH=LOGIN AUTH=CRAM-MD5 AUTH=EXTERNAL\r\n');
  });
  it('sends capability entries verbatim, spaces included', () => {
    const s = makeImapSettings({ ...BASE, capabilities: ['IMAP4rev1', 'SIZE 1000', 'ID'] });
    assert.equal(text(s.capability), '* CAPABILITY IMAP4rev1 SIZE 1000 ID AUTH=PLAIN\r\n');
  });
  it('handles no capabilities and no AUTH= entries', () => {
    const s = makeImapSettings({ ...BASE, capabilities: [], auth: { plain: false, login: false, cramMd5: false, external: false } });
    assert.equal(text(s.capability), '* CAPABILITY\r\n');
    assert.equal(text(s.starttlsOnlyCapability), '* CAPABILITY STARTTLS LOGINDISABLED\r\n');
  });
  it('keeps the plain values and freezes the result', () => {
    const s = makeImapSettings({ ...BASE, maxErrors: 0, clientBufferBytes: 64, starttls: 'only' });
    assert.equal(s.maxErrors, 0);
    assert.equal(s.clientBufferBytes, 64);
    assert.equal(s.starttls, 'only');
    assert.equal(s.serverName, 'mail.example.com');
    assert.ok(Object.isFrozen(s) && Object.isFrozen(s.auth));
  });
  it('refuses a buffer size or max_errors that cannot work', () => {
    assert.throws(() => makeImapSettings({ ...BASE, clientBufferBytes: 0 }), ProxyError);
    assert.throws(() => makeImapSettings({ ...BASE, maxErrors: -1 }), ProxyError);
    assert.throws(() => makeImapSettings({ ...BASE, clientBufferBytes: 1.5 }), ProxyError);
  });
});
