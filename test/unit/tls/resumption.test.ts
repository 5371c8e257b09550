/**
 * Session resumption: tickets across two separately built contexts that share the primary's key (two
 * workers), rotation, `ssl_session_ticket_key` files, `ssl_session_tickets off`, and the session-ID cache
 * (`ssl_session_cache off|none|builtin|shared`).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SslConfig } from '../../../src/config/types.js';
import { buildTlsContexts, type TlsContexts } from '../../../src/tls/contexts.js';
import { createTlsPort } from '../../../src/tls/upgrade.js';
import { rotateTicketKeys, type TicketKeySet } from '../../../src/tls/ticket-keys.js';
import { ProxyError } from '../../../src/errors.js';
import { makeCerts, type CertSet } from '../../helpers/certs.js';
import { subDir } from '../../helpers/run-dir.js';
import { sslConfig, startTlsServer, tlsClient, type TlsTestServer } from './tls-harness.js';

describe('TLS session resumption', () => {
  let certs: CertSet;
  let dir: string;
  const servers: TlsTestServer[] = [];
  before(async () => {
    certs = await makeCerts();
    dir = subDir('ticket-keys');
  });
  after(async () => {
    for (const s of servers) await s.close();
  });

  function contexts(over: Partial<SslConfig>, keys: TicketKeySet | null = null): TlsContexts {
    return buildTlsContexts(
      sslConfig({ certificates: [{ certificate: certs.serverRsa.cert, key: certs.serverRsa.key }], ...over }),
      { protocol: 'smtp', ticketKeys: keys },
    );
  }

  async function serve(c: TlsContexts): Promise<TlsTestServer> {
    const s = await startTlsServer(createTlsPort(c));
    servers.push(s);
    return s;
  }

  /** First connection to `a`, then a resumption attempt on `b` with the session `a` gave. */
  async function resumes(a: TlsTestServer, b: TlsTestServer, maxVersion: 'TLSv1.2' | 'TLSv1.3'): Promise<boolean> {
    const first = await tlsClient(a.port, { maxVersion });
    await a.next();
    assert.ok(first.session, 'the first connection got a session');
    const second = await tlsClient(b.port, { maxVersion, session: first.session });
    const o = await b.next();
    assert.ok(o.ok);
    assert.equal(o.result.details.resumed, second.reused);
    return second.reused;
  }

  it('resumes a ticket from one worker on another when both hold the primary’s key (TLSv1.2 and TLSv1.3)', async () => {
    const keys = rotateTicketKeys(null);
    const w1 = await serve(contexts({}, keys));
    const w2 = await serve(contexts({}, keys));
    assert.equal(await resumes(w1, w2, 'TLSv1.3'), true);
    assert.equal(await resumes(w1, w2, 'TLSv1.2'), true);
  });

  it('does not resume across workers with different keys', async () => {
    const w1 = await serve(contexts({}, rotateTicketKeys(null)));
    const w2 = await serve(contexts({}, rotateTicketKeys(null)));
    assert.equal(await resumes(w1, w2, 'TLSv1.3'), false);
  });

  it('uses a rotated key for new tickets, which the other worker resumes once it has the same key', async () => {
    const k1 = rotateTicketKeys(null);
    const c1 = contexts({}, k1);
    const c2 = contexts({}, k1);
    const w1 = await serve(c1);
    const w2 = await serve(c2);
    const k2 = rotateTicketKeys(k1);
    assert.equal(k2.generation, 2);
    c1.applyTicketKeys(k2);
    assert.equal(await resumes(w1, w2, 'TLSv1.3'), false, 'w2 still has the old key');
    c2.applyTicketKeys(k2);
    assert.equal(await resumes(w1, w2, 'TLSv1.3'), true);
  });

  it('uses a 48-byte ssl_session_ticket_key file instead of the primary’s key, in every worker', async () => {
    const file = join(dir, 'ticket.key');
    writeFileSync(file, randomBytes(48));
    const c1 = contexts({ sessionTicketKeys: [file] }, rotateTicketKeys(null));
    const c2 = contexts({ sessionTicketKeys: [file] }, rotateTicketKeys(null));
    assert.equal(c1.ticketKeysFromFiles, true);
    c2.applyTicketKeys(rotateTicketKeys(null)); // ignored: the file's key stays in use
    const w1 = await serve(c1);
    const w2 = await serve(c2);
    assert.equal(await resumes(w1, w2, 'TLSv1.2'), true);
  });

  it('refuses an 80-byte ssl_session_ticket_key file, which Node cannot use, and a file of another size', () => {
    const f80 = join(dir, 'ticket80.key');
    writeFileSync(f80, randomBytes(80));
    assert.throws(
      () => contexts({ sessionTicketKeys: [f80] }),
      (e: unknown) =>
        e instanceof ProxyError && e.code === 'ERR_TLS_CONFIG' && e.message.startsWith(`"${f80}" is an 80-byte (AES-256) session ticket key`),
    );
    const f10 = join(dir, 'ticket10.key');
    writeFileSync(f10, randomBytes(10));
    assert.throws(() => contexts({ sessionTicketKeys: [f10] }), { code: 'ERR_TLS_CONFIG', message: `"${f10}" must be 48 or 80 bytes` });
  });

  it('issues no resumable session with ssl_session_tickets off and no session cache', async () => {
    const s = await serve(contexts({ sessionTickets: false }, rotateTicketKeys(null)));
    assert.equal(await resumes(s, s, 'TLSv1.2'), false);
    assert.equal(await resumes(s, s, 'TLSv1.3'), false);
  });

  it('resumes TLSv1.2 sessions by ID with ssl_session_cache builtin or shared, not with none or off', async () => {
    const on = await serve(contexts({ sessionTickets: false, sessionCache: { mode: 'on', builtinSize: 100, shared: null } }));
    assert.equal(await resumes(on, on, 'TLSv1.2'), true);
    const shared = await serve(
      contexts({ sessionTickets: false, sessionCache: { mode: 'on', builtinSize: null, shared: { name: 'SSL', sizeBytes: 1 << 20 } } }),
    );
    assert.equal(await resumes(shared, shared, 'TLSv1.2'), true);
    for (const mode of ['none', 'off'] as const) {
      const s = await serve(contexts({ sessionTickets: false, sessionCache: { mode, builtinSize: null, shared: null } }));
      assert.equal(await resumes(s, s, 'TLSv1.2'), false, mode);
    }
  });

  it('keeps the client certificate details of a resumed session', async () => {
    const { readFileSync } = await import('node:fs');
    const s = await serve(contexts({ verifyClient: 'on', clientCertificate: certs.caCert }, rotateTicketKeys(null)));
    const opts = { cert: readFileSync(certs.client.cert), key: readFileSync(certs.client.key), maxVersion: 'TLSv1.2' as const };
    const first = await tlsClient(s.port, opts);
    const o1 = await s.next();
    assert.ok(o1.ok);
    const second = await tlsClient(s.port, { ...opts, session: first.session ?? undefined });
    assert.equal(second.reused, true);
    const o2 = await s.next();
    assert.ok(o2.ok);
    assert.equal(o2.result.details.resumed, true);
    assert.deepEqual(o2.result.info, o1.result.info);
  });
});
