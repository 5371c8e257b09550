/**
 * The real backends and auth service the TLS end-to-end tests share: one Dovecot (IMAP and POP3), one
 * Postfix (SMTP, trusting postern's XCLIENT), and an auth service that checks passwords and sends each
 * protocol to its backend, as a deployment's would.
 *
 * Owns: starting and stopping those three, the test users and their messages. Does not own postern
 * (../edge/edge-proxy.ts) or the clients (test/helpers/clients.ts).
 */
import { startDovecot, type Dovecot } from '../../helpers/dovecot.js';
import { fail, ok, pctDecode, startFakeAuthHttp, type FakeAuthHttp, type FakeAuthRequest } from '../../helpers/fake-auth-http.js';
import { startPostfix, type Postfix } from '../../helpers/postfix.js';

export const PASSWORD = 'tls-secret';
export const USERS = ['alice', 'bob', 'carol', 'dave'] as const;
/** the message every user finds in their INBOX */
export const INBOX_MESSAGE = Buffer.from(
  'From: sender@example.org\r\nTo: someone@example.test\r\nSubject: over TLS\r\n\r\nencrypted hello\r\n',
);

export interface TlsBackends {
  readonly dovecot: Dovecot;
  readonly postfix: Postfix | null;
  readonly auth: FakeAuthHttp;
  stop(): Promise<void>;
}

/** The auth service's decision: known user and password → the protocol's backend. */
export function checkingAuth(ports: { imap: number; pop3: number; smtp: number }): (req: FakeAuthRequest) => ReturnType<typeof ok> {
  return (req) => {
    const user = pctDecode(req.header('Auth-User') ?? '').toString('latin1');
    const pass = pctDecode(req.header('Auth-Pass') ?? '').toString('latin1');
    if (!(USERS as readonly string[]).includes(user) || pass !== PASSWORD) return fail('Invalid login or password');
    const proto = req.header('Auth-Protocol');
    return ok('127.0.0.1', proto === 'imap' ? ports.imap : proto === 'pop3' ? ports.pop3 : ports.smtp);
  };
}

export async function startTlsBackends(o: { postfix?: boolean; haproxy?: boolean } = {}): Promise<TlsBackends> {
  const dovecot = await startDovecot({
    users: USERS.map((user) => ({ user, password: PASSWORD })),
    ...(o.haproxy === true ? { haproxy: true } : {}),
  });
  for (const u of USERS) dovecot.deliver(u, INBOX_MESSAGE);
  let postfix: Postfix | null = null;
  let auth: FakeAuthHttp;
  try {
    if (o.postfix !== false) postfix = await startPostfix({ users: [...USERS] });
    const smtp = postfix?.smtpPort ?? 0;
    auth = await startFakeAuthHttp({ script: checkingAuth({ imap: dovecot.imapPort, pop3: dovecot.pop3Port, smtp }) });
  } catch (err) {
    await postfix?.stop();
    await dovecot.stop();
    throw err;
  }
  const a = auth;
  return {
    dovecot,
    postfix,
    auth: a,
    stop: async () => {
      await a.close();
      await postfix?.stop();
      await dovecot.stop();
    },
  };
}
