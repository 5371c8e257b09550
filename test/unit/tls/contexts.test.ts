/**
 * Building a server's TLS contexts from its SslConfig: key passwords, `data:` values, and every loading
 * error reported in nginx's words with the file named.
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { constants } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SslConfig } from '../../../src/config/types.js';
import { buildTlsContexts } from '../../../src/tls/contexts.js';
import { nodeTlsOptions } from '../../../src/tls/secure-options.js';
import { readPasswordFile } from '../../../src/tls/pem-source.js';
import { createTlsPort } from '../../../src/tls/upgrade.js';
import { ProxyError } from '../../../src/errors.js';
import { makeCerts, type CertSet } from '../../helpers/certs.js';
import { subDir } from '../../helpers/run-dir.js';
import { sslConfig, startTlsServer, tlsClient } from './tls-harness.js';

function tlsConfigError(message: string | RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof ProxyError, `not a ProxyError: ${String(e)}`);
    assert.equal(e.code, 'ERR_TLS_CONFIG');
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  };
}

describe('TLS contexts from the configuration', () => {
  let certs: CertSet;
  let dir: string;
  let rsa: { certificate: string; key: string };
  before(async () => {
    certs = await makeCerts();
    dir = subDir('contexts');
    rsa = { certificate: certs.serverRsa.cert, key: certs.serverRsa.key };
  });

  const build = (over: Partial<SslConfig>) => buildTlsContexts(sslConfig({ certificates: [rsa], ...over }), { protocol: 'imap' });
  const file = (name: string, content: string | Buffer): string => {
    const p = join(dir, name);
    writeFileSync(p, content);
    return p;
  };

  it('decrypts a key with the passwords of ssl_password_file, trying each in turn', async () => {
    const pw = file('passwords', `wrong one\r\n\nanother wrong\n${certs.encrypted.password}\n`);
    const contexts = build({ certificates: [{ certificate: certs.encrypted.cert, key: certs.encrypted.key }], passwordFile: pw });
    const server = await startTlsServer(createTlsPort(contexts));
    const c = await tlsClient(server.port);
    assert.equal(c.secure, true);
    assert.equal(c.data, 'ok\n');
    await server.next();
    await server.close();
  });

  it('reports a key no password opens as nginx does, naming the key file', () => {
    const pw = file('bad-passwords', 'nope\nstill nope\n');
    assert.throws(
      () => build({ certificates: [{ certificate: certs.encrypted.cert, key: certs.encrypted.key }], passwordFile: pw }),
      tlsConfigError(`cannot load certificate key "${certs.encrypted.key}": PEM_read_bio_PrivateKey() failed (SSL: error:1C800064:Provider routines::bad decrypt)`),
    );
  });

  it('reads ssl_password_file as nginx: CR stripped, empty lines skipped, one empty password when none', () => {
    assert.deepEqual(readPasswordFile(file('p1', 'a\r\n\r\n\nb c\nlast')), ['a', 'b c', 'last']);
    assert.deepEqual(readPasswordFile(file('p2', '\n\n')), ['']);
    assert.throws(() => readPasswordFile(file('p3', `${'x'.repeat(5000)}\n`)), tlsConfigError(`too long line in "${join(dir, 'p3')}"`));
    assert.throws(() => readPasswordFile(join(dir, 'absent')), tlsConfigError(`open() "${join(dir, 'absent')}" failed (2: No such file or directory)`));
  });

  it('accepts data: certificates and keys', async () => {
    const contexts = build({
      certificates: [{ certificate: `data:${readFileSync(certs.serverEcdsa.cert, 'utf8')}`, key: `data:${readFileSync(certs.serverEcdsa.key, 'utf8')}` }],
    });
    const server = await startTlsServer(createTlsPort(contexts));
    const c = await tlsClient(server.port);
    assert.equal(c.cert?.asn1Curve, 'prime256v1');
    await server.next();
    await server.close();
  });

  it('never prints a data: key in an error', () => {
    assert.throws(
      () => build({ certificates: [{ certificate: certs.serverRsa.cert, key: 'data:-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n' }] }),
      (e: unknown) => e instanceof ProxyError && e.message.startsWith('cannot load certificate key "data:…": ') && !e.message.includes('c2VjcmV0'),
    );
  });

  it('names a missing or unreadable certificate and key file', () => {
    const missing = join(dir, 'missing.crt');
    assert.throws(
      () => build({ certificates: [{ certificate: missing, key: rsa.key }] }),
      tlsConfigError(`cannot load certificate "${missing}": BIO_new_file() failed (2: No such file or directory)`),
    );
    assert.throws(
      () => build({ certificates: [{ certificate: rsa.certificate, key: missing }] }),
      tlsConfigError(`cannot load certificate key "${missing}": BIO_new_file() failed (2: No such file or directory)`),
    );
    assert.throws(
      () => build({ certificates: [{ certificate: dir, key: rsa.key }] }),
      tlsConfigError(`cannot load certificate "${dir}": BIO_new_file() failed (21: Is a directory)`),
    );
  });

  it('reports a file without a certificate in OpenSSL’s words', () => {
    const junk = file('junk.crt', 'not a certificate\n');
    assert.throws(
      () => build({ certificates: [{ certificate: junk, key: rsa.key }] }),
      tlsConfigError(`cannot load certificate "${junk}": PEM_read_bio_X509_AUX() failed (SSL: error:0480006C:PEM routines::no start line:Expecting: TRUSTED CERTIFICATE)`),
    );
  });

  it('refuses a key that does not belong to its certificate, of the same type or another', () => {
    assert.throws(
      () => build({ certificates: [{ certificate: certs.serverEcdsa.cert, key: certs.client.key }] }),
      tlsConfigError(`SSL_CTX_use_PrivateKey("${certs.client.key}") failed (SSL: error:05800074:x509 certificate routines::key values mismatch)`),
    );
    assert.throws(
      () => build({ certificates: [{ certificate: rsa.certificate, key: certs.serverEcdsa.key }] }),
      tlsConfigError(/^SSL_CTX_use_PrivateKey\(".*server-ecdsa\.key"\) failed/),
    );
  });

  it('refuses engine: and store: keys, which Node.js cannot load', () => {
    assert.throws(
      () => build({ certificates: [{ certificate: rsa.certificate, key: 'engine:pkcs11:id_45' }] }),
      tlsConfigError('cannot load certificate key "engine:pkcs11:id_45": "engine:" and "store:" keys are not supported by Node.js'),
    );
  });

  it('reports bad ssl_ciphers, ssl_ecdh_curve, ssl_dhparam, ssl_crl and CA files with nginx’s function names', () => {
    assert.throws(() => build({ ciphers: 'NOPE' }), tlsConfigError('SSL_CTX_set_cipher_list("NOPE") failed (SSL: error:0A0000B9:SSL routines::no cipher match)'));
    assert.throws(() => build({ ecdhCurve: 'nope' }), tlsConfigError(/^SSL_CTX_set1_curves_list\("nope"\) failed \(SSL: /));
    const junk = file('junk.pem', 'junk\n');
    assert.throws(
      () => build({ dhparam: junk }),
      tlsConfigError(`PEM_read_bio_DHparams("${junk}") failed (SSL: error:0480006C:PEM routines::no start line:Expecting: DH PARAMETERS)`),
    );
    assert.throws(() => build({ crl: junk }), tlsConfigError(/^X509_LOOKUP_load_file\(".*junk\.pem"\) failed/));
    assert.throws(
      () => build({ verifyClient: 'on', clientCertificate: junk }),
      tlsConfigError(/^SSL_CTX_load_verify_locations\(".*junk\.pem"\) failed/),
    );
  });

  it('refuses SSLv3, which this OpenSSL cannot do, with a clear message', () => {
    assert.throws(() => build({ protocols: ['SSLv3', 'TLSv1.2'] }), tlsConfigError(/^"ssl_protocols" SSLv3 is not supported: Node\.js .* does TLSv1, TLSv1\.1, TLSv1\.2 and TLSv1\.3 only$/));
  });

  it('notes settings Node.js cannot honour as warnings', () => {
    const c = build({ certificateCompression: true, verifyClient: 'on', trustedCertificate: certs.caCert, ciphers: 'HIGH:TLS_AES_128_GCM_SHA256' });
    assert.deepEqual(c.warnings, [
      '"ssl_ciphers" entries for TLSv1.3 are ignored, as OpenSSL\'s cipher list does: HIGH:TLS_AES_128_GCM_SHA256',
      '"ssl_certificate_compression" is not supported by Node.js, ignored',
      '"ssl_trusted_certificate" CAs are also sent to clients as acceptable CA names (Node.js cannot separate them)',
    ]);
  });

  it('applies ssl_conf_command Ciphersuites to TLSv1.3 and refuses commands Node.js has no equivalent for', async () => {
    const c = build({ confCommands: [['Ciphersuites', 'TLS_CHACHA20_POLY1305_SHA256']] });
    const server = await startTlsServer(createTlsPort(c));
    const view = await tlsClient(server.port);
    const o = await server.next();
    assert.ok(o.ok);
    assert.equal(o.result.info.cipher, 'TLS_CHACHA20_POLY1305_SHA256');
    assert.equal(view.secure, true);
    await server.close();
    assert.throws(() => build({ confCommands: [['NoSuchCommand', '1']] }), tlsConfigError(/^ssl_conf_command "NoSuchCommand" is not supported/));
  });
});

describe('ssl_* scalars as Node options', () => {
  it('maps ssl_protocols to a range and switches off versions left out inside it', () => {
    const o = nodeTlsOptions(sslConfig({ protocols: ['TLSv1', 'TLSv1.2'] }));
    assert.equal(o.minVersion, 'TLSv1');
    assert.equal(o.maxVersion, 'TLSv1.2');
    assert.equal(o.secureOptions & constants.SSL_OP_NO_TLSv1_1, constants.SSL_OP_NO_TLSv1_1);
    assert.equal(o.secureOptions & constants.SSL_OP_NO_TLSv1_2, 0);
  });

  it('switches off renegotiation as nginx does, and tickets only with ssl_session_tickets off', () => {
    const on = nodeTlsOptions(sslConfig());
    assert.equal(on.secureOptions & constants.SSL_OP_NO_RENEGOTIATION, constants.SSL_OP_NO_RENEGOTIATION);
    assert.equal(on.secureOptions & constants.SSL_OP_NO_TICKET, 0);
    const off = nodeTlsOptions(sslConfig({ sessionTickets: false }));
    assert.equal(off.secureOptions & constants.SSL_OP_NO_TICKET, constants.SSL_OP_NO_TICKET);
  });

  it('keeps ssl_ciphers to TLSv1.2 and older, prefers server ciphers on request, and passes the curve list', () => {
    const o = nodeTlsOptions(sslConfig({ ciphers: 'ECDHE+AESGCM:!TLS_AES_128_GCM_SHA256', preferServerCiphers: true, ecdhCurve: 'X25519:prime256v1' }));
    assert.equal(o.ciphers, 'ECDHE+AESGCM');
    assert.equal(o.honorCipherOrder, true);
    assert.equal(o.ecdhCurve, 'X25519:prime256v1');
  });
});
