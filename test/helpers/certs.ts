/**
 * Test certificates made with the openssl CLI, once per test process.
 *
 * Owns: a CA (EC P-256); server certificates for localhost/127.0.0.1 with an RSA key and with an ECDSA
 * key; one certificate per SNI name; a client certificate signed by the CA, a second one that the
 * CA's CRL revokes, and an untrusted self-signed client certificate; the CRL; DH parameters (the
 * RFC 7919 ffdhe2048 group: standard and instant, unlike `openssl dhparam`); the RSA server key
 * encrypted with a password, plus the password file (nginx `ssl_password_file` format).
 * Does not own: TLS contexts (tests build them from these paths).
 *
 * Everything is valid for 10 years from creation and stored as PEM.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runOk } from './proc.js';
import { subDir } from './run-dir.js';

/** Paths of a certificate and its private key (PEM). */
export interface KeyPair {
  readonly cert: string;
  readonly key: string;
}

export interface CertSet {
  readonly dir: string;
  /** The CA certificate (trust anchor for server and client certificates). */
  readonly caCert: string;
  readonly caKey: string;
  /** CN=localhost, SAN DNS:localhost + IP:127.0.0.1, RSA 2048 key. */
  readonly serverRsa: KeyPair;
  /** Same names, ECDSA P-256 key. */
  readonly serverEcdsa: KeyPair;
  /** The SNI names that have their own certificate (CN and SAN = the name). */
  readonly sniNames: readonly string[];
  readonly sni: Readonly<Record<string, KeyPair>>;
  /** CN=client, clientAuth, signed by the CA. */
  readonly client: KeyPair;
  /** CN=revoked-client, signed by the CA, listed in `crl`. */
  readonly clientRevoked: KeyPair;
  /** CN=untrusted-client, self-signed (no CA knows it). */
  readonly clientUntrusted: KeyPair;
  /** The CA's CRL, revoking `clientRevoked`. */
  readonly crl: string;
  /** DH parameters (ffdhe2048). */
  readonly dhparam: string;
  /** `serverRsa`'s key encrypted (AES-256) with `password`; `passwordFile` holds the password and a newline. */
  readonly encrypted: {
    readonly cert: string;
    readonly key: string;
    readonly passwordFile: string;
    readonly password: string;
  };
}

/** The SNI names `makeCerts` issues certificates for. */
export const SNI_NAMES = ['mail.postern.test', 'smtp.postern.test'] as const;

const PASSWORD = 'postern-test-key-password';
const DAYS = '3650';

function extSection(name: string, lines: readonly string[]): string {
  return `[${name}]\n${lines.join('\n')}\n`;
}

const cache = new Map<string, Promise<CertSet>>();

