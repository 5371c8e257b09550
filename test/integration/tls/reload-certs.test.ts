/**
 * Reload replaces certificates without dropping live sessions (issue 7): TLS sessions opened before
 * SIGHUP — one already relaying to Dovecot, one still before login, one plaintext that upgrades with
 * STARTTLS only after the reload — keep working on the old worker with the old certificate, while new
 * connections get the new certificate from the new worker. The old worker exits once its last session
 * ends (nginx's graceful reload, reference 8.2/8.3).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import { makeCerts, type CertSet, type KeyPair } from '../../helpers/certs.js';
import { connectLine, type LineClient } from '../../helpers/line-client.js';
import { freePort } from '../../helpers/ports.js';
import { pidAlive, waitFor } from '../../helpers/proc.js';
import { startEdgeProxy, type EdgeConfig, type EdgeProxy } from '../edge/edge-proxy.js';
import { PASSWORD, startTlsBackends, type TlsBackends } from './tls-backends.js';

describe('reload with new certificates keeps live TLS sessions', () => {
  let certs: CertSet;
  let backends: TlsBackends;
  let proxy: EdgeProxy;
  let implicit: number;
  let starttls: number;
  const clients: LineClient[] = [];

  const config = (pair: KeyPair): EdgeConfig => ({
    mail: `auth_http ${backends.auth.url};
ssl_certificate ${pair.cert};
ssl_certificate_key ${pair.key};
server { listen 127.0.0.1:${implicit} ssl; protocol imap; }
server { listen 127.0.0.1:${starttls}; protocol imap; starttls on; }`,
  });

  before(async () => {
    certs = await makeCerts();
    backends = await startTlsBackends({ postfix: false });
    implicit = await freePort();
    starttls = await freePort();
    proxy = await startEdgeProxy(config(certs.serverEcdsa), [{ port: implicit }, { port: starttls }]);
  });

  after(async () => {
    for (const c of clients) c.destroy();
    await proxy.stop();
    await backends.stop();
  });

  const fingerprint = (c: LineClient): string => {
    const cert = (c.socket as TLSSocket).getPeerX509Certificate();
    assert.ok(cert !== undefined, 'no peer certificate');
    return cert.fingerprint256;
  };
  const fingerprintOf = (pair: KeyPair): string => new X509Certificate(readFileSync(pair.cert)).fingerprint256;
  const open = async (port: number, tls: boolean): Promise<LineClient> => {
    const c = await connectLine({ port, tls });
    clients.push(c);
    await c.expect('* OK IMAP4 ready\r\n');
    return c;
  };

  it('sessions from before SIGHUP keep the old certificate and keep working; new ones get the new one', async () => {
    const oldPrint = fingerprintOf(certs.serverEcdsa);
    const newPrint = fingerprintOf(certs.serverRsa);
    assert.notEqual(oldPrint, newPrint);

    // 1. relaying to Dovecot over TLS
    const relaying = await open(implicit, true);
    assert.equal(fingerprint(relaying), oldPrint);
    relaying.send(`a LOGIN alice ${PASSWORD}\r\n`);
    await relaying.expect(/^a OK \[CAPABILITY [^\]]*\] Logged in\r\n$/);
    // 2. TLS, not logged in yet
    const waiting = await open(implicit, true);
    assert.equal(fingerprint(waiting), oldPrint);
    // 3. plaintext, STARTTLS comes after the reload
    const plain = await open(starttls, false);

    const oldWorker = proxy.lines().find((l) => l.text.startsWith('client 127.0.0.1:'))?.pid;
    assert.ok(oldWorker !== undefined);
    await proxy.reload(config(certs.serverRsa), 1);

    // a new connection: the new certificate, from the new worker
    const fresh = await open(implicit, true);
    assert.equal(fingerprint(fresh), newPrint);
    fresh.send('z LOGOUT\r\n');
    await fresh.expect('* BYE\r\nz OK completed\r\n');

    // the relaying session still talks to Dovecot
    relaying.send('b STATUS INBOX (MESSAGES)\r\n');
    await relaying.expect('* STATUS INBOX (MESSAGES 1)\r\n');
    await relaying.expect(/^b OK /);
    // the waiting one can still log in, through the old worker
    waiting.send(`c LOGIN bob ${PASSWORD}\r\n`);
    await waiting.expect(/^c OK \[CAPABILITY [^\]]*\] Logged in\r\n$/);
    // the plaintext one upgrades on the old worker, with the old certificate
    plain.send('d STARTTLS\r\n');
    await plain.expect('d OK completed\r\n');
    await plain.starttls();
    assert.equal(fingerprint(plain), oldPrint);
    plain.send(`e LOGIN carol ${PASSWORD}\r\n`);
    await plain.expect(/^e OK \[CAPABILITY [^\]]*\] Logged in\r\n$/);

    const logins = proxy.lines().filter((l) => l.text.startsWith('client logged in'));
    assert.deepEqual(
      logins.map((l) => [l.pid === oldWorker, /login: "(\w+)"/.exec(l.text)?.[1]]),
      [
        [true, 'alice'],
        [true, 'bob'],
        [true, 'carol'],
      ],
    );

    // the old worker leaves once its last session is over
    for (const c of [relaying, waiting, plain]) {
      c.send('q LOGOUT\r\n');
      await c.skipUntil(/^q OK/);
      await c.waitClosed();
    }
    await waitFor(() => !pidAlive(oldWorker), { timeoutMs: 10_000, what: `old worker ${oldWorker} to exit` });
  });
});
