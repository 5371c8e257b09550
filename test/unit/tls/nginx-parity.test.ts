/**
 * The same client certificates against Debian's nginx 1.22 mail module and against our TLS port: the
 * Auth-SSL-* headers nginx sends to auth_http must equal the values we compute, and tickets made under an
 * `ssl_session_ticket_key` file must be laid out the same way by both. (A ticket does not resume across
 * the two: nginx's session-ID context is a binary SHA-1, which Node cannot set — see docs/tls.md.)
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingHttpHeaders, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { connect, type ConnectionOptions } from 'node:tls';
import { buildTlsContexts } from '../../../src/tls/contexts.js';
import { createTlsPort } from '../../../src/tls/upgrade.js';
import type { TlsClientInfo } from '../../../src/tls/client-cert.js';
import { makeCerts, type CertSet, type KeyPair } from '../../helpers/certs.js';
import { startNginx, type Nginx } from '../../helpers/nginx.js';
import { freePort } from '../../helpers/ports.js';
import { subDir } from '../../helpers/run-dir.js';
import { makeExtraCerts, type ExtraCerts } from './extra-certs.js';
import { sslConfig, startTlsServer, tlsClient, type TlsTestServer } from './tls-harness.js';

/** What nginx put in the auth request, with Auth-SSL-Cert percent-decoded. */
function sslHeaders(h: IncomingHttpHeaders): Partial<TlsClientInfo> {
  const get = (name: string): string | null => {
    const v = h[name];
    return typeof v === 'string' ? v : null;
  };
  const cert = get('auth-ssl-cert');
  return {
    protocol: get('auth-ssl-protocol') ?? '',
    cipher: get('auth-ssl-cipher') ?? '',
    verify: get('auth-ssl-verify'),
    subject: get('auth-ssl-subject'),
    issuer: get('auth-ssl-issuer'),
    serial: get('auth-ssl-serial'),
    fingerprint: get('auth-ssl-fingerprint'),
    certPem: cert === null ? null : decodeURIComponent(cert),
  };
}

