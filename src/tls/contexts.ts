/**
 * The TLS contexts of one mail server, built from its `SslConfig` (nginx: ngx_mail_ssl_merge_conf and the
 * ngx_ssl_* calls it makes), plus ours: certificates chosen by SNI.
 *
 * Owns: loading certificate/key pairs (several at once, e.g. RSA and ECDSA; `data:` values; encrypted keys
 * tried with each `ssl_password_file` password in turn), the client CA list, CRL and DH parameters; the
 * session-ID context, timeout, cache and ticket keys; one SecureContext per `ssl_sni_certificate` name,
 * looked up only by exact (case-insensitive) name in a map built here, so a name a client sends never
 * becomes part of a path; and applying the primary's shared ticket keys to every context.
 * Does not own: the handshake or ALPN callback (upgrade.ts), option mapping (secure-options.ts), file
 * reading (pem-source.ts).
 *
 * Every loading error is a ProxyError(ERR_TLS_CONFIG) naming the file in nginx's words, e.g.
 * `cannot load certificate "/etc/x.crt": PEM_read_bio_X509_AUX() failed (SSL: …)`.
 *
 * Reload: a new configuration builds new contexts; connections already using the old ones keep them
 * (OpenSSL holds a reference per connection), so nothing live is dropped.
 */
