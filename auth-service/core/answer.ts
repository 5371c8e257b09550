/**
 * What the service answers, and the Auth-* header lines for it (reference 3.4, 3.5).
 *
 * Owns: the Answer union, the texts a client sees per protocol (IMAP and POP3 response codes inside
 * the text, as the reference suggests: nginx passes the text through), the SMTP codes, and turning an
 * Answer into header pairs. Values that reach a header are checked for CR/LF (header injection).
 * Does not own HTTP framing (http/).
 */
import type { AuthProtocolName } from '../../src/auth/types.js';

export type Answer =
  | {
      readonly type: 'ok';
      readonly server: string;
      readonly port: number;
      /** Auth-User: the backend login when it differs from the client's (destuser) */
      readonly user: Buffer | null;
      /** Auth-Pass: needed by the proxy for APOP, CRAM-MD5, EXTERNAL and OAuth, or a `pass=` override */
      readonly pass: Buffer | null;
    }
  | {
      readonly type: 'fail';
      readonly reason: FailReason;
      /** Auth-Wait seconds; 0 leaves the header out (the proxy then closes the connection) */
      readonly waitSec: number;
    };

export const FAIL_REASONS = ['credentials', 'temporary', 'locked', 'invalid'] as const;
export type FailReason = (typeof FAIL_REASONS)[number];

/** Auth-Status texts: what the client is shown after `NO` / `-ERR` / the SMTP code. */
const TEXTS: Readonly<Record<FailReason, Readonly<Record<AuthProtocolName, string>>>> = {
  credentials: {
    imap: '[AUTHENTICATIONFAILED] Authentication failed.',
    pop3: '[AUTH] Authentication failed.',
    smtp: 'Authentication credentials invalid',
  },
  temporary: {
    imap: '[UNAVAILABLE] Temporary authentication failure.',
    pop3: '[SYS/TEMP] Temporary authentication failure.',
    smtp: 'Temporary authentication failure',
  },
  locked: {
    imap: '[UNAVAILABLE] Too many failed logins, try again later.',
    pop3: '[SYS/TEMP] Too many failed logins, try again later.',
    smtp: 'Too many failed logins, try again later',
  },
  invalid: {
    imap: '[UNAVAILABLE] Invalid authentication request.',
    pop3: '[SYS/TEMP] Invalid authentication request.',
    smtp: 'Invalid authentication request',
  },
};

/** Auth-Error-Code (SMTP only; nginx's default is `535 5.7.0`). RFC 4954 section 6 codes. */
const SMTP_CODES: Readonly<Record<FailReason, string>> = {
  credentials: '535 5.7.8',
  temporary: '454 4.7.0',
  locked: '454 4.7.0',
  invalid: '454 4.7.0',
};

export function failText(reason: FailReason, protocol: AuthProtocolName | null): string {
  return TEXTS[reason][protocol ?? 'imap'];
}

export type HeaderPair = readonly [string, string | Buffer];

/** True when a value may go into a header line as is. */
export function headerSafe(v: Buffer | string): boolean {
  const b = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
  return !b.includes(0x0d) && !b.includes(0x0a) && !b.includes(0x00);
}

/**
 * The Auth-* headers for `answer`. `protocol` is null when the request was too broken to tell (the
 * IMAP text is used then; nginx shows it after `NO` / `-ERR` either way).
 */
export function answerHeaders(answer: Answer, protocol: AuthProtocolName | null): HeaderPair[] {
  if (answer.type === 'ok') {
    const out: HeaderPair[] = [
      ['Auth-Status', 'OK'],
      ['Auth-Server', answer.server],
      ['Auth-Port', String(answer.port)],
    ];
    if (answer.user !== null) out.push(['Auth-User', answer.user]);
    if (answer.pass !== null) out.push(['Auth-Pass', answer.pass]);
    return out;
  }
  const out: HeaderPair[] = [['Auth-Status', failText(answer.reason, protocol)]];
  if (answer.waitSec > 0) out.push(['Auth-Wait', String(answer.waitSec)]);
  if (protocol === 'smtp' || protocol === null) out.push(['Auth-Error-Code', SMTP_CODES[answer.reason]]);
  return out;
}
