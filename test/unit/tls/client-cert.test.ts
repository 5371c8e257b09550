/**
 * Client certificates: `ssl_verify_client on|optional|optional_no_ca` against no certificate, a valid one,
 * a self-signed (untrusted) one and a revoked one — the Auth-SSL-* values and nginx's post-handshake
 * decision (reference 6.3) — plus `ssl_verify_depth` and the pure decision function.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { SslConfig } from '../../../src/config/types.js';
import { buildTlsContexts } from '../../../src/tls/contexts.js';
import { createTlsPort } from '../../../src/tls/upgrade.js';
import { certificateCheck, verifyValue, type CertificateCheck } from '../../../src/tls/client-cert.js';
import { certFields } from '../../../src/tls/cert-fields.js';
import { makeCerts, type CertSet, type KeyPair } from '../../helpers/certs.js';
import { makeExtraCerts, type ExtraCerts } from './extra-certs.js';
import { sslConfig, startTlsServer, tlsClient, type TlsTestServer } from './tls-harness.js';

type Mode = SslConfig['verifyClient'];
type Presented = 'none' | 'valid' | 'untrusted' | 'revoked';

interface Expect {
  readonly verify: string;
  readonly check: CertificateCheck;
}

const REVOKED: Expect = {
  verify: 'FAILED:certificate revoked',
  check: { reply: 'certificateError', log: 'client SSL certificate verify error: (23:certificate revoked)' },
};

describe('client certificates', () => {
  let certs: CertSet;
  let extra: ExtraCerts;
  const servers: TlsTestServer[] = [];
  before(async () => {
    certs = await makeCerts();
    extra = await makeExtraCerts(certs);
  });
  after(async () => {
    for (const s of servers) await s.close();
  });

  async function serve(over: Partial<SslConfig>): Promise<TlsTestServer> {
    const contexts = buildTlsContexts(
      sslConfig({ certificates: [{ certificate: certs.serverRsa.cert, key: certs.serverRsa.key }], ...over }),
      { protocol: 'pop3' },
    );
    const s = await startTlsServer(createTlsPort(contexts));
    servers.push(s);
    return s;
  }

  function pair(p: Presented): KeyPair | null {
    return p === 'none' ? null : p === 'valid' ? certs.client : p === 'untrusted' ? certs.clientUntrusted : certs.clientRevoked;
  }

  async function attempt(s: TlsTestServer, kp: KeyPair | null, chain?: string) {
    const c = await tlsClient(
      s.port,
      kp === null ? {} : { cert: readFileSync(chain ?? kp.cert), key: readFileSync(kp.key) },
    );
    assert.equal(c.secure, true, 'nginx verifies after the handshake, so the handshake itself succeeds');
    const o = await s.next();
    assert.ok(o.ok);
    return o.result;
  }

  // With the CA and its CRL configured: OpenSSL checks CRLs for the whole chain (X509_V_FLAG_CRL_CHECK_ALL),
  // so a self-signed certificate fails on the missing CRL of its "issuer", as it does under nginx.
  const withCrl: Record<Mode, Record<Presented, Expect>> = {
    off: {
      none: { verify: '', check: 'ok' },
      valid: { verify: '', check: 'ok' },
      untrusted: { verify: '', check: 'ok' },
      revoked: { verify: '', check: 'ok' },
    },
    on: {
      none: { verify: 'NONE', check: { reply: 'noCertificate', log: 'client sent no required SSL certificate' } },
      valid: { verify: 'SUCCESS', check: 'ok' },
      untrusted: {
        verify: 'FAILED:unable to get certificate CRL',
        check: { reply: 'certificateError', log: 'client SSL certificate verify error: (3:unable to get certificate CRL)' },
      },
      revoked: REVOKED,
    },
    optional: {
      none: { verify: 'NONE', check: 'ok' },
      valid: { verify: 'SUCCESS', check: 'ok' },
      untrusted: {
        verify: 'FAILED:unable to get certificate CRL',
        check: { reply: 'certificateError', log: 'client SSL certificate verify error: (3:unable to get certificate CRL)' },
      },
      revoked: REVOKED,
    },
    optional_no_ca: {
      none: { verify: 'NONE', check: 'ok' },
      valid: { verify: 'SUCCESS', check: 'ok' },
      untrusted: {
        verify: 'FAILED:unable to get certificate CRL',
        check: { reply: 'certificateError', log: 'client SSL certificate verify error: (3:unable to get certificate CRL)' },
      },
      revoked: REVOKED,
    },
  };

  for (const mode of ['off', 'on', 'optional', 'optional_no_ca'] as const) {
    it(`ssl_verify_client ${mode} with the CA and its CRL gives the verify result and Auth-SSL-* values for each client`, async () => {
      const s = await serve({ verifyClient: mode, clientCertificate: certs.caCert, crl: certs.crl });
      for (const presented of ['none', 'valid', 'untrusted', 'revoked'] as const) {
        const kp = pair(presented);
        const r = await attempt(s, kp);
        const want = withCrl[mode][presented];
        assert.deepEqual(r.check, want.check, `${mode}/${presented}: decision`);
        if (mode === 'off') {
          assert.equal(r.info.verify, null);
          assert.equal(r.info.subject, null);
          continue;
        }
        assert.equal(r.info.verify, want.verify, `${mode}/${presented}: Auth-SSL-Verify`);
        if (kp === null) {
          assert.deepEqual([r.info.subject, r.info.issuer, r.info.serial, r.info.fingerprint, r.info.certPem], [null, null, null, null, null]);
        } else {
          const x = new X509Certificate(readFileSync(kp.cert));
          const f = certFields(x.raw);
          assert.equal(r.info.subject, f.subject);
          assert.equal(r.info.issuer, f.issuer);
          assert.equal(r.info.serial, f.serial);
          assert.equal(r.info.fingerprint, createHash('sha1').update(x.raw).digest('hex'));
          assert.equal(r.info.certPem, readFileSync(kp.cert, 'latin1'));
        }
      }
    });
  }

  it('gives exact Auth-SSL-Subject/Issuer/Serial values for the CA-signed client', async () => {
    const s = await serve({ verifyClient: 'on', clientCertificate: certs.caCert });
    const r = await attempt(s, certs.client);
    assert.deepEqual(
      { verify: r.info.verify, subject: r.info.subject, issuer: r.info.issuer, serial: r.info.serial },
      { verify: 'SUCCESS', subject: 'CN=client', issuer: 'CN=postern test CA', serial: new X509Certificate(readFileSync(certs.client.cert)).serialNumber },
    );
    assert.equal(r.details.commonName, 'client');
  });

  it('lets optional_no_ca through a self-signed certificate, as ngx_ssl_verify_error_optional allows, but not optional', async () => {
    const noCa = await serve({ verifyClient: 'optional_no_ca', clientCertificate: certs.caCert });
    const r1 = await attempt(noCa, certs.clientUntrusted);
    assert.equal(r1.info.verify, 'FAILED:self-signed certificate');
    assert.equal(r1.check, 'ok');
    const optional = await serve({ verifyClient: 'optional', clientCertificate: certs.caCert });
    const r2 = await attempt(optional, certs.clientUntrusted);
    assert.deepEqual(r2.check, {
      reply: 'certificateError',
      log: 'client SSL certificate verify error: (18:self-signed certificate)',
    });
  });

  it('with optional_no_ca and no CA at all, accepts a certificate nobody here can verify and does not trust Node’s root store', async () => {
    const s = await serve({ verifyClient: 'optional_no_ca' });
    const r = await attempt(s, certs.client);
    assert.equal(r.info.verify, 'FAILED:unable to verify the first certificate');
    assert.equal(r.check, 'ok');
  });

  it('trusts CAs from ssl_trusted_certificate as well as ssl_client_certificate', async () => {
    const s = await serve({ verifyClient: 'on', trustedCertificate: certs.caCert });
    const r = await attempt(s, certs.client);
    assert.equal(r.info.verify, 'SUCCESS');
  });

  it('enforces ssl_verify_depth: one intermediate passes at depth 1 and fails at depth 0 with OpenSSL’s chain-too-long error', async () => {
    const depth1 = await serve({ verifyClient: 'on', clientCertificate: certs.caCert, verifyDepth: 1 });
    const ok = await attempt(depth1, extra.chainedClient, extra.chainedClient.chain);
    assert.equal(ok.info.verify, 'SUCCESS');
    assert.equal(ok.info.issuer, 'CN=postern intermediate CA,O=postern tests');
    const depth0 = await serve({ verifyClient: 'on', clientCertificate: certs.caCert, verifyDepth: 0 });
    const tooLong = await attempt(depth0, extra.chainedClient, extra.chainedClient.chain);
    assert.equal(tooLong.info.verify, 'FAILED:certificate chain too long');
    assert.deepEqual(tooLong.check, {
      reply: 'certificateError',
      log: 'client SSL certificate verify error: (22:certificate chain too long)',
    });
  });
});

describe('the certificate decision (ngx_mail_verify_cert as a value)', () => {
  it('is ok with verification off whatever happened', () => {
    assert.equal(certificateCheck('off', { kind: 'failed', code: 23, text: 'certificate revoked' }), 'ok');
    assert.equal(certificateCheck('off', { kind: 'none' }), 'ok');
  });

  it('asks for the no-certificate reply only in mode on', () => {
    assert.deepEqual(certificateCheck('on', { kind: 'none' }), {
      reply: 'noCertificate',
      log: 'client sent no required SSL certificate',
    });
    assert.equal(certificateCheck('optional', { kind: 'none' }), 'ok');
    assert.equal(certificateCheck('optional_no_ca', { kind: 'none' }), 'ok');
  });

  it('tolerates exactly nginx’s optional errors under optional_no_ca', () => {
    for (const code of [18, 19, 20, 21, 27]) {
      assert.equal(certificateCheck('optional_no_ca', { kind: 'failed', code, text: 'x' }), 'ok', String(code));
      assert.notEqual(certificateCheck('optional', { kind: 'failed', code, text: 'x' }), 'ok', String(code));
    }
    for (const code of [2, 3, 10, 22, 23, 79]) {
      assert.deepEqual(certificateCheck('optional_no_ca', { kind: 'failed', code, text: 'why' }), {
        reply: 'certificateError',
        log: `client SSL certificate verify error: (${String(code)}:why)`,
      });
    }
  });

  it('spells Auth-SSL-Verify as nginx: SUCCESS, FAILED:<reason>, NONE', () => {
    assert.equal(verifyValue({ kind: 'ok' }), 'SUCCESS');
    assert.equal(verifyValue({ kind: 'none' }), 'NONE');
    assert.equal(verifyValue({ kind: 'failed', code: 10, text: 'certificate has expired' }), 'FAILED:certificate has expired');
  });
});
