/**
 * Every Auth-Method against every password scheme, through the node:net listener and the uWS
 * listener, with hashes made by doveadm pw and openssl passwd in the test.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { ask, authLines, exchange, authRequest, makeHash, opensslCrypt, sequential, startFixture, type Fixture } from './fixture.js';

const PW = 'pé w%1'; // a space and % are escaped by the proxy; é travels as raw UTF-8
/** what a latin1 reading of the answer shows for PW's UTF-8 bytes */
const PW_WIRE = Buffer.from(PW).toString('latin1');
const OK_IMAP = ['Auth-Status: OK', 'Auth-Server: 127.0.0.1', 'Auth-Port: 1143'];
const FAIL_IMAP = ['Auth-Status: [AUTHENTICATIONFAILED] Authentication failed.'];
const SCHEMES = ['PLAIN', 'SHA512-CRYPT', 'SHA256-CRYPT', 'BLF-CRYPT', 'ARGON2ID', 'SSHA512'] as const;

let fx: Fixture;
let tokenHash = '';

before(async () => {
  const users: string[] = [];
  for (const s of SCHEMES) users.push(`${s.toLowerCase()}@x.test:${await makeHash(s, PW)}`);
  // crypt strings from openssl, stored without a {SCHEME} prefix (detected as Dovecot's CRYPT does)
  users.push(`openssl6@x.test:${await opensslCrypt('6', PW)}`);
  users.push(`openssl5@x.test:${await opensslCrypt('5', PW)}`);
  tokenHash = await makeHash('SSHA512', 'tok-123');
  users.push(`cert@x.test:{PLAIN}unused::::::cert_fingerprint=AB:CD:EF pass=backend-secret`);
  users.push(`cn@x.test:{PLAIN}cn-pass`);
  users.push(`oauth@x.test:{PLAIN}x::::::token=${tokenHash}`);
  users.push(`routed@x.test:{PLAIN}r::::::imap=[::1]:993 destuser=real-routed pass=bp`);
  users.push(`locked@x.test:{PLAIN}pw::::::nologin`);
  fx = await startFixture(users, 'throttle off;\ndomain x.test imap=127.0.0.1:1143 pop3=127.0.0.1:1110 smtp=127.0.0.1:1025;');
});
after(() => fx.close());

