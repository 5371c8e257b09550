/**
 * The auth_http request, byte for byte as nginx builds it (reference 3.2;
 * nginx: ngx_mail_auth_http_create_request).
 *
 * Owns: header order, which optional headers appear and when, `%XX` escaping of Auth-User, Auth-Pass and
 * Auth-SSL-Cert, and the one Buffer a request is written into. Everything that is per `auth_http` target
 * (request line, Host, `auth_http_header` lines) is encoded once in `prepareAuthTarget`; per login only the
 * variable parts are written, into a single `Buffer.allocUnsafe` of the exact size.
 * Does not own the transport, retries or anything about the response.
 *
 * Keep-alive (ours): with keep-alive on, the request line says `HTTP/1.1` instead of `HTTP/1.0` and
 * nothing else changes. HTTP/1.1 connections are persistent by default (RFC 9112 section 9.3), so no
 * header is added; a `Connection: keep-alive` header on an HTTP/1.0 request is a legacy extension that
 * some servers ignore, and the bundled uWebSockets.js service does not answer HTTP/1.0 requests at all.
 * With keep-alive off the bytes are exactly nginx's.
 */
import assert from 'node:assert/strict';
import type { AuthMethod, AuthRequest } from '../protocol/types.js';
import type { AuthProtocolName } from './types.js';
import { countEscapes, writeEscaped } from './escape.js';

/** TLS details of the client connection for the Auth-SSL-* headers (reference 3.2, OpenSSL formats). */
export interface AuthTlsInfo {
  /** `TLSv1.3` (SSL_get_version); null or '' leaves Auth-SSL-Protocol out */
  readonly protocol: string | null;
  /** OpenSSL's cipher name; null or '' leaves Auth-SSL-Cipher out */
  readonly cipher: string | null;
  /**
   * `SUCCESS`, `FAILED:<reason>` or `NONE`; null when `ssl_verify_client` is off. nginx sends Verify,
   * Subject, Issuer, Serial, Fingerprint and Cert only when client verification is configured, so null
   * here leaves all six out whatever the other fields hold.
   */
  readonly verify: string | null;
  /** RFC 2253 DN, e.g. `CN=client,O=Org` */
  readonly subject: string | null;
  readonly issuer: string | null;
  /** uppercase hex */
  readonly serial: string | null;
  /** SHA-1, lowercase hex */
  readonly fingerprint: string | null;
  /** the client certificate as PEM; sent (escaped) only with `auth_http_pass_client_cert on` */
  readonly certPem: string | null;
}

/** Addresses from a client's PROXY protocol header (reference 6.4). */
export interface ProxyProtocolAddrs {
  readonly srcAddr: string;
  readonly srcPort: number;
  readonly dstAddr: string;
  readonly dstPort: number;
}

/** Everything one request needs that varies per login. */
export interface AuthRequestInput {
  /** what the protocol module decided: method, login, password, salt, SMTP envelope */
  readonly request: AuthRequest;
  readonly protocol: AuthProtocolName;
  /** Auth-Login-Attempt; the first attempt is 1 */
  readonly attempt: number;
  /** Client-IP: the client address without port (after PROXY/realip) */
  readonly clientIp: string;
  /** Client-Host (SMTP): the header is left out when null or empty, as nginx does for IMAP and POP3 */
  readonly clientHost: string | null;
  readonly proxyProtocol: ProxyProtocolAddrs | null;
  /** null when the client connection is not TLS */
  readonly tls: AuthTlsInfo | null;
}

/** Per-target settings, from the server's config (`auth_http`, `auth_http_header`, ...). */
export interface AuthTargetSettings {
  /** request URI, `/` when the URL had none */
  readonly uri: string;
  /** Host header value */
  readonly hostHeader: string;
  /** `auth_http_header` lines in config order; values are sent as-is */
  readonly headers: readonly (readonly [string, string])[];
  /** `auth_http_pass_client_cert` */
  readonly passClientCert: boolean;
  /** ours: true makes the request line `HTTP/1.1` (see the header comment) */
  readonly keepalive: boolean;
}