async function generate(dir: string): Promise<CertSet> {
  const p = (name: string): string => join(dir, name);
  const sniSections = SNI_NAMES.map((n, i) =>
    extSection(`sni${i}_ext`, [
      'basicConstraints = critical,CA:FALSE',
      'keyUsage = critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage = serverAuth',
      `subjectAltName = DNS:${n}`,
    ]),
  );
  writeFileSync(
    p('openssl.cnf'),
    [
      extSection('req', ['distinguished_name = dn', 'prompt = no']),
      extSection('dn', ['CN = unused']),
      extSection('ca_ext', [
        'basicConstraints = critical,CA:TRUE',
        'keyUsage = critical,keyCertSign,cRLSign',
        'subjectKeyIdentifier = hash',
      ]),
      extSection('server_ext', [
        'basicConstraints = critical,CA:FALSE',
        'keyUsage = critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage = serverAuth',
        'subjectAltName = DNS:localhost,IP:127.0.0.1',
      ]),
      extSection('client_ext', [
        'basicConstraints = critical,CA:FALSE',
        'keyUsage = critical,digitalSignature',
        'extendedKeyUsage = clientAuth',
      ]),
      ...sniSections,
      extSection('ca', ['default_ca = ca_default']),
      extSection('ca_default', [
        `database = ${p('index.txt')}`,
        `crlnumber = ${p('crlnumber')}`,
        `certificate = ${p('ca.crt')}`,
        `private_key = ${p('ca.key')}`,
        `new_certs_dir = ${dir}`,
        'default_md = sha256',
        `default_crl_days = ${DAYS}`,
      ]),
    ].join('\n'),
  );
  writeFileSync(p('index.txt'), '');
  writeFileSync(p('crlnumber'), '1000\n');
  const cnf = p('openssl.cnf');
  const ossl = (args: string[]): Promise<unknown> => runOk('openssl', args, { timeoutMs: 60_000, cwd: dir });
  const ecKey = (out: string): Promise<unknown> =>
    ossl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', out]);
  let serial = 1;
  const issue = async (
    key: string,
    cn: string,
    ext: string,
    out: string,
    selfSigned = false,
  ): Promise<void> => {
    const signer = selfSigned ? [] : ['-CA', p('ca.crt'), '-CAkey', p('ca.key')];
    serial++;
    await ossl([
      'req',
      '-x509',
      '-new',
      '-config',
      cnf,
      '-extensions',
      ext,
      '-key',
      key,
      '-subj',
      `/CN=${cn}`,
      ...signer,
      '-days',
      DAYS,
      '-set_serial',
      String(serial),
      '-out',
      out,
    ]);
  };

  await ecKey(p('ca.key'));
  await ossl([
    'req',
    '-x509',
    '-new',
    '-config',
    cnf,
    '-extensions',
    'ca_ext',
    '-key',
    p('ca.key'),
    '-subj',
    '/CN=postern test CA',
    '-days',
    DAYS,
    '-set_serial',
    '1',
    '-out',
    p('ca.crt'),
  ]);

  await ossl([
    'genpkey',
    '-algorithm',
    'RSA',
    '-pkeyopt',
    'rsa_keygen_bits:2048',
    '-out',
    p('server-rsa.key'),
  ]);
  await issue(p('server-rsa.key'), 'localhost', 'server_ext', p('server-rsa.crt'));
  await ecKey(p('server-ecdsa.key'));
  await issue(p('server-ecdsa.key'), 'localhost', 'server_ext', p('server-ecdsa.crt'));

  const sni: Record<string, KeyPair> = {};
  for (const [i, name] of SNI_NAMES.entries()) {
    const pair = { cert: p(`${name}.crt`), key: p(`${name}.key`) };
    await ecKey(pair.key);
    await issue(pair.key, name, `sni${i}_ext`, pair.cert);
    sni[name] = pair;
  }

  const client = { cert: p('client.crt'), key: p('client.key') };
  await ecKey(client.key);
  await issue(client.key, 'client', 'client_ext', client.cert);
  const clientRevoked = { cert: p('client-revoked.crt'), key: p('client-revoked.key') };
  await ecKey(clientRevoked.key);
  await issue(clientRevoked.key, 'revoked-client', 'client_ext', clientRevoked.cert);
  const clientUntrusted = { cert: p('client-untrusted.crt'), key: p('client-untrusted.key') };
  await ecKey(clientUntrusted.key);
  await issue(clientUntrusted.key, 'untrusted-client', 'client_ext', clientUntrusted.cert, true);

  await ossl(['ca', '-config', cnf, '-revoke', clientRevoked.cert]);
  await ossl(['ca', '-config', cnf, '-gencrl', '-out', p('crl.pem')]);

  await ossl([
    'genpkey',
    '-genparam',
    '-algorithm',
    'DH',
    '-pkeyopt',
    'group:ffdhe2048',
    '-out',
    p('dhparam.pem'),
  ]);

  writeFileSync(p('password.txt'), `${PASSWORD}\n`);
  await ossl([
    'pkey',
    '-in',
    p('server-rsa.key'),
    '-aes256',
    '-passout',
    `pass:${PASSWORD}`,
    '-out',
    p('server-rsa.enc.key'),
  ]);

  return {
    dir,
    caCert: p('ca.crt'),
    caKey: p('ca.key'),
    serverRsa: { cert: p('server-rsa.crt'), key: p('server-rsa.key') },
    serverEcdsa: { cert: p('server-ecdsa.crt'), key: p('server-ecdsa.key') },
    sniNames: SNI_NAMES,
    sni,
    client,
    clientRevoked,
    clientUntrusted,
    crl: p('crl.pem'),
    dhparam: p('dhparam.pem'),
    encrypted: {
      cert: p('server-rsa.crt'),
      key: p('server-rsa.enc.key'),
      passwordFile: p('password.txt'),
      password: PASSWORD,
    },
  };
}

/**
 * The test certificates, generated on first call and cached for the process. With `dir`, they are
 * generated there (once per dir); without, in a sub-directory of the run dir.
 */
export function makeCerts(dir?: string): Promise<CertSet> {
  const key = dir ?? '';
  let p = cache.get(key);
  if (!p) {
    p = generate(dir ?? subDir('certs'));
    p.catch(() => cache.delete(key));
    cache.set(key, p);
  }
  return p;
}

/** Reads a PEM file (a convenience for `tls.createSecureContext({ cert: readPem(c.serverRsa.cert) })`). */
export function readPem(path: string): Buffer {
  return readFileSync(path);
}