describe('plain (LOGIN, USER/PASS, SASL PLAIN and LOGIN)', () => {
  for (const s of SCHEMES) {
    test(`a ${s} password logs in and a wrong one fails`, async () => {
      assert.deepEqual(await ask(fx.raw, { user: `${s.toLowerCase()}@x.test`, pass: PW }), OK_IMAP);
      assert.deepEqual(await ask(fx.raw, { user: `${s.toLowerCase()}@x.test`, pass: `${PW}x` }), FAIL_IMAP);
    });
  }
  for (const v of ['5', '6']) {
    test(`an openssl passwd -${v} string without a scheme prefix is detected and checked`, async () => {
      assert.deepEqual(await ask(fx.raw, { user: `openssl${v}@x.test`, pass: PW }), OK_IMAP);
      assert.deepEqual(await ask(fx.raw, { user: `openssl${v}@x.test`, pass: 'nope' }), FAIL_IMAP);
    });
  }
  test('the login is folded to lowercase before lookup', async () => {
    assert.deepEqual(await ask(fx.raw, { user: 'PLAIN@X.test', pass: PW }), OK_IMAP);
  });
  test('an unknown user fails like a wrong password', async () => {
    assert.deepEqual(await ask(fx.raw, { user: 'nobody@x.test', pass: PW }), FAIL_IMAP);
  });
  test('a nologin account fails even with the right password', async () => {
    assert.deepEqual(await ask(fx.raw, { user: 'locked@x.test', pass: 'pw' }), FAIL_IMAP);
  });
  test('each protocol gets its own backend and failure text, SMTP with Auth-Error-Code', async () => {
    assert.deepEqual(await ask(fx.raw, { user: 'plain@x.test', pass: PW, protocol: 'pop3' }), [
      'Auth-Status: OK', 'Auth-Server: 127.0.0.1', 'Auth-Port: 1110',
    ]);
    assert.deepEqual(await ask(fx.raw, { user: 'plain@x.test', pass: 'bad', protocol: 'pop3' }), [
      'Auth-Status: [AUTH] Authentication failed.',
    ]);
    assert.deepEqual(await ask(fx.raw, { user: 'plain@x.test', pass: 'bad', protocol: 'smtp' }), [
      'Auth-Status: Authentication credentials invalid', 'Auth-Error-Code: 535 5.7.8',
    ]);
  });
  test('a user record routes to its own backend (IPv6 without brackets) with destuser and pass', async () => {
    assert.deepEqual(await ask(fx.raw, { user: 'routed@x.test', pass: 'r' }), [
      'Auth-Status: OK', 'Auth-Server: ::1', 'Auth-Port: 993', 'Auth-User: real-routed', 'Auth-Pass: bp',
    ]);
  });
  test('the uWebSockets.js listener gives the same answers over HTTP/1.1 keep-alive', async () => {
    const res = await sequential(fx.uws, [
      authRequest({ user: 'sha512-crypt@x.test', pass: PW, version: '1.1' }),
      authRequest({ user: 'sha512-crypt@x.test', pass: 'bad', version: '1.1' }),
    ]);
    assert.deepEqual(res.answers.map(authLines), [OK_IMAP, FAIL_IMAP]);
    assert.equal(res.closed, false, 'the connection stays open');
  });
  test('a password ending in a non-ASCII character works on the node:net listener but not on uWS (it trims such bytes)', async () => {
    const users = await startFixture(['tail@x.test:{PLAIN}abcé'], 'throttle off;\ndomain x.test imap=127.0.0.1:1143;');
    try {
      assert.deepEqual(await ask(users.raw, { user: 'tail@x.test', pass: 'abcé' }), OK_IMAP);
      const res = await exchange(users.uws, authRequest({ user: 'tail@x.test', pass: 'abcé', version: '1.1' }), { untilBlank: true });
      assert.deepEqual(authLines(res.text), FAIL_IMAP);
    } finally {
      await users.close();
    }
  });
});

describe('apop and cram-md5 (the backend needs the cleartext password back)', () => {
  const salt = '<1896.697170952@postern.test>';
  test('APOP: the MD5 digest of salt and password logs in and Auth-Pass carries the password', async () => {
    const digest = createHash('md5').update(salt + PW).digest('hex');
    assert.deepEqual(
      await ask(fx.raw, { method: 'apop', user: 'plain@x.test', pass: digest, salt, protocol: 'pop3' }),
      ['Auth-Status: OK', 'Auth-Server: 127.0.0.1', 'Auth-Port: 1110', `Auth-Pass: ${PW_WIRE}`],
    );
    assert.deepEqual(
      await ask(fx.raw, { method: 'apop', user: 'plain@x.test', pass: 'f'.repeat(32), salt, protocol: 'pop3' }),
      ['Auth-Status: [AUTH] Authentication failed.'],
    );
  });
  test('CRAM-MD5: the HMAC-MD5 of the challenge logs in (uppercase hex too) and Auth-Pass carries the password', async () => {
    const digest = createHmac('md5', PW).update(salt).digest('hex').toUpperCase();
    assert.deepEqual(await ask(fx.raw, { method: 'cram-md5', user: 'plain@x.test', pass: digest, salt }), [
      ...OK_IMAP, `Auth-Pass: ${PW_WIRE}`,
    ]);
  });
  for (const s of SCHEMES.filter((x) => x !== 'PLAIN')) {
    test(`APOP and CRAM-MD5 fail for a ${s} password (no cleartext to compute the digest)`, async () => {
      const digest = createHash('md5').update(salt + PW).digest('hex');
      assert.deepEqual(await ask(fx.raw, { method: 'apop', user: `${s.toLowerCase()}@x.test`, pass: digest, salt }), FAIL_IMAP);
      const hmac = createHmac('md5', PW).update(salt).digest('hex');
      assert.deepEqual(await ask(fx.raw, { method: 'cram-md5', user: `${s.toLowerCase()}@x.test`, pass: hmac, salt }), FAIL_IMAP);
    });
  }
});

