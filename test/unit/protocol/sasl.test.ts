import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  PASSWORD_PROMPT,
  USERNAME_PROMPT,
  cramMd5Challenge,
  decodeBase64Lenient,
  decodeCramMd5,
  decodeExternal,
  decodeLoginStep,
  decodePlain,
  makeSalt,
  parseSaslStart,
} from '../../../src/protocol/sasl.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const b64 = (s: string): Buffer => Buffer.from(Buffer.from(s, 'latin1').toString('base64'), 'latin1');

describe('decodeBase64Lenient (nginx ngx_decode_base64)', () => {
  it('decodes padded base64', () => {
    assert.deepEqual(decodeBase64Lenient(b('aGVsbG8=')), b('hello'));
  });
  it('accepts base64 without padding', () => {
    assert.deepEqual(decodeBase64Lenient(b('aGVsbG8')), b('hello'));
    assert.deepEqual(decodeBase64Lenient(b('aGk')), b('hi'));
  });
  it('stops at the first = and ignores everything after it, even bytes outside the alphabet', () => {
    assert.deepEqual(decodeBase64Lenient(b('aGk=%%%garbage')), b('hi'));
    assert.deepEqual(decodeBase64Lenient(b('=anything')), b(''));
  });
  it('decodes the empty string to empty', () => {
    assert.deepEqual(decodeBase64Lenient(b('')), b(''));
  });
  it('refuses a byte outside the alphabet before the first =', () => {
    assert.equal(decodeBase64Lenient(b('aGk*')), null);
    assert.equal(decodeBase64Lenient(b('*')), null);
    assert.equal(decodeBase64Lenient(b('aG k')), null);
    assert.equal(decodeBase64Lenient(b('aGk\r')), null);
  });
  it('refuses an effective length of 1 mod 4', () => {
    assert.equal(decodeBase64Lenient(b('a')), null);
    assert.equal(decodeBase64Lenient(b('aGVsb')), null);
    assert.equal(decodeBase64Lenient(b('aGVsb===')), null);
  });
  it('decodes a sub-range of a buffer', () => {
    assert.deepEqual(decodeBase64Lenient(b('xxaGVsbG8=yy'), 2, 10), b('hello'));
  });
  it('decodes every byte value', () => {
    const all = Buffer.alloc(256);
    for (let i = 0; i < 256; i++) all[i] = i;
    assert.deepEqual(decodeBase64Lenient(b(all.toString('base64'))), all);
  });
});

describe('parseSaslStart (nginx ngx_mail_auth_parse)', () => {
  it('knows the four mechanisms, case-insensitively, without an initial response', () => {
    assert.deepEqual(parseSaslStart([b('plain')]), { mech: 'plain' });
    assert.deepEqual(parseSaslStart([b('LoGiN')]), { mech: 'login' });
    assert.deepEqual(parseSaslStart([b('cram-md5')]), { mech: 'cramMd5' });
    assert.deepEqual(parseSaslStart([b('EXTERNAL')]), { mech: 'external' });
  });
  it('carries an initial response for PLAIN, LOGIN and EXTERNAL', () => {
    assert.deepEqual(parseSaslStart([b('PLAIN'), b('AGEAYg==')]), { mech: 'plainIr', ir: b('AGEAYg==') });
    assert.deepEqual(parseSaslStart([b('LOGIN'), b('dXNlcg==')]), { mech: 'loginUsername', ir: b('dXNlcg==') });
    assert.deepEqual(parseSaslStart([b('EXTERNAL'), b('=')]), { mech: 'externalIr', ir: b('=') });
  });
  it('refuses CRAM-MD5 with an initial response', () => {
    assert.deepEqual(parseSaslStart([b('CRAM-MD5'), b('x')]), { mech: 'invalid' });
  });
  it('refuses unknown mechanisms, no mechanism and too many arguments', () => {
    assert.deepEqual(parseSaslStart([]), { mech: 'invalid' });
    assert.deepEqual(parseSaslStart([b('XOAUTH2')]), { mech: 'invalid' });
    assert.deepEqual(parseSaslStart([b('DIGEST-MD5')]), { mech: 'invalid' });
    assert.deepEqual(parseSaslStart([b('PLAIN'), b('a'), b('b')]), { mech: 'invalid' });
    assert.deepEqual(parseSaslStart([b('LOGIN'), b('a'), b('b')]), { mech: 'invalid' });
    assert.deepEqual(parseSaslStart([b('EXTERNAL'), b('a'), b('b')]), { mech: 'invalid' });
  });
});

