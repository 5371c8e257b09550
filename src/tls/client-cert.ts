/**
 * What a finished handshake tells the rest of the session: the Auth-SSL-* values (reference 3.2) and
 * nginx's post-handshake client-certificate decision (reference 6.3, ngx_mail_verify_cert).
 *
 * Owns: `readClientTls` (protocol, OpenSSL cipher name, and with `ssl_verify_client` on: the verify result
 * as `SUCCESS` / `FAILED:<reason>` / `NONE`, RFC 2253 subject and issuer, serial, SHA-1 fingerprint, PEM)
 * and the pure `certificateCheck` (which reply, if any, the session sends before closing).
 * Does not own: the handshake (upgrade.ts) or the replies' bytes (protocol/).
 *
 * `ssl_verify_depth` (ours, emulated): Node cannot set OpenSSL's verify depth, so after a successful
 * verification the chain Node reports is counted; more intermediate CAs than the depth allows turns the
 * result into X509_V_ERR_CERT_CHAIN_TOO_LONG, the error OpenSSL would have reported.
 */
import { createHash } from 'node:crypto';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import type { SslConfig } from '../config/types.js';
import { certFields } from './cert-fields.js';
import { CERT_CHAIN_TOO_LONG_TEXT, X509_V_ERR, isOptionalVerifyError, verifyErrorNumber } from './verify-codes.js';

export type VerifyClientMode = SslConfig['verifyClient'];

/** OpenSSL's verification result for the connection (SSL_get_verify_result + whether a cert came). */
export type VerifyOutcome =
  | { readonly kind: 'none' }
  | { readonly kind: 'ok' }
  | { readonly kind: 'failed'; readonly code: number; readonly text: string };

/** What the session does after the handshake: carry on, or send the protocol's reply and close. */
export type CertificateCheck =
  | 'ok'
  | {
      readonly reply: 'certificateError' | 'noCertificate';
      /** logged at info with the handshake's action */
      readonly log: string;
    };

/** The Auth-SSL-* values; the same shape as the session's ClientTlsInfo. */
export interface TlsClientInfo {
  /** e.g. `TLSv1.3` */
  readonly protocol: string;
  /** OpenSSL's name, e.g. `TLS_AES_256_GCM_SHA384` or `ECDHE-RSA-AES128-GCM-SHA256` */
  readonly cipher: string;
  /** null when `ssl_verify_client` is off */
  readonly verify: string | null;
  readonly subject: string | null;
  readonly issuer: string | null;
  readonly serial: string | null;
  readonly fingerprint: string | null;
  readonly certPem: string | null;
}

/** Everything read from a finished handshake. */
export interface TlsClientDetails {
  readonly info: TlsClientInfo;
  readonly outcome: VerifyOutcome;
  readonly check: CertificateCheck;
  /** the client certificate's subject CN (PROXY v2 SSL_CN), or null */
  readonly commonName: string | null;
  /** the handshake resumed a session (a certificate then comes from the session, not this connection) */
  readonly resumed: boolean;
  /** the SNI name the client sent, or null */
  readonly serverName: string | null;
  /** the ALPN protocol selected, or null */
  readonly alpn: string | null;
}

/** nginx: ngx_mail_verify_cert, as a value. */
export function certificateCheck(mode: VerifyClientMode, outcome: VerifyOutcome): CertificateCheck {
  if (mode === 'off') return 'ok';
  if (outcome.kind === 'failed' && !(mode === 'optional_no_ca' && isOptionalVerifyError(outcome.code))) {
    return {
      reply: 'certificateError',
      log: `client SSL certificate verify error: (${String(outcome.code)}:${outcome.text})`,
    };
  }
  if (mode === 'on' && outcome.kind === 'none') {
    return { reply: 'noCertificate', log: 'client sent no required SSL certificate' };
  }
  return 'ok';
}

/** nginx: ngx_ssl_get_client_verify — the Auth-SSL-Verify value. */
export function verifyValue(outcome: VerifyOutcome): string {
  switch (outcome.kind) {
    case 'none':
      return 'NONE';
    case 'ok':
      return 'SUCCESS';
    case 'failed':
      return `FAILED:${outcome.text}`;
  }
}

