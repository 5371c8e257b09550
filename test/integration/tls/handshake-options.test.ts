/**
 * The ssl_* handshake settings seen from a real client (`openssl s_client`), with nginx 1.22 on the same
 * configuration as the reference: an encrypted key opened with `ssl_password_file`, `ssl_protocols`
 * (TLSv1.3 refused when only TLSv1.2 is listed), `ssl_ciphers` with `ssl_prefer_server_ciphers`,
 * `ssl_dhparam` (a DHE suite works), ALPN (reference 6.1: `imap` is selected, a list without it is
 * refused with a fatal alert, no ALPN is fine), and the Auth-SSL-Protocol / Auth-SSL-Cipher values the
 * auth service receives for TLS 1.2 (OpenSSL's cipher names).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeCerts, type CertSet } from '../../helpers/certs.js';
import { sClient } from '../../helpers/clients.js';
import { fail, startFakeAuthHttp, type FakeAuthHttp } from '../../helpers/fake-auth-http.js';
import { startNginx, type Nginx } from '../../helpers/nginx.js';
import { freePort } from '../../helpers/ports.js';
import { parseEdgeLog, startEdgeProxy, type EdgeProxy } from '../edge/edge-proxy.js';

type Target = 'postern' | 'nginx';

function mailConfig(certs: CertSet, authUrl: string, port: number): string {
  return `auth_http ${authUrl};
server {
  listen 127.0.0.1:${port} ssl;
  protocol imap;
  ssl_certificate ${certs.encrypted.cert};
  ssl_certificate_key ${certs.encrypted.key};
  ssl_password_file ${certs.encrypted.passwordFile};
  ssl_protocols TLSv1.2;
  ssl_ciphers ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384;
  ssl_prefer_server_ciphers on;
  ssl_dhparam ${certs.dhparam};
}`;
}

describe('ssl_* handshake settings, compared with nginx 1.22', () => {
  let certs: CertSet;
  let auth: FakeAuthHttp;
  let proxy: EdgeProxy;
  let nginx: Nginx;
  const ports: Record<Target, number> = { postern: 0, nginx: 0 };

  before(async () => {
    certs = await makeCerts();
    auth = await startFakeAuthHttp({ script: [fail('Invalid login or password')] });
    ports.postern = await freePort();
    ports.nginx = await freePort();
    proxy = await startEdgeProxy({ mail: mailConfig(certs, auth.url, ports.postern) }, [{ port: ports.postern }]);
    nginx = await startNginx({ mailConfig: mailConfig(certs, auth.url, ports.nginx) });
  });

  after(async () => {
    await nginx.stop();
    await proxy.stop();
    await auth.close();
  });

  const logText = (t: Target): string => (t === 'postern' ? proxy.logText() : nginx.errorLog());

  /** s_client with `args`, a LOGIN that the auth service refuses; returns s_client's stdout. */
  const handshake = async (t: Target, args: readonly string[]): Promise<string> => {
    const r = await sClient({ port: ports[t], args, input: 'a LOGIN user pass\r\nb LOGOUT\r\n', timeoutMs: 10_000 });
    return r.stdout.toString('latin1');
  };

  /** The failure line the target logged after `since` for a handshake it refused. */
  const failureLine = async (t: Target, since: number): Promise<string> => {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const hit = parseEdgeLog(logText(t).slice(since)).find((l) => l.text.startsWith('SSL_do_handshake() failed'));
      if (hit !== undefined) return `[${hit.level}] ${hit.text.replace(/server: 127\.0\.0\.1:\d+/, 'server: <listen>')}`;
      if (Date.now() > deadline) assert.fail(`${t} logged no handshake failure:\n${logText(t).slice(since)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  for (const t of ['postern', 'nginx'] as const) {
    describe(t, () => {
      it('the encrypted key serves TLS 1.2 with the preferred cipher; the auth service gets OpenSSL names', async () => {
        const before = auth.requests.length;
        const out = await handshake(t, []);
        assert.match(out, /^New, TLSv1\.2, Cipher is ECDHE-RSA-AES128-GCM-SHA256$/m, out);
        assert.ok(out.includes('a NO Invalid login or password\r\n'), out);
        assert.equal(auth.requests.length, before + 1);
        const req = auth.requests.at(-1);
        assert.equal(req?.header('Auth-SSL'), 'on');
        assert.equal(req.header('Auth-SSL-Protocol'), 'TLSv1.2');
        assert.equal(req.header('Auth-SSL-Cipher'), 'ECDHE-RSA-AES128-GCM-SHA256');
      });

      it('a DHE suite uses the ssl_dhparam group', async () => {
        const out = await handshake(t, ['-cipher', 'DHE-RSA-AES256-GCM-SHA384']);
        assert.match(out, /^New, TLSv1\.2, Cipher is DHE-RSA-AES256-GCM-SHA384$/m, out);
        assert.match(out, /^Server Temp Key: DH, 2048 bits$/m, out);
        assert.equal(auth.requests.at(-1)?.header('Auth-SSL-Cipher'), 'DHE-RSA-AES256-GCM-SHA384');
      });

      it('ALPN: `imap` is selected, and a client without ALPN is served', async () => {
        assert.match(await handshake(t, ['-alpn', 'http/1.1,imap']), /^ALPN protocol: imap$/m);
        assert.match(await handshake(t, []), /^No ALPN negotiated$/m);
      });

      it('ALPN without `imap` is refused with a fatal alert, logged at info', async () => {
        const since = logText(t).length;
        const out = await handshake(t, ['-alpn', 'http/1.1']);
        assert.doesNotMatch(out, /\* OK IMAP4 ready/);
        assert.equal(
          await failureLine(t, since),
          '[info] SSL_do_handshake() failed (SSL: error:0A0000EB:SSL routines::no application protocol) while SSL handshaking, client: 127.0.0.1, server: <listen>',
        );
      });

      it('TLS 1.3 is refused when ssl_protocols lists only TLSv1.2, logged at info', async () => {
        const since = logText(t).length;
        const out = await handshake(t, ['-tls1_3']);
        assert.doesNotMatch(out, /\* OK IMAP4 ready/);
        assert.equal(
          await failureLine(t, since),
          '[info] SSL_do_handshake() failed (SSL: error:0A000102:SSL routines::unsupported protocol) while SSL handshaking, client: 127.0.0.1, server: <listen>',
        );
      });

      it('a cipher outside ssl_ciphers is refused (no shared cipher), logged at info', async () => {
        const since = logText(t).length;
        const out = await handshake(t, ['-tls1_2', '-cipher', 'AES256-SHA256']);
        assert.doesNotMatch(out, /\* OK IMAP4 ready/);
        assert.equal(
          await failureLine(t, since),
          '[info] SSL_do_handshake() failed (SSL: error:0A0000C1:SSL routines::no shared cipher) while SSL handshaking, client: 127.0.0.1, server: <listen>',
        );
      });
    });
  }
});
