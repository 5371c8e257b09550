/**
 * Interoperability with OpenSSL's own client (`openssl s_client`): what a mail client built on OpenSSL
 * sees — protocol refusal, ALPN, SNI, RSA/ECDSA choice and client certificates.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { buildTlsContexts } from '../../../src/tls/contexts.js';
import { createTlsPort } from '../../../src/tls/upgrade.js';
import { ProxyError } from '../../../src/errors.js';
import { makeCerts, type CertSet } from '../../helpers/certs.js';
import { runCmd, type RunResult } from '../../helpers/proc.js';
import { sslConfig, startTlsServer, type TlsTestServer } from './tls-harness.js';

describe('openssl s_client against the TLS port', () => {
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
        verifyClient: 'optional',
        clientCertificate: certs.caCert,
      }),
      { protocol: 'smtp' },
    );
    server = await startTlsServer(createTlsPort(contexts), (r) => `220 ${r.info.protocol} ${r.info.verify ?? '-'}\r\n`);
  });
  after(async () => {
    await server.close();
  });

  const sClient = (args: string[]): Promise<RunResult> =>
    runCmd('openssl', ['s_client', '-ign_eof', '-connect', `127.0.0.1:${String(server.port)}`, ...args], { input: '', timeoutMs: 20_000 });
  const out = (r: RunResult): string => r.stdout.toString('utf8') + r.stderr.toString('utf8');

  it('completes a TLSv1.3 handshake and shows the server’s first line', async () => {
    const r = await sClient([]);
    assert.match(out(r), /New, TLSv1\.3, Cipher is TLS_AES_256_GCM_SHA384/);
    const o = await server.next();
    assert.ok(o.ok);
    assert.equal(o.result.info.verify, 'NONE');
  });

  it('is refused at TLSv1.1', async () => {
    const r = await sClient(['-tls1_1', '-cipher', 'DEFAULT@SECLEVEL=0']);
    assert.notEqual(r.code, 0);
    const o = await server.next();
    assert.ok(!o.ok && o.error instanceof ProxyError);
    assert.equal(o.error.message, 'SSL_do_handshake() failed (SSL: error:0A000102:SSL routines::unsupported protocol)');
  });

  it('negotiates ALPN smtp and aborts on a list without it', async () => {
    const ok = await sClient(['-alpn', 'smtp']);
    assert.match(out(ok), /ALPN protocol: smtp/);
    assert.ok((await server.next()).ok);
    const bad = await sClient(['-alpn', 'imap,pop3']);
    assert.match(out(bad), /no application protocol/);
    const o = await server.next();
    assert.ok(!o.ok && o.error instanceof ProxyError);
    assert.equal(o.error.message, 'SSL_do_handshake() failed (SSL: error:0A0000EB:SSL routines::no application protocol)');
  });

  it('sends the SNI name’s certificate', async () => {
    const r = await sClient(['-servername', certs.sniNames[1]!]);
    assert.match(out(r), new RegExp(`subject=CN = ${certs.sniNames[1]!.replace(/\./g, '\\.')}`));
    assert.ok((await server.next()).ok);
  });

  it('chooses RSA or ECDSA by the signature algorithms the client offers', async () => {
    const ec = await sClient(['-sigalgs', 'ECDSA+SHA256']);
    assert.match(out(ec), /Peer signature type: ECDSA/);
    assert.ok((await server.next()).ok);
    const rsa = await sClient(['-sigalgs', 'RSA-PSS+SHA256']);
    assert.match(out(rsa), /Peer signature type: RSA-PSS/);
    assert.ok((await server.next()).ok);
  });

  it('verifies a client certificate sent by s_client', async () => {
    const r = await sClient(['-cert', certs.client.cert, '-key', certs.client.key]);
    assert.match(out(r), /220 TLSv1\.3 SUCCESS/);
    const o = await server.next();
    assert.ok(o.ok);
    assert.equal(o.result.info.subject, 'CN=client');
  });
});