/** nginx: PEM_write_bio_X509 — base64 in 64-character lines. */
export function derToPem(der: Buffer): string {
  const b64 = der.toString('base64');
  let body = '';
  for (let i = 0; i < b64.length; i += 64) body += `${b64.slice(i, i + 64)}\n`;
  return `-----BEGIN CERTIFICATE-----\n${body}-----END CERTIFICATE-----\n`;
}

interface VerifyErrorLike {
  readonly code?: unknown;
  readonly message?: unknown;
}

/**
 * OpenSSL's verify result. A server-side TLSSocket made outside a tls.Server never sets `authorized`, so
 * the result is read where Node's own tls.Server reads it (`socket.ssl.verifyError()`); if that is ever
 * missing the certificate is treated as unverified (fail closed).
 */
function rawOutcome(socket: TLSSocket, hasCert: boolean): VerifyOutcome {
  if (!hasCert) return { kind: 'none' };
  const handle = (socket as unknown as { ssl?: { verifyError?: () => VerifyErrorLike | null } }).ssl;
  if (typeof handle?.verifyError !== 'function') {
    return { kind: 'failed', code: X509_V_ERR.UNSPECIFIED, text: 'unspecified certificate verification error' };
  }
  const err = handle.verifyError();
  if (err === null) return { kind: 'ok' };
  const name = typeof err.code === 'string' ? err.code : '';
  const text = typeof err.message === 'string' ? err.message : name;
  return { kind: 'failed', code: verifyErrorNumber(name), text };
}

/** Intermediate CAs between the leaf and the last certificate of the chain Node built. */
function intermediates(cert: PeerCertificate & { issuerCertificate?: PeerCertificate }): number {
  let n = 0;
  let c: (PeerCertificate & { issuerCertificate?: PeerCertificate }) | undefined = cert;
  // bounded: a chain longer than 100 is not something OpenSSL builds either
  for (let i = 0; i < 100; i++) {
    const next: (PeerCertificate & { issuerCertificate?: PeerCertificate }) | undefined = c.issuerCertificate;
    if (next === undefined || next === c || next.raw.equals(c.raw)) break;
    n++;
    c = next;
  }
  // the last one is the trust anchor, which does not count against the depth
  return Math.max(0, n - 1);
}

/** Reads the handshake's results from a secure server socket. */
export function readClientTls(socket: TLSSocket, mode: VerifyClientMode, verifyDepth: number): TlsClientDetails {
  const cipher = socket.getCipher();
  const protocol = socket.getProtocol() ?? '';
  const base = {
    resumed: socket.isSessionReused(),
    serverName: (socket as TLSSocket & { servername?: string | false | null }).servername || null,
    alpn: socket.alpnProtocol || null,
  };
  if (mode === 'off') {
    const info: TlsClientInfo = {
      protocol,
      cipher: cipher.name,
      verify: null,
      subject: null,
      issuer: null,
      serial: null,
      fingerprint: null,
      certPem: null,
    };
    return { ...base, info, outcome: { kind: 'none' }, check: 'ok', commonName: null };
  }
  const peer = socket.getPeerCertificate(true) as PeerCertificate & { issuerCertificate?: PeerCertificate };
  const raw = (peer as Partial<PeerCertificate>).raw;
  const hasCert = Buffer.isBuffer(raw) && raw.length > 0;
  let outcome = rawOutcome(socket, hasCert);
  if (outcome.kind === 'ok' && intermediates(peer) > verifyDepth) {
    outcome = { kind: 'failed', code: X509_V_ERR.CERT_CHAIN_TOO_LONG, text: CERT_CHAIN_TOO_LONG_TEXT };
  }
  let subject: string | null = null;
  let issuer: string | null = null;
  let serial: string | null = null;
  let fingerprint: string | null = null;
  let certPem: string | null = null;
  let commonName: string | null = null;
  if (hasCert) {
    const f = certFields(raw);
    subject = f.subject;
    issuer = f.issuer;
    serial = f.serial;
    commonName = f.commonName;
    fingerprint = createHash('sha1').update(raw).digest('hex');
    certPem = derToPem(raw);
  }
  const info: TlsClientInfo = {
    protocol,
    cipher: cipher.name,
    verify: verifyValue(outcome),
    subject,
    issuer,
    serial,
    fingerprint,
    certPem,
  };
  return { ...base, info, outcome, check: certificateCheck(mode, outcome), commonName };
}