describe('decodePlain (nginx ngx_mail_auth_plain)', () => {
  it('drops the authzid and returns authcid and password', () => {
    const r = decodePlain(b64('admin\0alice\0s3cret'));
    assert.deepEqual(r, { ok: true, login: b('alice'), password: b('s3cret') });
  });
  it('accepts an empty authcid and an empty password', () => {
    assert.deepEqual(decodePlain(b64('\0\0')), { ok: true, login: b(''), password: b('') });
  });
  it('keeps NUL bytes after the second NUL in the password', () => {
    assert.deepEqual(decodePlain(b64('\0u\0p\0q')), { ok: true, login: b('u'), password: b('p\0q') });
  });
  it('logs invalid base64', () => {
    assert.deepEqual(decodePlain(b('*')), { ok: false, log: 'client sent invalid base64 encoding in AUTH PLAIN command' });
  });
  it('logs an invalid login when there is no NUL or the only NUL is last', () => {
    const log = 'client sent invalid login in AUTH PLAIN command';
    assert.deepEqual(decodePlain(b64('alice')), { ok: false, log });
    assert.deepEqual(decodePlain(b64('alice\0')), { ok: false, log });
    assert.deepEqual(decodePlain(b('')), { ok: false, log });
  });
  it('logs an invalid password when the second NUL is missing', () => {
    assert.deepEqual(decodePlain(b64('\0alice')), { ok: false, log: 'client sent invalid password in AUTH PLAIN command' });
  });
});

describe('decodeLoginStep (nginx ngx_mail_auth_login_username/password)', () => {
  it('decodes one step', () => {
    assert.deepEqual(decodeLoginStep(b64('alice')), b('alice'));
    assert.deepEqual(decodeLoginStep(b('')), b(''));
  });
  it('logs invalid base64, which is how the SASL cancel * ends', () => {
    assert.deepEqual(decodeLoginStep(b('*')), { log: 'client sent invalid base64 encoding in AUTH LOGIN command' });
  });
  it('has the Username: and Password: prompts in base64', () => {
    assert.equal(Buffer.from(USERNAME_PROMPT.toString('latin1'), 'base64').toString('latin1'), 'Username:');
    assert.equal(Buffer.from(PASSWORD_PROMPT.toString('latin1'), 'base64').toString('latin1'), 'Password:');
  });
});

describe('decodeCramMd5 (nginx ngx_mail_auth_cram_md5)', () => {
  const digest = '0123456789abcdef0123456789abcdef';
  it('splits at the first space and takes a 32-byte digest as the password', () => {
    assert.deepEqual(decodeCramMd5(b64(`alice ${digest}`)), { ok: true, login: b('alice'), password: b(digest) });
  });
  it('does not check that the digest is hex', () => {
    const notHex = 'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz!';
    assert.deepEqual(decodeCramMd5(b64(`bob ${notHex}`)), { ok: true, login: b('bob'), password: b(notHex) });
  });
  it('splits at the first space only, so a digest with a space in it is measured whole', () => {
    assert.deepEqual(decodeCramMd5(b64(`a b${digest.slice(1)}`)), { ok: true, login: b('a'), password: b(`b${digest.slice(1)}`) });
  });
  it('logs a hash of the wrong length or a missing space, keeping what nginx took as the login', () => {
    const log = 'client sent invalid CRAM-MD5 hash in AUTH CRAM-MD5 command';
    assert.deepEqual(decodeCramMd5(b64(`alice ${digest}0`)), { ok: false, log, login: b('alice') });
    assert.deepEqual(decodeCramMd5(b64('alice')), { ok: false, log, login: b('alice') });
  });
  it('logs invalid base64', () => {
    assert.deepEqual(decodeCramMd5(b('*')), { ok: false, log: 'client sent invalid base64 encoding in AUTH CRAM-MD5 command' });
  });
});

describe('decodeExternal (nginx ngx_mail_auth_external)', () => {
  it('takes the identity as the login with an empty password', () => {
    assert.deepEqual(decodeExternal(b64('alice')), { ok: true, login: b('alice'), password: b('') });
  });
  it('accepts = as the empty identity', () => {
    assert.deepEqual(decodeExternal(b('=')), { ok: true, login: b(''), password: b('') });
  });
  it('logs invalid base64', () => {
    assert.deepEqual(decodeExternal(b('*')), { ok: false, log: 'client sent invalid base64 encoding in AUTH EXTERNAL command' });
  });
});

describe('makeSalt and cramMd5Challenge (nginx ngx_mail_salt)', () => {
  it('formats <random.time@server_name> with a trailing CRLF', () => {
    assert.deepEqual(makeSalt(1804289383, 1724230000, 'mail.example.com'), b('<1804289383.1724230000@mail.example.com>\r\n'));
  });
  it('prints the random value as an unsigned 32-bit number and the time as whole seconds', () => {
    assert.deepEqual(makeSalt(-1, 1724230000.9, 'x'), b('<4294967295.1724230000@x>\r\n'));
  });
  it('makes the challenge from the salt without its CRLF', () => {
    const salt = makeSalt(1, 2, 'h');
    assert.equal(cramMd5Challenge(salt).toString('latin1'), Buffer.from('<1.2@h>').toString('base64'));
  });
});