/** A target's fixed request parts, encoded once. */
export interface PreparedAuthTarget {
  /** `GET <uri> HTTP/1.x` CRLF `Host: <host>` CRLF */
  readonly head: Buffer;
  /** the `auth_http_header` lines followed by the blank line */
  readonly tail: Buffer;
  readonly passClientCert: boolean;
}

export function prepareAuthTarget(settings: AuthTargetSettings): PreparedAuthTarget {
  const version = settings.keepalive ? 'HTTP/1.1' : 'HTTP/1.0';
  const head = Buffer.from(`GET ${settings.uri} ${version}\r\nHost: ${settings.hostHeader}\r\n`, 'utf8');
  let extra = '';
  // nginx: ngx_mail_auth_http_merge_conf joins them as "name: value" CRLF, in config order.
  for (const [name, value] of settings.headers) extra += `${name}: ${value}\r\n`;
  const tail = Buffer.from(`${extra}\r\n`, 'utf8');
  return { head, tail, passClientCert: settings.passClientCert };
}

// nginx: ngx_mail_auth_http_method[] — PLAIN, LOGIN and LOGIN_USERNAME all report "plain". The xoauth2
// and oauthbearer values are ours (nginx has no such mechanisms).
const METHOD_LINES: Readonly<Record<AuthMethod, Buffer>> = {
  plain: line('plain'),
  apop: line('apop'),
  'cram-md5': line('cram-md5'),
  external: line('external'),
  none: line('none'),
  xoauth2: line('xoauth2'),
  oauthbearer: line('oauthbearer'),
};

function line(method: string): Buffer {
  return Buffer.from(`Auth-Method: ${method}\r\nAuth-User: `, 'latin1');
}

const CRLF_AUTH_PASS = Buffer.from('\r\nAuth-Pass: ', 'latin1');
const CRLF = Buffer.from('\r\n', 'latin1');
const AUTH_SALT = Buffer.from('Auth-Salt: ', 'latin1');
const PROTOCOL_LINES: Readonly<Record<AuthProtocolName, Buffer>> = {
  imap: Buffer.from('Auth-Protocol: imap\r\nAuth-Login-Attempt: ', 'latin1'),
  pop3: Buffer.from('Auth-Protocol: pop3\r\nAuth-Login-Attempt: ', 'latin1'),
  smtp: Buffer.from('Auth-Protocol: smtp\r\nAuth-Login-Attempt: ', 'latin1'),
};
const CRLF_CLIENT_IP = Buffer.from('\r\nClient-IP: ', 'latin1');
const CLIENT_HOST = Buffer.from('Client-Host: ', 'latin1');
const PP_ADDR = Buffer.from('Proxy-Protocol-Addr: ', 'latin1');
const PP_PORT = Buffer.from('Proxy-Protocol-Port: ', 'latin1');
const PP_SERVER_ADDR = Buffer.from('Proxy-Protocol-Server-Addr: ', 'latin1');
const PP_SERVER_PORT = Buffer.from('Proxy-Protocol-Server-Port: ', 'latin1');
const SMTP_HELO = Buffer.from('Auth-SMTP-Helo: ', 'latin1');
const SMTP_FROM = Buffer.from('Auth-SMTP-From: ', 'latin1');
const SMTP_TO = Buffer.from('Auth-SMTP-To: ', 'latin1');
const SSL_ON = Buffer.from('Auth-SSL: on\r\n', 'latin1');
const SSL_PROTOCOL = Buffer.from('Auth-SSL-Protocol: ', 'latin1');
const SSL_CIPHER = Buffer.from('Auth-SSL-Cipher: ', 'latin1');
const SSL_VERIFY = Buffer.from('Auth-SSL-Verify: ', 'latin1');
const SSL_SUBJECT = Buffer.from('Auth-SSL-Subject: ', 'latin1');
const SSL_ISSUER = Buffer.from('Auth-SSL-Issuer: ', 'latin1');
const SSL_SERIAL = Buffer.from('Auth-SSL-Serial: ', 'latin1');
const SSL_FINGERPRINT = Buffer.from('Auth-SSL-Fingerprint: ', 'latin1');
const SSL_CERT = Buffer.from('Auth-SSL-Cert: ', 'latin1');