describe('external (client certificate verified by the proxy)', () => {
  test('a verified certificate with the stored fingerprint logs in, with the backend password', async () => {
    assert.deepEqual(
      await ask(fx.raw, {
        method: 'external',
        user: 'cert@x.test',
        extra: [['Auth-SSL', 'on'], ['Auth-SSL-Verify', 'SUCCESS'], ['Auth-SSL-Subject', 'CN=someone'], ['Auth-SSL-Fingerprint', 'abcdef']],
      }),
      [...OK_IMAP, 'Auth-Pass: backend-secret'],
    );
  });
  test('a certificate that failed verification, or another fingerprint, is refused', async () => {
    const base = [['Auth-SSL', 'on'], ['Auth-SSL-Subject', 'CN=cert@x.test']] as const;
    assert.deepEqual(
      await ask(fx.raw, { method: 'external', user: 'cert@x.test', extra: [...base, ['Auth-SSL-Verify', 'FAILED:self signed'], ['Auth-SSL-Fingerprint', 'abcdef']] }),
      FAIL_IMAP,
    );
    assert.deepEqual(
      await ask(fx.raw, { method: 'external', user: 'cert@x.test', extra: [...base, ['Auth-SSL-Verify', 'SUCCESS'], ['Auth-SSL-Fingerprint', '012345']] }),
      FAIL_IMAP,
    );
  });
  test('with no Auth-User the certificate CN is the login', async () => {
    assert.deepEqual(
      await ask(fx.raw, { method: 'external', extra: [['Auth-SSL-Verify', 'SUCCESS'], ['Auth-SSL-Subject', 'CN=cn@x.test,O=Org']] }),
      [...OK_IMAP, 'Auth-Pass: cn-pass'],
    );
  });
});

describe('xoauth2 and oauthbearer (per-user tokens)', () => {
  for (const method of ['xoauth2', 'oauthbearer']) {
    test(`${method}: the stored token logs in and is passed on as Auth-Pass; another token fails`, async () => {
      assert.deepEqual(await ask(fx.raw, { method, user: 'oauth@x.test', pass: 'tok-123' }), [...OK_IMAP, 'Auth-Pass: tok-123']);
      assert.deepEqual(await ask(fx.raw, { method, user: 'oauth@x.test', pass: 'tok-124' }), FAIL_IMAP);
      assert.deepEqual(await ask(fx.raw, { method, user: 'plain@x.test', pass: PW }), FAIL_IMAP);
    });
  }
});

describe('none (SMTP without AUTH)', () => {
  test('mail is routed by the recipient domain', async () => {
    const lines = await ask(fx.raw, {
      method: 'none',
      protocol: 'smtp',
      extra: [['Client-Host', '[UNAVAILABLE]'], ['Auth-SMTP-Helo', 'c.test'], ['Auth-SMTP-From', 'MAIL FROM:<a@b.test>'], ['Auth-SMTP-To', 'RCPT TO:<bob@X.test> NOTIFY=NEVER']],
    });
    assert.deepEqual(lines, ['Auth-Status: OK', 'Auth-Server: 127.0.0.1', 'Auth-Port: 1025']);
  });
  test('mail for an unknown domain with no default smtp backend gets a temporary failure', async () => {
    const lines = await ask(fx.raw, { method: 'none', protocol: 'smtp', extra: [['Auth-SMTP-To', 'RCPT TO:<bob@elsewhere.test>']] });
    assert.deepEqual(lines, ['Auth-Status: Temporary authentication failure', 'Auth-Error-Code: 454 4.7.0']);
  });
});
