/**
 * Certificates the TLS tests need beyond test/helpers/certs.ts, made with the openssl CLI and signed by
 * that set's CA: a client certificate whose subject needs every kind of RFC 2253 escaping (multi-valued
 * RDN, `,+"<>;\`, a leading `#`, leading and trailing spaces, UTF-8) and whose serial has its high bit set;
 * and an intermediate CA with a client certificate under it (for `ssl_verify_depth`).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runOk } from '../../helpers/proc.js';
import { subDir } from '../../helpers/run-dir.js';
import type { CertSet, KeyPair } from '../../helpers/certs.js';

export interface ExtraCerts {
  /** subject with escapes, serial 0x8F00112233 */
  readonly oddClient: KeyPair;
  readonly intermediateCa: KeyPair;
  /** signed by `intermediateCa`; `chain` is leaf + intermediate in one PEM file */
  readonly chainedClient: KeyPair & { readonly chain: string };
}

export const ODD_SUBJECT =
  '/C=DE/ST= spaced /L=#hash/O=Org, Inc./OU=Mail+UID=42/CN=J\u00f6rg "J" <j@x>;\\+1\\\\z/emailAddress=j@example.org';

let cached: Promise<ExtraCerts> | null = null;

export function makeExtraCerts(base: CertSet): Promise<ExtraCerts> {
  cached ??= generate(base);
  return cached;
}

async function generate(base: CertSet): Promise<ExtraCerts> {
  const dir = subDir('extra-certs');
  const p = (n: string): string => join(dir, n);
  writeFileSync(
    p('ext.cnf'),
    [
      '[req]',
      'distinguished_name = dn',
      '[dn]',
      '[client_ext]',
      'basicConstraints = critical,CA:FALSE',
      'keyUsage = critical,digitalSignature',
      'extendedKeyUsage = clientAuth',
      '[ica_ext]',
      'basicConstraints = critical,CA:TRUE',
      'keyUsage = critical,keyCertSign,cRLSign',
      '',
    ].join('\n'),
  );
  const ossl = (args: string[]): Promise<unknown> => runOk('openssl', args, { timeoutMs: 60_000, cwd: dir });
  const ecKey = (out: string): Promise<unknown> =>
    ossl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', out]);

  const oddClient = { cert: p('odd.crt'), key: p('odd.key') };
  await ecKey(oddClient.key);
  await ossl(['req', '-x509', '-new', '-config', p('ext.cnf'), '-extensions', 'client_ext', '-key', oddClient.key,
    '-utf8', '-multivalue-rdn', '-subj', ODD_SUBJECT, '-CA', base.caCert, '-CAkey', base.caKey,
    '-days', '3650', '-set_serial', '0x8F00112233', '-out', oddClient.cert]);

  const intermediateCa = { cert: p('ica.crt'), key: p('ica.key') };
  await ecKey(intermediateCa.key);
  await ossl(['req', '-x509', '-new', '-config', p('ext.cnf'), '-extensions', 'ica_ext', '-key', intermediateCa.key,
    '-subj', '/O=postern tests/CN=postern intermediate CA', '-CA', base.caCert, '-CAkey', base.caKey,
    '-days', '3650', '-set_serial', '77', '-out', intermediateCa.cert]);

  const leaf = { cert: p('chained.crt'), key: p('chained.key') };
  await ecKey(leaf.key);
  await ossl(['req', '-x509', '-new', '-config', p('ext.cnf'), '-extensions', 'client_ext', '-key', leaf.key,
    '-subj', '/CN=chained-client', '-CA', intermediateCa.cert, '-CAkey', intermediateCa.key,
    '-days', '3650', '-set_serial', '78', '-out', leaf.cert]);
  writeFileSync(p('chained-chain.pem'), Buffer.concat([readFileSync(leaf.cert), readFileSync(intermediateCa.cert)]));
  return { oddClient, intermediateCa, chainedClient: { ...leaf, chain: p('chained-chain.pem') } };
}
