/**
 * Client certificates end to end (reference 6.3, 3.2, 3.6): SASL EXTERNAL with a certificate the CA
 * signed logs in to Dovecot (openssl s_client and curl), and the auth service receives the
 * Auth-SSL-Verify/-Subject/-Issuer/-Serial/-Fingerprint headers and, with auth_http_pass_client_cert,
 * -Cert; `ssl_verify_client on` without a certificate gets `No required SSL certificate`, a revoked or
 * untrusted certificate `SSL certificate error`, each logged at info.
 *
 * nginx 1.22 runs the same configuration against the same auth service and backend: the certificate
 * headers, the replies and the log lines (context ports aside) must be identical.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import { makeCerts, type CertSet, type KeyPair } from '../../helpers/certs.js';
import { curl, sClient } from '../../helpers/clients.js';
import { connectLine } from '../../helpers/line-client.js';
import { startDovecot, type Dovecot } from '../../helpers/dovecot.js';
import { fail, ok, pctDecode, startFakeAuthHttp, type FakeAuthHttp, type FakeAuthRequest } from '../../helpers/fake-auth-http.js';
import { startNginx, type Nginx } from '../../helpers/nginx.js';
import { freePort } from '../../helpers/ports.js';
import { parseEdgeLog, portsOf, startEdgeProxy, type EdgeProxy } from '../edge/edge-proxy.js';

const PASSWORD = 'cert-user-password';
const MESSAGE = Buffer.from('From: ca@example.org\r\nSubject: certified\r\n\r\nsigned and sealed\r\n');

interface Ports {
  /** IMAP, implicit TLS, ssl_verify_client on, EXTERNAL */
  readonly imap: number;
  /** POP3, implicit TLS, ssl_verify_client optional */
  readonly pop3: number;
  /** SMTP, STARTTLS, ssl_verify_client on */
  readonly smtp: number;
}

function mailConfig(certs: CertSet, authUrl: string, p: Ports): string {
  return `server_name mail.example.test;
auth_http ${authUrl};
auth_http_pass_client_cert on;
ssl_certificate ${certs.serverEcdsa.cert};
ssl_certificate_key ${certs.serverEcdsa.key};
ssl_client_certificate ${certs.caCert};
ssl_crl ${certs.crl};
ssl_verify_client on;
server { listen 127.0.0.1:${p.imap} ssl; protocol imap; imap_auth external; }
server { listen 127.0.0.1:${p.pop3} ssl; protocol pop3; ssl_verify_client optional; }
server { listen 127.0.0.1:${p.smtp}; protocol smtp; starttls on; smtp_auth external; }
`;
}

/** nginx's escaping of Auth-* values (reference 3.2): controls, space and % as %XX. */
function escapeAuth(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    out += c <= 0x20 || c === 0x25 ? `%${c.toString(16).toUpperCase().padStart(2, '0')}` : ch;
  }
  return out;
}

const SSL_HEADERS = ['Auth-SSL-Verify', 'Auth-SSL-Subject', 'Auth-SSL-Issuer', 'Auth-SSL-Serial', 'Auth-SSL-Fingerprint', 'Auth-SSL-Cert'];

/** The certificate headers of a request, in order. */
function sslHeaders(req: FakeAuthRequest | undefined): [string, string][] {
  assert.ok(req !== undefined, 'no auth request');
  return req.headers.filter(([k]) => SSL_HEADERS.includes(k)).map(([k, v]) => [k, v]);
}

/** A log line's text with the listen port masked, so postern's and nginx's can be compared. */
const masked = (text: string): string => text.replace(/server: 127\.0\.0\.1:\d+/, 'server: 127.0.0.1:PORT');

