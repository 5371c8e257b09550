/**
 * Certificates by SNI on one listener (`ssl_sni_certificate`, ours: nginx's mail module has no SNI
 * callback, reference L6): two domains each get their own certificate, verified by `openssl s_client`
 * against the test CA with hostname checking, over implicit TLS and after STARTTLS; an unknown name, a
 * name shaped like a path and no name at all get the default pairs, where OpenSSL still picks RSA or
 * ECDSA by the client's signature algorithms.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeCerts, type CertSet } from '../../helpers/certs.js';
import { sClient } from '../../helpers/clients.js';
import { fail, startFakeAuthHttp, type FakeAuthHttp } from '../../helpers/fake-auth-http.js';
import { freePort } from '../../helpers/ports.js';
import { startEdgeProxy, type EdgeProxy } from '../edge/edge-proxy.js';

describe('certificates chosen by SNI on one listener', () => {
  let certs: CertSet;
  let auth: FakeAuthHttp;
  let proxy: EdgeProxy;
  let implicit: number;
  let starttls: number;

  before(async () => {
    certs = await makeCerts();
    auth = await startFakeAuthHttp({ script: [fail('Invalid login or password')] });
    implicit = await freePort();
    starttls = await freePort();
    const [mail, smtp] = certs.sniNames as [string, string];
    const sni = (name: string): string => {
      const pair = certs.sni[name];
      assert.ok(pair !== undefined);
      return `ssl_sni_certificate ${name} ${pair.cert} ${pair.key};`;
    };
    proxy = await startEdgeProxy(
      {
        mail: `auth_http ${auth.url};
ssl_certificate ${certs.serverRsa.cert};
ssl_certificate_key ${certs.serverRsa.key};
ssl_certificate ${certs.serverEcdsa.cert};
ssl_certificate_key ${certs.serverEcdsa.key};
${sni(mail)}
${sni(smtp)}
server { listen 127.0.0.1:${implicit} ssl; protocol imap; }
server { listen 127.0.0.1:${starttls}; protocol smtp; starttls on; }`,
      },
      [{ port: implicit }, { port: starttls }],
    );
  });

  after(async () => {
    await proxy.stop();
    await auth.close();
  });

  interface Seen {
    readonly subject: string;
    readonly keyBits: number;
    readonly verify: string;
    readonly out: string;
  }

  /** What certificate s_client got, and whether it verified against the CA for `verifyName`. */
  const handshake = async (o: {
    port: number;
    starttls?: 'smtp';
    servername?: string;
    verifyName?: string;
    sigalgs?: string;
  }): Promise<Seen> => {
    const args = ['-CAfile', certs.caCert];
    if (o.servername === undefined) args.push('-noservername');
    if (o.verifyName !== undefined) args.push('-verify_hostname', o.verifyName);
    if (o.sigalgs !== undefined) args.push('-sigalgs', o.sigalgs);
    const r = await sClient({
      port: o.port,
      ...(o.starttls === undefined ? {} : { starttls: o.starttls }),
      ...(o.servername === undefined ? {} : { servername: o.servername }),
      args,
      input: o.starttls === 'smtp' ? 'QUIT\r\n' : 'a LOGOUT\r\n',
      timeoutMs: 10_000,
    });
    const out = r.stdout.toString('latin1');
    const subject = /^subject=(.*)$/m.exec(out)?.[1] ?? '';
    const bits = /^Server public key is (\d+) bit$/m.exec(out)?.[1] ?? '0';
    const verify = /^Verify return code: (.*)$/m.exec(out)?.[1] ?? '';
    return { subject, keyBits: Number(bits), verify, out };
  };

  for (const name of ['mail.postern.test', 'smtp.postern.test']) {
    it(`${name} gets its own certificate, valid for that name, over implicit TLS`, async () => {
      const s = await handshake({ port: implicit, servername: name, verifyName: name });
      assert.equal(s.subject, `CN = ${name}`, s.out);
      assert.equal(s.verify, '0 (ok)', s.out);
      // the session goes on: the greeting came inside TLS
      assert.ok(s.out.includes('* OK IMAP4 ready\r\n'), s.out);
    });

    it(`${name} gets its own certificate after STARTTLS`, async () => {
      const s = await handshake({ port: starttls, starttls: 'smtp', servername: name, verifyName: name });
      assert.equal(s.subject, `CN = ${name}`, s.out);
      assert.equal(s.verify, '0 (ok)', s.out);
      assert.ok(s.out.includes('221 2.0.0 Bye\r\n'), s.out);
    });
  }

  it('the name is matched without regard to case', async () => {
    const s = await handshake({ port: implicit, servername: 'MAIL.Postern.TEST', verifyName: 'mail.postern.test' });
    assert.equal(s.subject, 'CN = mail.postern.test', s.out);
    assert.equal(s.verify, '0 (ok)', s.out);
  });

  for (const [what, servername] of [
    ['an unknown name', 'unknown.postern.test'],
    ['a name shaped like a path', '../../mail.postern.test'],
    ['no name', undefined],
  ] as const) {
    it(`${what} gets the default certificate, ECDSA or RSA by the client's signature algorithms`, async () => {
      const ecdsa = await handshake({ port: implicit, ...(servername === undefined ? {} : { servername }), verifyName: 'localhost' });
      assert.equal(ecdsa.subject, 'CN = localhost', ecdsa.out);
      assert.equal(ecdsa.keyBits, 256, ecdsa.out);
      assert.equal(ecdsa.verify, '0 (ok)', ecdsa.out);
      const rsa = await handshake({
        port: implicit,
        ...(servername === undefined ? {} : { servername }),
        verifyName: 'localhost',
        sigalgs: 'rsa_pss_rsae_sha256:rsa_pkcs1_sha256',
      });
      assert.equal(rsa.subject, 'CN = localhost', rsa.out);
      assert.equal(rsa.keyBits, 2048, rsa.out);
      assert.equal(rsa.verify, '0 (ok)', rsa.out);
    });
  }

  it('logged nothing above info', () => {
    const bad = proxy.lines().filter((l) => !['info', 'notice'].includes(l.level));
    assert.deepEqual(bad, []);
  });
});
