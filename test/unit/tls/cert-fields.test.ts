/**
 * Auth-SSL-Subject / Issuer / Serial / Fingerprint formatting, checked against what the openssl CLI prints
 * for the same certificates (`openssl x509 -nameopt RFC2253`), which is what nginx sends.
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { certFields, formatSerial } from '../../../src/tls/cert-fields.js';
import { derToPem } from '../../../src/tls/client-cert.js';
import { makeCerts, type CertSet } from '../../helpers/certs.js';
import { runOk } from '../../helpers/proc.js';
import { makeExtraCerts, type ExtraCerts } from './extra-certs.js';

async function opensslField(certPath: string, flag: '-subject' | '-issuer' | '-serial' | '-fingerprint'): Promise<string> {
  const args = ['x509', '-in', certPath, '-noout', flag];
  if (flag === '-subject' || flag === '-issuer') args.push('-nameopt', 'RFC2253');
  if (flag === '-fingerprint') args.push('-sha1');
  const r = await runOk('openssl', args, { timeoutMs: 30_000 });
  const line = r.stdout.toString('utf8').replace(/\n$/, '');
  return line.slice(line.indexOf('=') + 1);
}

function der(path: string): Buffer {
  return new X509Certificate(readFileSync(path)).raw;
}

describe('certificate fields in OpenSSL formats', () => {
  let certs: CertSet;
  let extra: ExtraCerts;
  before(async () => {
    certs = await makeCerts();
    extra = await makeExtraCerts(certs);
  });

  it('formats subject and issuer exactly as openssl x509 -nameopt RFC2253 does, escapes included', async () => {
    for (const path of [extra.oddClient.cert, certs.client.cert, certs.caCert, extra.chainedClient.cert, certs.serverRsa.cert]) {
      const f = certFields(der(path));
      assert.equal(f.subject, await opensslField(path, '-subject'), `subject of ${path}`);
      assert.equal(f.issuer, await opensslField(path, '-issuer'), `issuer of ${path}`);
    }
  });

  it('puts the last RDN first, joins a multi-valued RDN with + and escapes OpenSSL’s way', () => {
    const f = certFields(der(extra.oddClient.cert));
    assert.equal(
      f.subject,
      'emailAddress=j@example.org,CN=J\\C3\\B6rg \\"J\\" \\<j@x\\>\\;\\+1\\\\z,UID=42+OU=Mail,O=Org\\, Inc.,L=\\#hash,ST=\\ spaced\\ ,C=DE',
    );
    assert.equal(f.issuer, 'CN=postern test CA');
    assert.equal(f.commonName, 'J\u00f6rg "J" <j@x>;+1\\z');
  });

  it('prints the serial in uppercase hex without the DER sign byte, as openssl x509 -serial does', async () => {
    const f = certFields(der(extra.oddClient.cert));
    assert.equal(f.serial, '8F00112233');
    assert.equal(f.serial, await opensslField(extra.oddClient.cert, '-serial'));
    assert.equal(certFields(der(certs.client.cert)).serial, await opensslField(certs.client.cert, '-serial'));
  });

  it('handles zero, negative and padded serials as i2a_ASN1_INTEGER', () => {
    assert.equal(formatSerial(Uint8Array.of(0x00)), '00');
    assert.equal(formatSerial(Uint8Array.of()), '00');
    assert.equal(formatSerial(Uint8Array.of(0x00, 0x80)), '80');
    assert.equal(formatSerial(Uint8Array.of(0xff)), '-01');
    assert.equal(formatSerial(Uint8Array.of(0xff, 0x7f)), '-81');
    assert.equal(formatSerial(Uint8Array.of(0x12, 0x34)), '1234');
  });

  it('gives the SHA-1 fingerprint in lowercase hex without colons, matching openssl', async () => {
    const raw = der(certs.client.cert);
    const ours = createHash('sha1').update(raw).digest('hex');
    const theirs = (await opensslField(certs.client.cert, '-fingerprint')).replace(/:/g, '').toLowerCase();
    assert.equal(ours, theirs);
  });

  it('writes the PEM with 64-character lines, as PEM_write_bio_X509', () => {
    const raw = der(certs.client.cert);
    const pem = derToPem(raw);
    assert.ok(pem.startsWith('-----BEGIN CERTIFICATE-----\n'));
    assert.ok(pem.endsWith('\n-----END CERTIFICATE-----\n'));
    for (const line of pem.split('\n').slice(1, -2)) assert.ok(line.length <= 64);
    assert.deepEqual(new X509Certificate(pem).raw, raw);
    assert.equal(pem, readFileSync(certs.client.cert, 'latin1'));
  });
});