const EMPTY = Buffer.alloc(0);

/** Whether nginx sends Auth-Salt (and then forgets the session password, reference 3.2). */
export function sendsSalt(request: AuthRequest): boolean {
  return (
    (request.method === 'apop' || request.method === 'cram-md5') &&
    request.salt !== null &&
    request.salt.length > 0
  );
}

function strLen(s: string | null): number {
  return s === null ? 0 : Buffer.byteLength(s, 'utf8');
}

/** Length of an optional `Name: value` CRLF line: 0 when the value is null or empty. */
function optLen(name: Buffer, value: string | null): number {
  const n = strLen(value);
  return n === 0 ? 0 : name.length + n + 2;
}

function putBuf(dst: Buffer, o: number, src: Buffer): number {
  return o + src.copy(dst, o);
}

function putStr(dst: Buffer, o: number, s: string): number {
  return o + dst.write(s, o, 'utf8');
}

function putLine(dst: Buffer, o: number, name: Buffer, value: string): number {
  o = putBuf(dst, o, name);
  o = putStr(dst, o, value);
  return putBuf(dst, o, CRLF);
}

function putOpt(dst: Buffer, o: number, name: Buffer, value: string | null): number {
  if (value === null || value.length === 0) return o;
  o = putBuf(dst, o, name);
  o = putStr(dst, o, value);
  return putBuf(dst, o, CRLF);
}

/**
 * Build one request into a single Buffer (reference 3.2's order). The result is fresh and owned by the
 * caller; the transport may keep it to re-send on WAIT (Q-8 fix: the retry carries the same digest).
 */
