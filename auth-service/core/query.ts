/**
 * One auth_http request reduced to what the decision needs (reference 3.2), from either transport.
 *
 * Owns: validating the headers — a known Auth-Method and Auth-Protocol, a Client-IP that is an IP
 * address, an Auth-Login-Attempt that is a small number, well-formed `%XX` escapes, and sizes within
 * limits — and turning them into an AuthQuery. Anything else is an `invalid` result with a reason for
 * the log; the caller answers it with a failure. Never throws on input.
 * Does not own how headers were read (http/) or what the answer is (decide.ts).
 */
import { isIP } from 'node:net';
import type { AuthMethodName, AuthProtocolName } from '../../src/auth/types.js';
import { percentDecode } from './percent.js';

/** The request headers the service reads. Values are as received; user and pass still escaped. */
export interface WireHeaders {
  readonly method: string;
  readonly user: Buffer;
  readonly pass: Buffer;
  readonly salt: string;
  readonly protocol: string;
  readonly attempt: string;
  readonly clientIp: string;
  readonly sslVerify: string;
  readonly sslSubject: string;
  readonly sslFingerprint: string;
  readonly smtpTo: string;
}

export interface AuthQuery {
  readonly method: AuthMethodName;
  readonly protocol: AuthProtocolName;
  /** Auth-User, decoded */
  readonly user: Buffer;
  /** Auth-Pass, decoded (the password, the APOP/CRAM-MD5 digest, or the OAuth token) */
  readonly pass: Buffer;
  /** Auth-Salt without its trailing CRLF (APOP and CRAM-MD5), else '' */
  readonly salt: string;
  readonly attempt: number;
  readonly clientIp: string;
  readonly sslVerify: string;
  readonly sslSubject: string;
  readonly sslFingerprint: string;
  readonly smtpTo: string;
}

export type QueryResult = { readonly ok: true; readonly query: AuthQuery } | { readonly ok: false; readonly reason: string };

/** Longest decoded Auth-User / Auth-Pass accepted (an OAuth token is the longest legitimate value). */
export const MAX_CREDENTIAL_BYTES = 8192;

const METHODS: ReadonlySet<string> = new Set<AuthMethodName>([
  'plain', 'apop', 'cram-md5', 'external', 'none', 'xoauth2', 'oauthbearer',
]);
const PROTOCOLS: ReadonlySet<string> = new Set<AuthProtocolName>(['imap', 'pop3', 'smtp']);

function invalid(reason: string): QueryResult {
  return { ok: false, reason };
}

export function parseQuery(h: WireHeaders): QueryResult {
  if (!METHODS.has(h.method)) return invalid(h.method === '' ? 'no Auth-Method' : 'unknown Auth-Method');
  if (!PROTOCOLS.has(h.protocol)) return invalid(h.protocol === '' ? 'no Auth-Protocol' : 'unknown Auth-Protocol');
  if (h.clientIp === '') return invalid('no Client-IP');
  if (isIP(h.clientIp) === 0) return invalid('Client-IP is not an IP address');
  let attempt = 1;
  if (h.attempt !== '') {
    if (!/^\d{1,6}$/.test(h.attempt)) return invalid('bad Auth-Login-Attempt');
    attempt = Number(h.attempt);
  }
  if (h.user.length > 3 * MAX_CREDENTIAL_BYTES || h.pass.length > 3 * MAX_CREDENTIAL_BYTES)
    return invalid('Auth-User or Auth-Pass too long');
  const user = percentDecode(h.user);
  if (user === null) return invalid('bad %-escape in Auth-User');
  const pass = percentDecode(h.pass);
  if (pass === null) return invalid('bad %-escape in Auth-Pass');
  if (user.length > MAX_CREDENTIAL_BYTES || pass.length > MAX_CREDENTIAL_BYTES)
    return invalid('Auth-User or Auth-Pass too long');
  return {
    ok: true,
    query: {
      method: h.method as AuthMethodName,
      protocol: h.protocol as AuthProtocolName,
      user,
      pass,
      // nginx sends the salt with its own CRLF; a transport may already have trimmed it
      salt: h.salt.replace(/\r?\n$/, ''),
      attempt,
      clientIp: h.clientIp,
      sslVerify: h.sslVerify,
      sslSubject: h.sslSubject,
      sslFingerprint: h.sslFingerprint,
      smtpTo: h.smtpTo,
    },
  };
}
