/**
 * The scalar ssl_* directives as Node SecureContext options.
 *
 * Owns: `ssl_protocols` → minVersion/maxVersion plus SSL_OP_NO_* for gaps (nginx turns each protocol on or
 * off; Node takes a range), `ssl_ciphers` (TLS 1.2 and older only, as nginx's SSL_CTX_set_cipher_list;
 * TLS 1.3 suites stay OpenSSL's defaults), `ssl_prefer_server_ciphers`, `ssl_ecdh_curve`,
 * `ssl_session_tickets`, renegotiation off (nginx sets SSL_OP_NO_RENEGOTIATION), and the part of
 * `ssl_conf_command` that Node can express. Does not own: files (pem-source.ts) or building contexts.
 *
 * Refused with ERR_TLS_CONFIG, because this Node/OpenSSL cannot do them: SSLv2 and SSLv3, and
 * `ssl_conf_command` names other than CipherString, Ciphersuites, Groups, Curves, SignatureAlgorithms,
 * MinProtocol, MaxProtocol and Options (ServerPreference, PrioritizeChaCha, each with an optional `-`).
 */
import { constants } from 'node:crypto';
import type { SecureVersion } from 'node:tls';
import type { SslConfig } from '../config/types.js';
import { ProxyError } from '../errors.js';

/** Protocols Node can negotiate, lowest first. */
const NODE_VERSIONS: readonly SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

const NO_VERSION_OPTION: Readonly<Record<SecureVersion, number>> = {
  TLSv1: constants.SSL_OP_NO_TLSv1,
  'TLSv1.1': constants.SSL_OP_NO_TLSv1_1,
  'TLSv1.2': constants.SSL_OP_NO_TLSv1_2,
  'TLSv1.3': constants.SSL_OP_NO_TLSv1_3,
};

/** `ssl_conf_command Options` names Node can apply, as OpenSSL's SSL_CONF table defines them. */
const CONF_OPTIONS: Readonly<Record<string, readonly [number, boolean]>> = {
  SessionTicket: [constants.SSL_OP_NO_TICKET, true],
  Compression: [constants.SSL_OP_NO_COMPRESSION, true],
  PrioritizeChaCha: [constants.SSL_OP_PRIORITIZE_CHACHA, false],
  NoRenegotiation: [constants.SSL_OP_NO_RENEGOTIATION, false],
  AllowNoDHEKEX: [constants.SSL_OP_ALLOW_NO_DHE_KEX, false],
};

export interface NodeTlsOptions {
  readonly minVersion: SecureVersion;
  readonly maxVersion: SecureVersion;
  readonly secureOptions: number;
  /** TLS ≤ 1.2 cipher list, plus TLS 1.3 suites from `ssl_conf_command Ciphersuites` (Node splits on `TLS_`) */
  readonly ciphers: string;
  readonly honorCipherOrder: boolean;
  readonly ecdhCurve: string;
  readonly sigalgs: string | null;
  /** notes for the error log at warn (ignored settings) */
  readonly warnings: readonly string[];
}

function refuse(message: string): ProxyError {
  return new ProxyError('ERR_TLS_CONFIG', message);
}

function isNodeVersion(v: string): v is SecureVersion {
  return (NODE_VERSIONS as readonly string[]).includes(v);
}

