/**
 * An auth_http script in front of real backends (Dovecot, Postfix) for the POP3 and SMTP end-to-end
 * tests, shared by this directory and ../smtp/. It does what a real auth service must: checks APOP and
 * CRAM-MD5 digests against known passwords and answers with the plain password in Auth-Pass (the proxy
 * cannot forward a digest); optionally checks plain passwords itself (an SMTP backend behind XCLIENT
 * never sees one); and decides `smtp_auth none` mail from the sender and recipient.
 *
 * Owns: those decisions and the replies. Does not own the fake service (test/helpers/fake-auth-http.ts).
 */
import { createHash, createHmac } from 'node:crypto';
import { fail, ok, pctDecode, type FakeAuthReply, type FakeAuthRequest } from '../../helpers/fake-auth-http.js';

export interface BackendAuthOptions {
  readonly port: number;
  /** user → plain password */
  readonly passwords: Readonly<Record<string, string>>;
  /** check PLAIN/LOGIN passwords here as well (default: leave them to the backend) */
  readonly checkPlain?: boolean;
  /**
   * `Auth-Method: none`: the reply for this MAIL FROM and RCPT TO command text (e.g.
   * `MAIL FROM:<a@b>`, `RCPT TO:<c@d>`); null accepts. Without it every such request is accepted.
   */
  readonly relay?: (from: string, to: string, helo: string) => FakeAuthReply | null;
}

/** nginx sends the salt with its own CRLF, so the header value is the salt itself. */
function salt(req: FakeAuthRequest): string {
  return req.header('Auth-Salt') ?? '';
}

export const REFUSED = 'Invalid login or password';

export function backendAuth(o: BackendAuthOptions): (req: FakeAuthRequest) => FakeAuthReply {
  return (req) => {
    const method = req.header('Auth-Method');
    if (method === 'none') {
      const verdict = o.relay?.(req.header('Auth-SMTP-From') ?? '', req.header('Auth-SMTP-To') ?? '', req.header('Auth-SMTP-Helo') ?? '');
      return verdict ?? ok('127.0.0.1', o.port);
    }
    const user = pctDecode(req.header('Auth-User') ?? '').toString('latin1');
    const given = pctDecode(req.header('Auth-Pass') ?? '').toString('latin1');
    const password = o.passwords[user];
    if (method !== 'apop' && method !== 'cram-md5') {
      if (o.checkPlain === true && password !== given) return fail(REFUSED);
      return ok('127.0.0.1', o.port);
    }
    if (password === undefined) return fail(REFUSED);
    const expected =
      method === 'apop'
        ? createHash('md5').update(salt(req) + password).digest('hex')
        : createHmac('md5', password).update(salt(req)).digest('hex');
    if (given !== expected) return fail(REFUSED);
    return ok('127.0.0.1', o.port, [['Auth-Pass', password]]);
  };
}
