/**
 * The auth request tests hand the auth client (src/auth/), built once: alice/secret over PLAIN from
 * 192.0.2.7 on the first IMAP attempt, no TLS, PROXY or SMTP details; each test overrides what it is about.
 *
 * Owns: those default values. Does not own the auth service fakes (fake-auth-http.ts) or the targets.
 */
import type { AuthHttpInput } from '../../src/auth/auth-http.js';
import type { AuthRequest } from '../../src/protocol/types.js';

/** What a protocol module decided, with `over` applied. */
export function authRequest(over: Partial<AuthRequest> = {}): AuthRequest {
  return {
    method: 'plain',
    login: Buffer.from('alice'),
    password: Buffer.from('secret'),
    salt: null,
    smtpHelo: null,
    smtpFrom: null,
    smtpTo: null,
    ...over,
  };
}

/** One login's input to the auth client (also an AuthRequestInput for request.ts), with `over` applied. */
export function authInput(over: Partial<AuthHttpInput> = {}): AuthHttpInput {
  return {
    request: authRequest(),
    protocol: 'imap',
    attempt: 1,
    clientIp: '192.0.2.7',
    clientHost: null,
    proxyProtocol: null,
    tls: null,
    ...over,
  };
}