/** nginx: the ssl_* part of ngx_mail_ssl_merge_conf, in Node's terms. Throws ProxyError(ERR_TLS_CONFIG). */
export function nodeTlsOptions(ssl: SslConfig): NodeTlsOptions {
  const warnings: string[] = [];
  const wanted = new Set<SecureVersion>();
  for (const p of ssl.protocols) {
    if (!isNodeVersion(p)) {
      throw refuse(
        `"ssl_protocols" ${p} is not supported: Node.js ${process.versions.node} with OpenSSL ${process.versions.openssl} does TLSv1, TLSv1.1, TLSv1.2 and TLSv1.3 only`,
      );
    }
    wanted.add(p);
  }
  let minVersion: SecureVersion | null = null;
  let maxVersion: SecureVersion | null = null;
  for (const v of NODE_VERSIONS) {
    if (!wanted.has(v)) continue;
    minVersion ??= v;
    maxVersion = v;
  }
  if (minVersion === null || maxVersion === null) throw refuse('"ssl_protocols" enables no protocol');

  // nginx's ssl_ciphers goes to SSL_CTX_set_cipher_list, which leaves TLS 1.3 suites alone; Node would
  // send TLS_* names to the TLS 1.3 list, so they are dropped here, as OpenSSL would ignore them.
  const entries = ssl.ciphers.split(':').filter((c) => c !== '');
  const kept = entries.filter((c) => !/^[!+-]?TLS_/.test(c));
  if (kept.length !== entries.length) {
    warnings.push(`"ssl_ciphers" entries for TLSv1.3 are ignored, as OpenSSL's cipher list does: ${ssl.ciphers}`);
  }
  let cipherList = kept.join(':');
  let suites: string | null = null;
  let honorCipherOrder = ssl.preferServerCiphers;
  let ecdhCurve = ssl.ecdhCurve;
  let sigalgs: string | null = null;
  let extraOptions = 0;
  let clearOptions = 0;

  for (const [name, value] of ssl.confCommands) {
    switch (name) {
      case 'CipherString':
        cipherList = value;
        break;
      case 'Ciphersuites':
        if (value.split(':').some((s) => !s.startsWith('TLS_'))) {
          throw refuse(`ssl_conf_command Ciphersuites "${value}": only TLS_* suite names are allowed`);
        }
        suites = value;
        break;
      case 'Groups':
      case 'Curves':
        ecdhCurve = value;
        break;
      case 'SignatureAlgorithms':
        sigalgs = value;
        break;
      case 'MinProtocol':
      case 'MaxProtocol':
        if (!isNodeVersion(value)) throw refuse(`ssl_conf_command ${name} "${value}" is not supported`);
        if (name === 'MinProtocol') minVersion = value;
        else maxVersion = value;
        break;
      case 'Options':
        for (const raw of value.split(',').map((o) => o.trim())) {
          const off = raw.startsWith('-');
          const opt = off ? raw.slice(1) : raw;
          if (opt === 'ServerPreference') {
            honorCipherOrder = !off;
            continue;
          }
          // OpenSSL's SSL_CONF "Options" names: [flag, inverted] — an inverted name sets the flag when negated.
          const known = CONF_OPTIONS[opt];
          if (known === undefined) throw refuse(`ssl_conf_command Options "${raw}" is not supported`);
          const [flag, inverted] = known;
          if (off !== inverted) clearOptions |= flag;
          else extraOptions |= flag;
        }
        break;
      default:
        throw refuse(`ssl_conf_command "${name}" is not supported: Node.js has no equivalent of this OpenSSL setting`);
    }
  }
  if (NODE_VERSIONS.indexOf(minVersion) > NODE_VERSIONS.indexOf(maxVersion)) {
    throw refuse(`no TLS protocol is left between ${minVersion} and ${maxVersion}`);
  }

  // nginx switches each protocol on or off; versions inside the range that ssl_protocols left out
  let secureOptions = constants.SSL_OP_NO_RENEGOTIATION | constants.SSL_OP_NO_COMPRESSION | extraOptions;
  for (let i = NODE_VERSIONS.indexOf(minVersion); i <= NODE_VERSIONS.indexOf(maxVersion); i++) {
    const v = NODE_VERSIONS[i] as SecureVersion;
    if (!wanted.has(v) && ssl.confCommands.every(([n]) => n !== 'MinProtocol' && n !== 'MaxProtocol')) {
      secureOptions |= NO_VERSION_OPTION[v];
    }
  }
  if (!ssl.sessionTickets) secureOptions |= constants.SSL_OP_NO_TICKET;
  secureOptions &= ~clearOptions;
  if (ssl.certificateCompression) {
    warnings.push('"ssl_certificate_compression" is not supported by Node.js, ignored');
  }
  const ciphers = suites === null ? cipherList : [cipherList, suites].filter((s) => s !== '').join(':');
  if (ciphers === '') throw refuse(`SSL_CTX_set_cipher_list("${ssl.ciphers}") failed (SSL: no cipher match)`);
  return { minVersion, maxVersion, secureOptions, ciphers, honorCipherOrder, ecdhCurve, sigalgs, warnings };
}