import { X509Certificate, createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls';
import type { CertificatePair, MailProtocolName, SslConfig } from '../config/types.js';
import { ProxyError } from '../errors.js';
import { pemBlocks, readPasswordFile, readSource, readTicketKeyFile, sourceLabel } from './pem-source.js';
import { nodeTlsOptions, type NodeTlsOptions } from './secure-options.js';
import { TlsSessionCache } from './session-cache.js';
import { ticketKeyBytes, ticketKeyFromNginxFile, type TicketKeySet } from './ticket-keys.js';
import type { VerifyClientMode } from './client-cert.js';

export interface TlsContextsOptions {
  /** the server's protocol: its ALPN identifier (`imap`, `pop3`, `smtp`, reference 6.1) */
  readonly protocol: MailProtocolName;
  /** the primary's current shared ticket key; ignored when `ssl_session_ticket_key` files are set */
  readonly ticketKeys?: TicketKeySet | null;
  /** a session cache to share (servers naming the same `shared:` zone); built here when absent */
  readonly sessionCache?: TlsSessionCache | null;
}

export interface TlsContexts {
  readonly protocol: MailProtocolName;
  /** the ALPN protocol id clients must offer when they offer ALPN at all */
  readonly alpn: string;
  readonly verifyClient: VerifyClientMode;
  readonly verifyDepth: number;
  /** the context for clients that send no SNI name or an unknown one */
  readonly defaultContext: SecureContext;
  /** `ssl_session_cache builtin|shared`, else null */
  readonly sessionCache: TlsSessionCache | null;
  /** `ssl_session_ticket_key` files are in use, so shared keys from the primary are not applied */
  readonly ticketKeysFromFiles: boolean;
  /** things configured that are ignored here, for the error log at warn */
  readonly warnings: readonly string[];
  /** SNI: the context for `serverName` (exact, case-insensitive), else the default one */
  contextFor(serverName: string | null | undefined): SecureContext;
  /** the primary rotated the shared ticket key: use it for new handshakes on every context */
  applyTicketKeys(keys: TicketKeySet): void;
}

interface LoadedPair {
  readonly certPem: string;
  readonly keyPem: string;
}

function fail(message: string, cause?: unknown): ProxyError {
  return new ProxyError('ERR_TLS_CONFIG', message, cause === undefined ? undefined : { cause });
}

/** OpenSSL's message as nginx shows it after `(SSL: `: Node's text without its decorations. */
function sslText(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  const e = /error:([0-9A-Fa-f]{8}):([^:]*):[^:]*:([^:\n]*)/.exec(m);
  return e === null ? m : `error:${(e[1] ?? '').toUpperCase()}:${e[2] ?? ''}::${e[3] ?? ''}`;
}

/** nginx: ngx_ssl_load_certificate — the leaf and its chain, as PEM. */
function loadCertificate(value: string): string {
  const label = sourceLabel(value);
  if (value.startsWith('engine:') || value.startsWith('store:')) {
    throw fail(`cannot load certificate "${label}": "engine:" and "store:" sources are not supported by Node.js`);
  }
  const r = readSource(value);
  if (!r.ok) throw fail(`cannot load certificate "${label}": BIO_new_file() failed (${r.sysError})`);
  const blocks = pemBlocks(r.data).filter((b) => b.label === 'CERTIFICATE' || b.label === 'TRUSTED CERTIFICATE');
  if (blocks.length === 0) {
    throw fail(
      `cannot load certificate "${label}": PEM_read_bio_X509_AUX() failed (SSL: error:0480006C:PEM routines::no start line:Expecting: TRUSTED CERTIFICATE)`,
    );
  }
  for (const b of blocks) {
    try {
      new X509Certificate(b.pem);
    } catch (err) {
      throw fail(`cannot load certificate "${label}": PEM_read_bio_X509() failed (SSL: ${sslText(err)})`, err);
    }
  }
  return blocks.map((b) => b.pem).join('');
}

/** nginx: ngx_ssl_load_certificate_key — each password in turn, as nginx's password callback does. */
function loadKey(value: string, passwords: readonly string[] | null): KeyObject {
  const label = sourceLabel(value);
  if (value.startsWith('engine:') || value.startsWith('store:')) {
    throw fail(`cannot load certificate key "${label}": "engine:" and "store:" keys are not supported by Node.js`);
  }
  const r = readSource(value);
  if (!r.ok) throw fail(`cannot load certificate key "${label}": BIO_new_file() failed (${r.sysError})`);
  let lastErr: unknown = null;
  for (const passphrase of passwords ?? [undefined]) {
    try {
      return createPrivateKey(passphrase === undefined ? { key: r.data } : { key: r.data, passphrase });
    } catch (err) {
      lastErr = err;
    }
  }
  throw fail(`cannot load certificate key "${label}": PEM_read_bio_PrivateKey() failed (SSL: ${sslText(lastErr)})`, lastErr);
}

function loadPair(pair: CertificatePair, passwords: readonly string[] | null): LoadedPair {
  const certPem = loadCertificate(pair.certificate);
  const key = loadKey(pair.key, passwords);
  // OpenSSL only notices a mismatch between keys of the same type; a key of another type would leave the
  // certificate without a key and fail every handshake, so both cases are refused here.
  const leafKey = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  const ownKey = createPublicKey(key).export({ type: 'spki', format: 'der' });
  if (!leafKey.equals(ownKey)) {
    throw fail(
      `SSL_CTX_use_PrivateKey("${sourceLabel(pair.key)}") failed (SSL: error:05800074:x509 certificate routines::key values mismatch)`,
    );
  }
  return { certPem, keyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

/** nginx: ngx_ssl_client_certificate / ngx_ssl_trusted_certificate */
function loadCaFile(path: string): string[] {
  const r = readSource(path);
  if (!r.ok) throw fail(`SSL_CTX_load_verify_locations("${path}") failed (${r.sysError})`);
  const blocks = pemBlocks(r.data).filter((b) => b.label === 'CERTIFICATE' || b.label === 'TRUSTED CERTIFICATE');
  if (blocks.length === 0) {
    throw fail(`SSL_CTX_load_verify_locations("${path}") failed (SSL: error:05880009:x509 certificate routines::no certificate or crl found)`);
  }
  for (const b of blocks) {
    try {
      new X509Certificate(b.pem);
    } catch (err) {
      throw fail(`SSL_CTX_load_verify_locations("${path}") failed (SSL: ${sslText(err)})`, err);
    }
  }
  return blocks.map((b) => b.pem);
}

/** nginx: ngx_ssl_crl */
function loadCrl(path: string): string[] {
  const r = readSource(path);
  if (!r.ok) throw fail(`X509_LOOKUP_load_file("${path}") failed (${r.sysError})`);
  const blocks = pemBlocks(r.data).filter((b) => b.label === 'X509 CRL');
  if (blocks.length === 0) {
    throw fail(`X509_LOOKUP_load_file("${path}") failed (SSL: error:05880009:x509 certificate routines::no certificate or crl found)`);
  }
  return blocks.map((b) => b.pem);
}

/** nginx: ngx_ssl_dhparam */
function loadDhparam(path: string): string {
  const r = readSource(path);
  if (!r.ok) throw fail(`BIO_new_file("${path}") failed (${r.sysError})`);
  const block = pemBlocks(r.data).find((b) => b.label === 'DH PARAMETERS');
  if (block === undefined) {
    throw fail(`PEM_read_bio_DHparams("${path}") failed (SSL: error:0480006C:PEM routines::no start line:Expecting: DH PARAMETERS)`);
  }
  return block.pem;
}

/** Checks one option on an otherwise empty context, so a failure names the directive nginx would. */
function probe(options: SecureContextOptions, message: string): void {
  try {
    createSecureContext(options);
  } catch (err) {
    throw fail(`${message} failed (SSL: ${sslText(err)})`, err);
  }
}

/**
 * nginx: ngx_ssl_session_id_context — sessions are tied to "MAIL", the certificates and the client CAs,
 * so a session from another server (or another certificate) is not resumed. The same inputs give the
 * same context in every worker, which cross-worker resumption needs. 32 hex characters fit OpenSSL's
 * 32-byte limit.
 */
function sessionIdContext(pairs: readonly LoadedPair[], cas: readonly string[]): string {
  const h = createHash('md5').update('MAIL');
  for (const p of pairs) h.update(p.certPem);
  for (const c of cas) h.update(c);
  return h.digest('hex');
}

/** Builds every context of one server. Throws ProxyError(ERR_TLS_CONFIG). Synchronous: config time only. */
export function buildTlsContexts(ssl: SslConfig, options: TlsContextsOptions): TlsContexts {
  const node: NodeTlsOptions = nodeTlsOptions(ssl);
  const warnings = [...node.warnings];
  if (ssl.certificates.length === 0) throw fail('no "ssl_certificate" is defined');
  const passwords = ssl.passwordFile === null ? null : readPasswordFile(ssl.passwordFile);

  probe({ ciphers: node.ciphers, minVersion: node.minVersion, maxVersion: node.maxVersion }, `SSL_CTX_set_cipher_list("${ssl.ciphers}")`);
  probe({ ecdhCurve: node.ecdhCurve }, `SSL_CTX_set1_curves_list("${node.ecdhCurve}")`);
  if (node.sigalgs !== null) probe({ sigalgs: node.sigalgs }, `SSL_CTX_set1_sigalgs_list("${node.sigalgs}")`);

  const pairs = ssl.certificates.map((p) => loadPair(p, passwords));
  const verifying = ssl.verifyClient !== 'off';
  const clientCas = verifying && ssl.clientCertificate !== null ? loadCaFile(ssl.clientCertificate) : [];
  const trustedCas = verifying && ssl.trustedCertificate !== null ? loadCaFile(ssl.trustedCertificate) : [];
  const crl = ssl.crl === null ? null : loadCrl(ssl.crl);
  const dhparam = ssl.dhparam === null ? null : loadDhparam(ssl.dhparam);

  let fileTicketKey: Buffer | null = null;
  // every file is read and checked, as nginx does; Node can use the first (the one nginx encrypts with)
  const keyFiles = ssl.sessionTicketKeys.map((path) => ({ path, data: readTicketKeyFile(path) }));
  const [firstKeyFile] = keyFiles;
  if (firstKeyFile !== undefined) {
    fileTicketKey = ticketKeyFromNginxFile(firstKeyFile.path, firstKeyFile.data);
    if (keyFiles.length > 1) {
      warnings.push('only the first "ssl_session_ticket_key" is used: Node.js holds one ticket key, so older keys cannot decrypt');
    }
  }
  const sharedKey = fileTicketKey === null && ssl.sessionTickets && options.ticketKeys ? ticketKeyBytes(options.ticketKeys) : null;

  // `ca` is always given: without it Node would trust its bundled root store, which nginx never does.
  // Node sends every CA it trusts as an acceptable name; nginx sends only ssl_client_certificate's.
  const common: SecureContextOptions = {
    minVersion: node.minVersion,
    maxVersion: node.maxVersion,
    secureOptions: node.secureOptions,
    ciphers: node.ciphers,
    honorCipherOrder: node.honorCipherOrder,
    ecdhCurve: node.ecdhCurve,
    ...(node.sigalgs === null ? {} : { sigalgs: node.sigalgs }),
    ca: [...clientCas, ...trustedCas],
    ...(crl === null ? {} : { crl }),
    ...(dhparam === null ? {} : { dhparam }),
    sessionIdContext: sessionIdContext(pairs, clientCas),
    sessionTimeout: Math.min(0x7fffffff, Math.floor(ssl.sessionTimeoutMs / 1000)),
    ...(fileTicketKey !== null ? { ticketKeys: fileTicketKey } : sharedKey !== null ? { ticketKeys: sharedKey } : {}),
  };
  if (trustedCas.length > 0) {
    warnings.push('"ssl_trusted_certificate" CAs are also sent to clients as acceptable CA names (Node.js cannot separate them)');
  }

  const build = (loaded: readonly LoadedPair[], what: string): SecureContext => {
    try {
      return createSecureContext({ ...common, cert: loaded.map((p) => p.certPem), key: loaded.map((p) => p.keyPem) });
    } catch (err) {
      throw fail(`cannot load certificate "${what}": (SSL: ${sslText(err)})`, err);
    }
  };
  const defaultContext = build(pairs, sourceLabel(ssl.certificates[0]?.certificate ?? ''));
  const byName = new Map<string, SecureContext>();
  for (const sni of ssl.sniCertificates) {
    const name = sni.serverName.toLowerCase();
    if (byName.has(name)) {
      warnings.push(`duplicate "ssl_sni_certificate" for "${name}", the first one is used`);
      continue;
    }
    byName.set(name, build([loadPair(sni.pair, passwords)], sourceLabel(sni.pair.certificate)));
  }
  const all = [defaultContext, ...byName.values()];

  const cacheConfig = ssl.sessionCache;
  const sessionCache =
    cacheConfig.mode !== 'on'
      ? null
      : (options.sessionCache ??
        new TlsSessionCache(TlsSessionCache.entriesFor(cacheConfig.builtinSize, cacheConfig.shared?.sizeBytes ?? null), ssl.sessionTimeoutMs));

  return {
    protocol: options.protocol,
    alpn: options.protocol,
    verifyClient: ssl.verifyClient,
    verifyDepth: ssl.verifyDepth,
    defaultContext,
    sessionCache,
    ticketKeysFromFiles: fileTicketKey !== null,
    warnings,
    contextFor(serverName) {
      if (serverName === null || serverName === undefined || serverName === '') return defaultContext;
      return byName.get(serverName.toLowerCase()) ?? defaultContext;
    },
    applyTicketKeys(keys) {
      if (fileTicketKey !== null || !ssl.sessionTickets) return;
      const bytes = ticketKeyBytes(keys);
      for (const ctx of all) setTicketKeys(ctx, bytes);
    },
  };
}

/**
 * A SecureContext's native handle takes new ticket keys in place (what tls.Server#setTicketKeys calls);
 * Node's native check aborts the process on a length other than 48, so the length is checked first.
 */
function setTicketKeys(ctx: SecureContext, keys: Buffer): void {
  if (keys.length !== 48) throw new ProxyError('ERR_IPC', 'session ticket key is not 48 bytes');
  const native = (ctx as unknown as { context?: { setTicketKeys?: (b: Buffer) => void } }).context;
  if (typeof native?.setTicketKeys !== 'function') {
    throw new ProxyError('ERR_INTERNAL', 'this Node.js cannot change TLS ticket keys of a context');
  }
  native.setTicketKeys(keys);
}
