/**
 * TLS handshakes through the session's TLS port on 127.0.0.1: certificate choice (RSA/ECDSA by the
 * client's signature algorithms, per-name by SNI), protocol limits, nginx's ALPN rule, cipher names, and
 * how failed handshakes are reported (nginx's log text and level).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect as netConnect } from 'node:net';
import { buildTlsContexts } from '../../../src/tls/contexts.js';
import { createTlsPort } from '../../../src/tls/upgrade.js';
import { handshakeLogOf } from '../../../src/tls/handshake-error.js';
import { ProxyError } from '../../../src/errors.js';
import { makeCerts, type CertSet } from '../../helpers/certs.js';
import { sslConfig, startTlsServer, tlsClient, type Outcome, type TlsTestServer } from './tls-harness.js';

function failure(o: Outcome): ProxyError {
  assert.ok(!o.ok && o.error instanceof ProxyError, 'the upgrade should have failed with a ProxyError');
  return o.error;
}

describe('TLS handshakes through the TLS port', () => {
  let certs: CertSet;
  let server: TlsTestServer;
  before(async () => {
    certs = await makeCerts();
    const contexts = buildTlsContexts(
      sslConfig({
        certificates: [
          { certificate: certs.serverRsa.cert, key: certs.serverRsa.key },
          { certificate: certs.serverEcdsa.cert, key: certs.serverEcdsa.key },
        ],
        sniCertificates: certs.sniNames.map((n) => ({ serverName: n, pair: { certificate: certs.sni[n]!.cert, key: certs.sni[n]!.key } })),
        dhparam: certs.dhparam,
      }),
      { protocol: 'imap' },
    );
    server = await startTlsServer(createTlsPort(contexts));
  });
  after(async () => {
    await server.close();
  });

  it('serves the ECDSA certificate to a client that only verifies ECDSA signatures, and RSA to one that only verifies RSA', async () => {
    for (const maxVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
      const ec = await tlsClient(server.port, { sigalgs: 'ecdsa_secp256r1_sha256', maxVersion });
      assert.equal(ec.secure, true);
      assert.equal(ec.cert?.asn1Curve, 'prime256v1', `${maxVersion}: ECDSA certificate`);
      assert.equal((await server.next()).ok, true);
      const rsa = await tlsClient(server.port, { sigalgs: 'rsa_pss_rsae_sha256:rsa_pkcs1_sha256', maxVersion });
      assert.equal(rsa.secure, true);
      assert.equal(rsa.cert?.bits, 2048, `${maxVersion}: RSA certificate`);
      assert.equal((await server.next()).ok, true);
    }
  });

  it('reports the protocol and OpenSSL’s cipher name for Auth-SSL-Protocol and Auth-SSL-Cipher', async () => {
    const c12 = await tlsClient(server.port, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES256-GCM-SHA384' });
    const o12 = await server.next();
    assert.ok(o12.ok);
    assert.equal(o12.result.info.protocol, 'TLSv1.2');
    assert.equal(o12.result.info.cipher, 'ECDHE-RSA-AES256-GCM-SHA384');
    assert.equal(c12.data, 'ok\n');
    await tlsClient(server.port, { minVersion: 'TLSv1.3', ciphers: 'TLS_CHACHA20_POLY1305_SHA256' });
    const o13 = await server.next();
    assert.ok(o13.ok);
    assert.equal(o13.result.info.protocol, 'TLSv1.3');
    assert.equal(o13.result.info.cipher, 'TLS_CHACHA20_POLY1305_SHA256');
    assert.deepEqual(
      { verify: o13.result.info.verify, subject: o13.result.info.subject, pem: o13.result.info.certPem },
      { verify: null, subject: null, pem: null },
    );
    assert.equal(o13.result.check, 'ok');
  });

  it('uses ssl_dhparam for DHE ciphers', async () => {
    const c = await tlsClient(server.port, { maxVersion: 'TLSv1.2', ciphers: 'DHE-RSA-AES128-GCM-SHA256' });
    assert.equal(c.secure, true);
    const o = await server.next();
    assert.ok(o.ok);
    assert.equal(o.result.info.cipher, 'DHE-RSA-AES128-GCM-SHA256');
  });

  it('picks the certificate of an SNI name exactly and case-insensitively, and the default for unknown or no names', async () => {
    const [mail, smtp] = certs.sniNames;
    const cases: [string | undefined, string][] = [
      [mail, mail!],
      [mail!.toUpperCase(), mail!],
      [smtp, smtp!],
      ['other.postern.test', 'localhost'],
      [`x.${mail!}`, 'localhost'],
      [undefined, 'localhost'],
    ];
    for (const [name, cn] of cases) {
      const c = await tlsClient(server.port, name === undefined ? {} : { servername: name });
      assert.equal(c.cert?.subject.CN, cn, `SNI ${String(name)}`);
      const o = await server.next();
      assert.ok(o.ok);
      assert.equal(o.result.details.serverName, name ?? null);
    }
  });

  it('accepts clients that offer no ALPN and selects the protocol’s id when offered', async () => {
    const none = await tlsClient(server.port);
    assert.equal(none.secure, true);
    assert.equal(none.alpn, false);
    const noneServer = await server.next();
    assert.ok(noneServer.ok);
    assert.equal(noneServer.result.details.alpn, null);
    const offered = await tlsClient(server.port, { ALPNProtocols: ['h2', 'imap'] });
    assert.equal(offered.alpn, 'imap');
    const o = await server.next();
    assert.ok(o.ok);
    assert.equal(o.result.details.alpn, 'imap');
  });

  it('aborts the handshake with no_application_protocol when the client’s ALPN list lacks the id', async () => {
    const c = await tlsClient(server.port, { ALPNProtocols: ['pop3', 'smtp'] });
    assert.equal(c.secure, false);
    assert.equal(c.error?.code, 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL');
    const err = failure(await server.next());
    assert.equal(err.code, 'ERR_TLS_HANDSHAKE');
    assert.equal(err.message, 'SSL_do_handshake() failed (SSL: error:0A0000EB:SSL routines::no application protocol)');
    assert.deepEqual(handshakeLogOf(err), { level: 'info', message: err.message });
  });

  it('refuses a TLSv1.1 client when only TLSv1.2 and TLSv1.3 are enabled', async () => {
    const c = await tlsClient(server.port, { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' });
    assert.equal(c.secure, false);
    const err = failure(await server.next());
    assert.equal(err.message, 'SSL_do_handshake() failed (SSL: error:0A000102:SSL routines::unsupported protocol)');
    assert.equal(handshakeLogOf(err).level, 'info');
  });

  it('reports plaintext sent to a TLS port as nginx does', async () => {
    const s = netConnect(server.port, '127.0.0.1', () => s.write('a001 CAPABILITY\r\n'));
    s.on('error', () => undefined);
    const err = failure(await server.next());
    assert.equal(err.message, 'SSL_do_handshake() failed (SSL: error:0A00010B:SSL routines::wrong version number)');
    assert.equal(handshakeLogOf(err).level, 'info');
    s.destroy();
  });

  it('reports a client that leaves in the middle of the handshake as peer closed', async () => {
    const s = netConnect(server.port, '127.0.0.1', () => {
      s.end(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x40, 0x01]));
    });
    s.on('error', () => undefined);
    const err = failure(await server.next());
    assert.deepEqual(handshakeLogOf(err), { level: 'info', message: 'peer closed connection in SSL handshake' });
  });
});