export function buildAuthRequest(target: PreparedAuthTarget, input: AuthRequestInput): Buffer {
  const req = input.request;
  const loginEsc = countEscapes(req.login);
  const passEsc = countEscapes(req.password);
  const salt = sendsSalt(req) ? (req.salt as Buffer) : null;
  const attempt = String(input.attempt);
  const host = input.clientHost === null || input.clientHost.length === 0 ? null : input.clientHost;
  const pp = input.proxyProtocol;
  const none = req.method === 'none';
  const tls = input.tls;
  const verified = tls !== null && tls.verify !== null;
  const certPem =
    verified && target.passClientCert && tls.certPem !== null && tls.certPem.length > 0
      ? Buffer.from(tls.certPem, 'utf8')
      : null;
  const certEsc = certPem === null ? 0 : countEscapes(certPem);

  let len =
    target.head.length +
    METHOD_LINES[req.method].length +
    req.login.length +
    2 * loginEsc +
    CRLF_AUTH_PASS.length +
    req.password.length +
    2 * passEsc +
    CRLF.length +
    PROTOCOL_LINES[input.protocol].length +
    attempt.length +
    CRLF_CLIENT_IP.length +
    strLen(input.clientIp) +
    CRLF.length +
    target.tail.length;
  // nginx: the salt already ends in CRLF, so no CRLF follows it.
  if (salt !== null) len += AUTH_SALT.length + salt.length;
  if (host !== null) len += optLen(CLIENT_HOST, host);
  if (pp !== null) {
    len += PP_ADDR.length + strLen(pp.srcAddr) + 2 + PP_PORT.length + String(pp.srcPort).length + 2;
    len +=
      PP_SERVER_ADDR.length + strLen(pp.dstAddr) + 2 + PP_SERVER_PORT.length + String(pp.dstPort).length + 2;
  }
  if (none) {
    // nginx: these three are always present for method none, even when empty, and never escaped.
    len += SMTP_HELO.length + (req.smtpHelo?.length ?? 0) + 2;
    len += SMTP_FROM.length + (req.smtpFrom?.length ?? 0) + 2;
    len += SMTP_TO.length + (req.smtpTo?.length ?? 0) + 2;
  }
  if (tls !== null) {
    len += SSL_ON.length + optLen(SSL_PROTOCOL, tls.protocol) + optLen(SSL_CIPHER, tls.cipher);
    if (verified) {
      len +=
        optLen(SSL_VERIFY, tls.verify) + optLen(SSL_SUBJECT, tls.subject) + optLen(SSL_ISSUER, tls.issuer);
      len += optLen(SSL_SERIAL, tls.serial) + optLen(SSL_FINGERPRINT, tls.fingerprint);
      if (certPem !== null) len += SSL_CERT.length + certPem.length + 2 * certEsc + 2;
    }
  }

  const out = Buffer.allocUnsafe(len);
  let o = putBuf(out, 0, target.head);
  o = putBuf(out, o, METHOD_LINES[req.method]);
  o = writeEscaped(req.login, out, o, loginEsc);
  o = putBuf(out, o, CRLF_AUTH_PASS);
  o = writeEscaped(req.password, out, o, passEsc);
  o = putBuf(out, o, CRLF);
  if (salt !== null) {
    o = putBuf(out, o, AUTH_SALT);
    o = putBuf(out, o, salt);
  }
  o = putBuf(out, o, PROTOCOL_LINES[input.protocol]);
  o += out.write(attempt, o, 'latin1');
  o = putBuf(out, o, CRLF_CLIENT_IP);
  o = putStr(out, o, input.clientIp);
  o = putBuf(out, o, CRLF);
  o = putOpt(out, o, CLIENT_HOST, host);
  if (pp !== null) {
    // nginx: all four lines whenever the connection carried addresses, ports as decimal.
    o = putLine(out, o, PP_ADDR, pp.srcAddr);
    o = putLine(out, o, PP_PORT, String(pp.srcPort));
    o = putLine(out, o, PP_SERVER_ADDR, pp.dstAddr);
    o = putLine(out, o, PP_SERVER_PORT, String(pp.dstPort));
  }
  if (none) {
    o = putRaw(out, o, SMTP_HELO, req.smtpHelo);
    o = putRaw(out, o, SMTP_FROM, req.smtpFrom);
    o = putRaw(out, o, SMTP_TO, req.smtpTo);
  }
  if (tls !== null) {
    o = putBuf(out, o, SSL_ON);
    o = putOpt(out, o, SSL_PROTOCOL, tls.protocol);
    o = putOpt(out, o, SSL_CIPHER, tls.cipher);
    if (verified) {
      o = putOpt(out, o, SSL_VERIFY, tls.verify);
      o = putOpt(out, o, SSL_SUBJECT, tls.subject);
      o = putOpt(out, o, SSL_ISSUER, tls.issuer);
      o = putOpt(out, o, SSL_SERIAL, tls.serial);
      o = putOpt(out, o, SSL_FINGERPRINT, tls.fingerprint);
      if (certPem !== null) {
        o = putBuf(out, o, SSL_CERT);
        o = writeEscaped(certPem, out, o, certEsc);
        o = putBuf(out, o, CRLF);
      }
    }
  }
  o = putBuf(out, o, target.tail);
  assert.equal(o, len, 'auth request length mismatch');
  return out;
}

function putRaw(dst: Buffer, o: number, name: Buffer, value: Buffer | null): number {
  o = putBuf(dst, o, name);
  o = putBuf(dst, o, value ?? EMPTY);
  return putBuf(dst, o, CRLF);
}
