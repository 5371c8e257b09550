// The test certificates of test/helpers/certs.ts load into Node's TLS and behave as named: SNI picks
// the right certificate, the CA-signed client certificate is accepted, the revoked one is refused by
// the CRL, the self-signed one is refused, and the encrypted key opens with its password.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import {
  createSecureContext,
  createServer,
  connect,
  type ConnectionOptions,
  type Server,
  type TLSSocket,
} from 'node:tls';
import { makeCerts, readPem, type CertSet } from '../../helpers/certs.js';

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : 0);
    });
  });
}

/** Connects, reads the server's one-line verdict, and closes. */
function handshake(
  port: number,
  opts: ConnectionOptions,
): Promise<{ reply: string; cn: string; error: string }> {
  return new Promise((resolve) => {
    const s: TLSSocket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...opts });
    s.setTimeout(5_000, () => s.destroy(new Error('timeout')));
    // TLS 1.3: a client certificate is judged after the client's side of the handshake completes,
    // so wait for the server's verdict line.
    s.once('data', (b: Buffer) => {
      const cn = String(s.getPeerCertificate().subject.CN);
      s.destroy();
      resolve({ reply: b.toString(), cn, error: '' });
    });
    s.once('error', (err: Error) => {
      resolve({ reply: '', cn: '', error: err.message });
    });
    s.once('close', () => {
      resolve({ reply: '', cn: '', error: 'closed' });
    });
  });
}

describe('test certificates', () => {
  let c: CertSet;
  let server: Server;
  let port: number;

  before(async () => {
    c = await makeCerts();
    server = createServer(
      {
        cert: readPem(c.serverRsa.cert),
        key: readPem(c.serverRsa.key),
        ca: readPem(c.caCert),
        crl: readPem(c.crl),
        requestCert: true,
        rejectUnauthorized: false,
        SNICallback: (name, cb) => {
          const pair = c.sni[name];
          const ctx = pair
            ? createSecureContext({
                cert: readPem(pair.cert),
                key: readPem(pair.key),
                ca: readPem(c.caCert),
                crl: readPem(c.crl),
              })
            : undefined;
          cb(null, ctx);
        },
      },
      (s) => {
        s.on('error', () => undefined);
        // The verdict on the client certificate (verified against the CA and the CRL).
        s.end(s.authorized ? 'authorized\n' : `refused ${String(s.authorizationError)}\n`);
      },
    );
    port = await listen(server);
  });
  after(() => {
    server.close();
  });

  it('is the same set on a second call (cached per process)', async () => {
    assert.equal(await makeCerts(), c);
  });

  it('loads every pair, the CRL, the DH parameters and the encrypted key into TLS contexts', () => {
    for (const pair of [
      c.serverRsa,
      c.serverEcdsa,
      c.client,
      c.clientRevoked,
      c.clientUntrusted,
      ...Object.values(c.sni),
    ]) {
      createSecureContext({ cert: readPem(pair.cert), key: readPem(pair.key) });
    }
    createSecureContext({ ca: readPem(c.caCert), crl: readPem(c.crl), dhparam: readPem(c.dhparam) });
    createSecureContext({
      cert: readPem(c.encrypted.cert),
      key: readPem(c.encrypted.key),
      passphrase: readFileSync(c.encrypted.passwordFile, 'utf8').trim(),
    });
    assert.throws(() =>
      createSecureContext({
        cert: readPem(c.encrypted.cert),
        key: readPem(c.encrypted.key),
        passphrase: 'wrong',
      }),
    );
    assert.match(readFileSync(c.serverEcdsa.key, 'latin1'), /^-----BEGIN PRIVATE KEY-----/);
    assert.match(readFileSync(c.dhparam, 'latin1'), /^-----BEGIN DH PARAMETERS-----/);
  });

  it('serves the SNI certificate for each SNI name and the default one otherwise', async () => {
    for (const name of c.sniNames) {
      const r = await handshake(port, {
        servername: name,
        cert: readPem(c.client.cert),
        key: readPem(c.client.key),
      });
      assert.deepEqual(r, { reply: 'authorized\n', cn: name, error: '' });
    }
    const d = await handshake(port, {
      servername: 'localhost',
      cert: readPem(c.client.cert),
      key: readPem(c.client.key),
    });
    assert.equal(d.cn, 'localhost');
  });

  it('verifies the server certificate for localhost against the CA', async () => {
    const r = await handshake(port, {
      servername: 'localhost',
      ca: readPem(c.caCert),
      rejectUnauthorized: true,
      cert: readPem(c.client.cert),
      key: readPem(c.client.key),
    });
    assert.equal(r.reply, 'authorized\n', r.error);
  });

  it('accepts the CA-signed client certificate and refuses the revoked and the untrusted ones', async () => {
    const good = await handshake(port, { cert: readPem(c.client.cert), key: readPem(c.client.key) });
    assert.equal(good.reply, 'authorized\n', good.error);
    const revoked = await handshake(port, {
      cert: readPem(c.clientRevoked.cert),
      key: readPem(c.clientRevoked.key),
    });
    assert.equal(revoked.reply, 'refused CERT_REVOKED\n', revoked.error);
    const untrusted = await handshake(port, {
      cert: readPem(c.clientUntrusted.cert),
      key: readPem(c.clientUntrusted.key),
    });
    // OpenSSL reports the missing CRL of the unknown issuer before the self-signature.
    assert.match(
      untrusted.reply,
      /^refused (UNABLE_TO_GET_CRL|DEPTH_ZERO_SELF_SIGNED_CERT)\n$/,
      untrusted.error,
    );
    const none = await handshake(port, {});
    assert.equal(none.reply, 'refused UNABLE_TO_GET_ISSUER_CERT\n', none.error);
  });
});