describe('client certificates through postern, compared with nginx 1.22', () => {
  let certs: CertSet;
  let dovecot: Dovecot;
  let auth: FakeAuthHttp;
  let proxy: EdgeProxy;
  let nginx: Nginx;
  const ports: Record<'postern' | 'nginx', Ports> = {
    postern: { imap: 0, pop3: 0, smtp: 0 },
    nginx: { imap: 0, pop3: 0, smtp: 0 },
  };

  before(async () => {
    certs = await makeCerts();
    dovecot = await startDovecot({ users: [{ user: 'alice', password: PASSWORD }] });
    dovecot.deliver('alice', MESSAGE);
    // A real EXTERNAL deployment: the certificate decides; the service hands the proxy the backend login.
    auth = await startFakeAuthHttp({
      script: (req) => {
        if (req.header('Auth-Method') === 'external') {
          if (req.header('Auth-SSL-Verify') !== 'SUCCESS' || req.header('Auth-SSL-Subject') !== 'CN=client') {
            return fail('Certificate not accepted');
          }
          return ok('127.0.0.1', dovecot.imapPort, [
            ['Auth-User', 'alice'],
            ['Auth-Pass', PASSWORD],
          ]);
        }
        const user = pctDecode(req.header('Auth-User') ?? '').toString('latin1');
        const pass = pctDecode(req.header('Auth-Pass') ?? '').toString('latin1');
        if (user !== 'alice' || pass !== PASSWORD) return fail('Invalid login or password');
        return ok('127.0.0.1', req.header('Auth-Protocol') === 'pop3' ? dovecot.pop3Port : dovecot.imapPort);
      },
    });
    for (const t of ['postern', 'nginx'] as const) {
      ports[t] = { imap: await freePort(), pop3: await freePort(), smtp: await freePort() };
    }
    proxy = await startEdgeProxy(
      { mail: mailConfig(certs, auth.url, ports.postern) },
      portsOf(ports.postern),
    );
    nginx = await startNginx({ mailConfig: mailConfig(certs, auth.url, ports.nginx) });
  });

  after(async () => {
    await nginx.stop();
    await proxy.stop();
    await auth.close();
    await dovecot.stop();
  });

  const certArgs = (pair: KeyPair): string[] => ['-cert', pair.cert, '-key', pair.key];

  /** The expected certificate headers for the good client certificate (OpenSSL's formats). */
  const expectedHeaders = (): [string, string][] => {
    const pem = readFileSync(certs.client.cert, 'latin1');
    const x = new X509Certificate(pem);
    return [
      ['Auth-SSL-Verify', 'SUCCESS'],
      ['Auth-SSL-Subject', 'CN=client'],
      ['Auth-SSL-Issuer', 'CN=postern test CA'],
      ['Auth-SSL-Serial', x.serialNumber.toUpperCase()],
      ['Auth-SSL-Fingerprint', x.fingerprint.replace(/:/g, '').toLowerCase()],
      ['Auth-SSL-Cert', escapeAuth(pem)],
    ];
  };

  /** The info lines a target logged after `since` (its own log format parsed the same way). */
  const infoTexts = (target: 'postern' | 'nginx', since: number): string[] => {
    const text = target === 'postern' ? proxy.logText() : nginx.errorLog();
    return parseEdgeLog(text.slice(since))
      .filter((l) => l.level === 'info')
      .map((l) => masked(l.text));
  };
  const mark = (target: 'postern' | 'nginx'): number =>
    target === 'postern' ? proxy.mark() : nginx.errorLog().length;

  const loginFailedPattern = /client login failed/;

  for (const target of ['postern', 'nginx'] as const) {
    describe(target, () => {
      it('s_client with the CA-signed certificate logs in with AUTHENTICATE EXTERNAL and reads the mailbox', async () => {
        const before = auth.requests.length;
        const r = await sClient({
          port: ports[target].imap,
          quiet: true,
          args: certArgs(certs.client),
          input: 'a AUTHENTICATE EXTERNAL =\r\nb SELECT INBOX\r\nc FETCH 1 BODY.PEEK[]\r\nd LOGOUT\r\n',
        });
        const out = r.stdout.toString('latin1');
        assert.match(out, /^\* OK IMAP4 ready\r\na OK \[CAPABILITY [^\]]*\] Logged in\r\n/, out);
        assert.ok(out.includes(MESSAGE.toString('latin1')), out);
        assert.equal(auth.requests.length, before + 1);
        const req = auth.requests.at(-1);
        assert.equal(req?.header('Auth-Method'), 'external');
        assert.equal(req.header('Auth-User'), '');
        assert.equal(req.header('Auth-Pass'), '');
        assert.deepEqual(sslHeaders(req), expectedHeaders());
      });

      it('a resumed session still carries the certificate: EXTERNAL logs in with the same headers', async () => {
        // Node's client waits for the greeting before it sends: nginx 1.22 may leave a command that came
        // with the client's last handshake flight unread (it resets the read event after the handshake)
        const tlsOpts = { cert: readFileSync(certs.client.cert), key: readFileSync(certs.client.key) };
        const login = async (session?: Buffer): Promise<{ session: Buffer | undefined; reused: boolean }> => {
          const c = await connectLine({ port: ports[target].imap, tls: { ...tlsOpts, ...(session === undefined ? {} : { session }) } });
          try {
            await c.expect('* OK IMAP4 ready\r\n');
            c.send('a AUTHENTICATE EXTERNAL =\r\n');
            await c.expect(/^a OK \[CAPABILITY [^\]]*\] Logged in\r\n$/);
            c.send('b LOGOUT\r\n');
            await c.skipUntil(/^b OK/);
            const s = c.socket as TLSSocket;
            return { session: s.getSession(), reused: s.isSessionReused() };
          } finally {
            c.destroy();
          }
        };
        const first = await login();
        assert.equal(first.reused, false);
        assert.ok(first.session !== undefined);
        const before = auth.requests.length;
        const again = await login(first.session);
        assert.equal(again.reused, true);
        assert.equal(auth.requests.length, before + 1);
        assert.deepEqual(sslHeaders(auth.requests.at(-1)), expectedHeaders());
      });

      it('curl logs in with --login-options AUTH=EXTERNAL and its client certificate', async () => {
        const before = auth.requests.length;
        const r = await curl([
          '-sS',
          '-k',
          '--max-time',
          '20',
          '--cert',
          certs.client.cert,
          '--key',
          certs.client.key,
          '--login-options',
          'AUTH=EXTERNAL',
          '-u',
          'alice:',
          `imaps://127.0.0.1:${ports[target].imap}/INBOX;UID=1`,
        ]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.toString('latin1'), MESSAGE.toString('latin1'));
        const req = auth.requests.at(-1);
        assert.equal(auth.requests.length, before + 1);
        assert.equal(req?.header('Auth-Method'), 'external');
        // curl sends the user name as the authorization identity
        assert.equal(req.header('Auth-User'), 'alice');
        assert.deepEqual(sslHeaders(req), expectedHeaders());
      });

      it('optional: a client without a certificate logs in with a password and the service sees NONE', async () => {
        const r = await sClient({ port: ports[target].pop3, quiet: true, input: `USER alice\r\nPASS ${PASSWORD}\r\nQUIT\r\n` });
        assert.match(r.stdout.toString('latin1'), /^\+OK POP3 ready\r\n\+OK\r\n\+OK Logged in\.\r\n\+OK Logging out/);
        assert.deepEqual(sslHeaders(auth.requests.at(-1)), [['Auth-SSL-Verify', 'NONE']]);
      });

      it('optional: a revoked certificate is still refused before the greeting', async () => {
        const at = mark(target);
        const r = await sClient({ port: ports[target].pop3, quiet: true, args: certArgs(certs.clientRevoked), input: 'QUIT\r\n' });
        assert.equal(r.stdout.toString('latin1'), '-ERR SSL certificate error\r\n');
        await waitForInfo(target, at, /certificate revoked/);
      });

      it('ssl_verify_client on without a certificate: IMAP gets "* BYE No required SSL certificate", logged at info', async () => {
        const at = mark(target);
        const before = auth.requests.length;
        const r = await sClient({ port: ports[target].imap, quiet: true, input: 'a CAPABILITY\r\n' });
        assert.equal(r.stdout.toString('latin1'), '* BYE No required SSL certificate\r\n');
        const lines = await waitForInfo(target, at, /no required SSL certificate/);
        assert.deepEqual(lines.filter((l) => !l.includes('connected to') && !l.startsWith('session closed')), [
          'client sent no required SSL certificate while SSL handshaking, client: 127.0.0.1, server: 127.0.0.1:PORT',
        ]);
        assert.equal(auth.requests.length, before);
      });

      it('ssl_verify_client on after STARTTLS without a certificate: SMTP gets 421 No required SSL certificate', async () => {
        const at = mark(target);
        const r = await sClient({ port: ports[target].smtp, starttls: 'smtp', quiet: true, input: 'EHLO x\r\n' });
        assert.equal(r.stdout.toString('latin1'), '421 4.7.1 No required SSL certificate\r\n');
        const lines = await waitForInfo(target, at, /no required SSL certificate/);
        // nginx marks the session `using starttls` from the start of the STARTTLS handshake
        // (ngx_mail_starttls_handler sets s->starttls before ngx_mail_ssl_init_connection)
        assert.ok(
          lines.includes('client sent no required SSL certificate while in starttls state, client: 127.0.0.1 using starttls, server: 127.0.0.1:PORT'),
          lines.join('\n'),
        );
      });

      for (const [what, pair, log] of [
        ['a revoked', 'clientRevoked', 'client SSL certificate verify error: (23:certificate revoked)'],
        // OpenSSL keeps the last error of the chain walk: with ssl_crl that is the missing CRL of the
        // self-signed certificate's unknown issuer, after 18 (self-signed certificate); nginx says the same
        ['an untrusted (self-signed)', 'clientUntrusted', 'client SSL certificate verify error: (3:unable to get certificate CRL)'],
      ] as const) {
        it(`${what} certificate: IMAP gets "* BYE SSL certificate error", logged at info`, async () => {
          const at = mark(target);
          const before = auth.requests.length;
          const r = await sClient({ port: ports[target].imap, quiet: true, args: certArgs(certs[pair]), input: 'a CAPABILITY\r\n' });
          assert.equal(r.stdout.toString('latin1'), '* BYE SSL certificate error\r\n');
          const lines = await waitForInfo(target, at, /verify error/);
          assert.ok(
            lines.includes(`${log} while SSL handshaking, client: 127.0.0.1, server: 127.0.0.1:PORT`),
            lines.join('\n'),
          );
          assert.equal(auth.requests.length, before);
          assert.equal(lines.some((l) => loginFailedPattern.test(l)), false);
        });
      }
    });
  }

  /** Waits until `target` logged an info line matching `re` after `since`; returns every info line since. */
  async function waitForInfo(target: 'postern' | 'nginx', since: number, re: RegExp): Promise<string[]> {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const lines = infoTexts(target, since);
      if (lines.some((l) => re.test(l))) return lines;
      if (Date.now() > deadline) assert.fail(`${target} logged no info line ${String(re)}:\n${lines.join('\n')}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
});
