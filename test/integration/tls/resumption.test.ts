/**
 * TLS session resumption across workers and across a reload (issue 7): workers are processes that
 * share nothing, so a ticket resumes on another worker only because the primary gives every worker the
 * same ticket key (src/primary/ticket-rotation.ts, src/tls/ticket-keys.ts).
 *
 * The client is `openssl s_client` with `-sess_out`/`-sess_in`; whether it resumed is its own report
 * (`Reused, TLSv1.3, …` versus `New, …`). Which worker served a connection is read from the error log:
 * each probe logs in as a user named after it, the auth service refuses, and the `client login failed`
 * line carries the worker's pid (reference 7.1). `accept_policy least_conn` makes the placement
 * deterministic: while the connection that got the ticket stays open, the primary hands the next one to
 * the other worker (with `shared` the kernel picks, which can favour one worker for dozens of
 * connections in a row; the ticket key is the same either way).
 *
 * Across a reload with the same certificates, tickets keep resuming on the new workers (the primary
 * keeps its key; nginx 1.22 makes new keys on every reload, so its tickets do not survive one). A reload
 * that changes the certificate changes the session-ID context, so old tickets get a full handshake.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { makeCerts, type CertSet } from '../../helpers/certs.js';
import { sClient } from '../../helpers/clients.js';
import { fail, startFakeAuthHttp, type FakeAuthHttp } from '../../helpers/fake-auth-http.js';
import { freePort } from '../../helpers/ports.js';
import { spawnProc, waitFor } from '../../helpers/proc.js';
import { subDir } from '../../helpers/run-dir.js';
import { startEdgeProxy, type EdgeProxy, type EdgeConfig } from '../edge/edge-proxy.js';

describe('TLS session resumption with worker_processes 2', () => {
  let certs: CertSet;
  let auth: FakeAuthHttp;
  let proxy: EdgeProxy;
  let port: number;
  let dir: string;
  let probes = 0;

  const config = (pair: { cert: string; key: string }): EdgeConfig => ({
    main: 'worker_processes 2;',
    events: 'accept_policy least_conn;',
    mail: `auth_http ${auth.url};
server {
  listen 127.0.0.1:${port} ssl;
  protocol imap;
  ssl_certificate ${pair.cert};
  ssl_certificate_key ${pair.key};
  ssl_session_cache shared:MAIL:1m;
}`,
  });

  before(async () => {
    certs = await makeCerts();
    auth = await startFakeAuthHttp({ script: [fail('Invalid login or password')] });
    port = await freePort();
    dir = subDir('resumption');
    proxy = await startEdgeProxy(config(certs.serverEcdsa), [{ port }]);
  });

  after(async () => {
    await proxy.stop();
    await auth.close();
  });

  interface Probe {
    /** the pid of the worker that served it */
    readonly pid: number;
    /** s_client's verdict */
    readonly reused: boolean;
    readonly protocol: string;
  }

  /**
   * One s_client connection: optional `-sess_in`, `-sess_out` to `out`, a LOGIN as `probe<n>`, LOGOUT.
   * Returns which worker served it and whether the session was resumed.
   */
  const probe = async (o: { sessIn?: string; sessOut?: string; tls12?: boolean }): Promise<Probe> => {
    const name = `probe${++probes}`;
    const args = [
      ...(o.tls12 === true ? ['-tls1_2'] : []),
      ...(o.sessIn === undefined ? [] : ['-sess_in', o.sessIn]),
      ...(o.sessOut === undefined ? [] : ['-sess_out', o.sessOut]),
    ];
    const r = await sClient({ port, args, input: `a LOGIN ${name} x\r\nb LOGOUT\r\n`, timeoutMs: 10_000 });
    const out = r.stdout.toString('latin1');
    assert.match(out, /a NO Invalid login or password\r\n/, out);
    const verdict = /^(New|Reused), (TLSv1\.[23]),/m.exec(out);
    assert.ok(verdict !== null, out);
    const line = await proxy.waitForLog('info', new RegExp(`^client login failed: .*, login: "${name}"$`));
    return { pid: line.pid, reused: verdict[1] === 'Reused', protocol: verdict[2] as string };
  };

  /** The pids of the two live workers, from their start lines. */
  const workerPids = (since = 0): number[] =>
    proxy
      .lines(since)
      .filter((l) => l.level === 'notice' && l.text.startsWith('start worker process '))
      .map((l) => Number(l.text.slice('start worker process '.length)));

  /**
   * An s_client that gets a ticket and stays connected: returns the worker that serves it and a
   * function that logs out and waits for it to exit.
   */
  const held = async (o: { sessOut: string; tls12?: boolean }): Promise<{ pid: number; close: () => Promise<void> }> => {
    const name = `probe${++probes}`;
    const args = ['s_client', '-connect', `127.0.0.1:${port}`, '-ign_eof', '-sess_out', o.sessOut];
    if (o.tls12 === true) args.push('-tls1_2');
    const proc = spawnProc('openssl', args, { stdinPipe: true, label: 's_client' });
    const close = async (): Promise<void> => {
      proc.child.stdin?.end('b LOGOUT\r\n');
      // the server closes after LOGOUT and s_client exits; stop() is the bounded fallback
      await proc.waitForExit(5_000).catch(() => undefined);
      await proc.stop({ signal: 'SIGTERM', timeoutMs: 5_000 });
    };
    try {
      proc.child.stdin?.write(`a LOGIN ${name} x\r\n`);
      const line = await proxy.waitForLog('info', new RegExp(`^client login failed: .*, login: "${name}"$`));
      await waitFor(() => statSync(o.sessOut, { throwIfNoEntry: false })?.size, { what: 's_client to save the session' });
      const verdict = await proc.waitForLine(/^(New|Reused), (TLSv1\.[23]),/, { stream: 'stdout', timeoutMs: 5_000 });
      assert.deepEqual([verdict[1], verdict[2]], ['New', o.tls12 === true ? 'TLSv1.2' : 'TLSv1.3']);
      return { pid: line.pid, close };
    } catch (err) {
      await close();
      throw err;
    }
  };

  for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
    it(`a ${version} ticket issued by one worker resumes on the other`, async () => {
      const ticket = join(dir, `ticket-${version}`);
      const tls12 = version === 'TLSv1.2';
      const first = await held({ sessOut: ticket, tls12 });
      try {
        const pids = workerPids();
        assert.equal(pids.length, 2);
        assert.ok(pids.includes(first.pid), `served by ${first.pid}, workers are ${pids.join(', ')}`);
        const second = await probe({ sessIn: ticket, tls12 });
        assert.ok(pids.includes(second.pid) && second.pid !== first.pid, `both served by ${first.pid}`);
        assert.deepEqual([second.reused, second.protocol], [true, version]);
      } finally {
        await first.close();
      }
    });
  }

  it('a ticket from before a reload resumes on the new workers when the certificates are unchanged', async () => {
    const ticket = join(dir, 'ticket-before-reload');
    const first = await probe({ sessOut: ticket });
    assert.equal(first.reused, false);
    const mark = proxy.mark();
    await proxy.reload(config(certs.serverEcdsa), 2);
    const fresh = workerPids(mark);
    assert.equal(fresh.length, 2);
    const after = await probe({ sessIn: ticket });
    assert.ok(fresh.includes(after.pid), `served by ${after.pid}, new workers are ${fresh.join(', ')}`);
    assert.equal(after.reused, true);
  });

  it('a reload with another certificate makes old tickets fall back to a full handshake', async () => {
    const ticket = join(dir, 'ticket-before-cert-change');
    rmSync(ticket, { force: true });
    const first = await probe({ sessOut: ticket });
    assert.equal(first.reused, false);
    const mark = proxy.mark();
    await proxy.reload(config(certs.serverRsa), 2);
    const fresh = workerPids(mark);
    const after = await probe({ sessIn: ticket });
    assert.ok(fresh.includes(after.pid));
    assert.equal(after.reused, false);
    assert.equal(after.protocol, 'TLSv1.3');
  });
});