describe('parity with nginx 1.22', () => {
  let certs: CertSet;
  let extra: ExtraCerts;
  let nginx: Nginx;
  let auth: HttpServer;
  let ours: TlsTestServer;
  let nginxPort: number;
  let ticketFile: string;
  const authRequests: IncomingHttpHeaders[] = [];
  const waiters: ((h: IncomingHttpHeaders) => void)[] = [];

  before(async () => {
    certs = await makeCerts();
    extra = await makeExtraCerts(certs);
    ticketFile = join(subDir('nginx-tickets'), 'ticket.key');
    writeFileSync(ticketFile, randomBytes(48));
    auth = createHttpServer((req, res) => {
      const w = waiters.shift();
      if (w) w(req.headers);
      else authRequests.push(req.headers);
      res.writeHead(200, { 'Auth-Status': 'Invalid login or password' });
      res.end();
    });
    await new Promise<void>((r) => auth.listen(0, '127.0.0.1', r));
    const authPort = (auth.address() as AddressInfo).port;
    nginxPort = await freePort();
    nginx = await startNginx({
      mailConfig: `
        server {
          listen 127.0.0.1:${String(nginxPort)} ssl;
          protocol imap;
          auth_http 127.0.0.1:${String(authPort)}/auth;
          auth_http_pass_client_cert on;
          ssl_certificate ${certs.serverRsa.cert};
          ssl_certificate_key ${certs.serverRsa.key};
          ssl_protocols TLSv1.2 TLSv1.3;
          ssl_verify_client optional_no_ca;
          ssl_client_certificate ${certs.caCert};
          ssl_session_ticket_key ${ticketFile};
        }`,
    });
    const contexts = buildTlsContexts(
      sslConfig({
        certificates: [{ certificate: certs.serverRsa.cert, key: certs.serverRsa.key }],
        verifyClient: 'optional_no_ca',
        clientCertificate: certs.caCert,
        sessionTicketKeys: [ticketFile],
      }),
      { protocol: 'imap' },
    );
    ours = await startTlsServer(createTlsPort(contexts));
  });
  after(async () => {
    await ours.close();
    await nginx.stop();
    await new Promise((r) => auth.close(r));
  });

  function nextAuthRequest(): Promise<IncomingHttpHeaders> {
    const h = authRequests.shift();
    if (h) return Promise.resolve(h);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error('nginx sent no auth request')); }, 10_000);
      waiters.push((x) => {
        clearTimeout(timer);
        resolve(x);
      });
    });
  }

  /** Logs in over implicit TLS to nginx so that it asks auth_http; returns the headers it sent. */
  async function viaNginx(opts: ConnectionOptions): Promise<IncomingHttpHeaders> {
    const s = connect({ host: '127.0.0.1', port: nginxPort, rejectUnauthorized: false, ...opts });
    s.on('error', () => undefined);
    let greeted = false;
    s.on('data', (b: Buffer) => {
      if (!greeted && b.toString().startsWith('* OK')) {
        greeted = true;
        s.write('a LOGIN user secret\r\n');
      }
    });
    try {
      return await nextAuthRequest();
    } finally {
      s.destroy();
    }
  }

  async function viaUs(opts: ConnectionOptions): Promise<TlsClientInfo> {
    await tlsClient(ours.port, opts);
    const o = await ours.next();
    assert.ok(o.ok);
    return o.result.info;
  }

  const clients: [string, KeyPair | null][] = [];
  before(() => {
    clients.push(['no certificate', null], ['a CA-signed certificate', certs.client], ['a subject full of escapes', extra.oddClient], ['a self-signed certificate', certs.clientUntrusted]);
  });

  it('sends the same Auth-SSL-* values as nginx for each client certificate, under TLSv1.2 and TLSv1.3', async () => {
    for (const [what, kp] of clients) {
      for (const [label, opts] of [['TLSv1.2', { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' }], ['TLSv1.3', { minVersion: 'TLSv1.3' }]] as const) {
        const clientOpts: ConnectionOptions = { ...opts, ...(kp === null ? {} : { cert: readFileSync(kp.cert), key: readFileSync(kp.key) }) };
        const theirs = sslHeaders(await viaNginx(clientOpts));
        const mine = await viaUs(clientOpts);
        assert.deepEqual(theirs, mine, `${what}, ${label}`);
      }
    }
  });

  /**
   * The ticket inside a client's serialised session: nginx and Node both write key name (16) | IV (16) |
   * AES-128-CBC ciphertext | HMAC-SHA256 (32). Found by the key name, which is the file's first 16 bytes.
   */
  function ticketIn(session: Buffer, name: Buffer): Buffer {
    const at = session.indexOf(name);
    assert.ok(at > 4, 'the session carries a ticket made under the file key');
    let len: number;
    if (session[at - 2] === 0x04) len = session[at - 1]!;
    else if (session[at - 3] === 0x04 && session[at - 2] === 0x81) len = session[at - 1]!;
    else if (session[at - 4] === 0x04 && session[at - 3] === 0x82) len = session.readUInt16BE(at - 2);
    else assert.fail('no OCTET STRING around the ticket');
    return session.subarray(at, at + len);
  }

  /** Authenticates and decrypts a ticket with the key halves where nginx's 48-byte file layout puts them. */
  function opensWithFileLayout(ticket: Buffer, file: Buffer): void {
    const aesKey = file.subarray(16, 32);
    const hmacKey = file.subarray(32, 48);
    const mac = createHmac('sha256', hmacKey).update(ticket.subarray(0, ticket.length - 32)).digest();
    assert.deepEqual(mac, ticket.subarray(ticket.length - 32), 'HMAC with bytes 32..48 of the file');
    const d = createDecipheriv('aes-128-cbc', aesKey, ticket.subarray(16, 32));
    const plain = Buffer.concat([d.update(ticket.subarray(32, ticket.length - 32)), d.final()]);
    assert.equal(plain[0], 0x30, 'an SSL_SESSION (DER SEQUENCE) inside');
  }

  async function sessionFrom(port: number, maxVersion: 'TLSv1.2' | 'TLSv1.3'): Promise<Buffer> {
    let session: Buffer | null = null;
    await new Promise<void>((resolve) => {
      const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, maxVersion });
      s.on('session', (b: Buffer) => {
        session = b;
      });
      // TLSv1.3 tickets come after the handshake, before or with the first data
      s.on('data', () => s.destroy());
      s.on('error', () => undefined);
      s.on('close', () => { resolve(); });
    });
    assert.ok(session, `a ${maxVersion} session`);
    return session;
  }

  it('writes and reads tickets with an ssl_session_ticket_key file laid out as nginx does', async () => {
    const file = readFileSync(ticketFile);
    const name = file.subarray(0, 16);
    for (const maxVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
      opensWithFileLayout(ticketIn(await sessionFrom(nginxPort, maxVersion), name), file);
      const mine = await sessionFrom(ours.port, maxVersion);
      await ours.next();
      opensWithFileLayout(ticketIn(mine, name), file);
    }
  });
});
