/**
 * SMTP on a UNIX-socket listener, on postern and on nginx 1.22.1: the client address nginx uses for a
 * UNIX peer is `unix:`, in Client-IP, in XCLIENT ADDR= (never with the `IPV6:` prefix) and in the log;
 * with a resolver configured the host is `[TEMPUNAVAIL]` without a lookup (reference 4.3.1).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { ok, startFakeAuthHttp, type FakeAuthHttp } from '../../helpers/fake-auth-http.js';
import { startFakeUpstream, type FakeUpstream } from '../../helpers/fake-upstream.js';
import { startFakeDns, type FakeDns } from '../../helpers/fake-dns.js';
import { startNginx, type Nginx } from '../../helpers/nginx.js';
import { waitFor } from '../../helpers/proc.js';
import { subDir } from '../../helpers/run-dir.js';
import { startProxy, type ProxyProcess } from '../pop3/proxy-process.js';

/** Talks to a UNIX socket: sends `input` once the greeting is in, returns everything read until `until` appears. */
function converse(path: string, input: string, until: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(path);
    let got = '';
    let sent = false;
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no ${JSON.stringify(until)} from ${path}; got ${JSON.stringify(got)}`));
    }, 5_000);
    s.on('error', reject);
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (!sent && got.includes('\r\n')) {
        sent = true;
        s.write(input);
      }
      if (got.includes(until)) {
        clearTimeout(timer);
        s.destroy();
        resolve(got);
      }
    });
  });
}

describe('SMTP clients on a UNIX socket', () => {
  let auth: FakeAuthHttp;
  let dns: FakeDns;
  const upstreams: Record<string, FakeUpstream> = {};
  let proxy: ProxyProcess;
  let nginx: Nginx;
  const dir = subDir('unix-smtp');
  const paths = {
    postern: join(dir, 'postern.sock'),
    posternResolver: join(dir, 'postern-resolver.sock'),
    nginx: join(dir, 'nginx.sock'),
    nginxResolver: join(dir, 'nginx-resolver.sock'),
  };

  before(async () => {
    for (const k of Object.keys(paths)) upstreams[k] = await startFakeUpstream({ flavour: 'smtp' });
    dns = await startFakeDns(() => ({ rcode: 2 }));
    auth = await startFakeAuthHttp({
      script: (req) => ok('127.0.0.1', upstreams[req.header('X-Target') ?? '']?.port ?? 1),
    });
    const body = (target: string, resolver: boolean): string =>
      `protocol smtp;\nsmtp_auth none;\nauth_http_header X-Target ${target};\n${resolver ? `resolver ${dns.address};` : ''}`;
    proxy = await startProxy({
      mail: `auth_http ${auth.url};\nserver_name mx.postern.test;`,
      servers: [
        { body: body('postern', false), listen: `unix:${paths.postern}` },
        { body: body('posternResolver', true), listen: `unix:${paths.posternResolver}` },
      ],
    });
    nginx = await startNginx({
      mailConfig:
        `auth_http ${auth.url};\nserver_name mx.postern.test;\n` +
        `server {\nlisten unix:${paths.nginx};\n${body('nginx', false)}\n}\n` +
        `server {\nlisten unix:${paths.nginxResolver};\n${body('nginxResolver', true)}\n}\n`,
      waitPorts: [],
    });
    await waitFor(() => Object.values(paths).every((p) => existsSync(p)), { timeoutMs: 10_000, what: 'the UNIX sockets' });
  });

  after(async () => {
    await nginx.stop();
    await proxy.stop();
    await auth.close();
    await dns.close();
    for (const u of Object.values(upstreams)) await u.close();
  });

  for (const [target, resolverTarget] of [
    ['postern', 'posternResolver'],
    ['nginx', 'nginxResolver'],
  ] as const) {
    it(`${target}: Client-IP and XCLIENT ADDR are "unix:"; with a resolver the host is [TEMPUNAVAIL] without a lookup`, async () => {
      const asked = dns.questions.length;
      for (const [key, host] of [
        [target, '[UNAVAILABLE]'],
        [resolverTarget, '[TEMPUNAVAIL]'],
      ] as const) {
        const got = await converse(paths[key], 'MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.test>\r\n', '250 2.1.5 Ok\r\n');
        assert.equal(got, '220 mx.postern.test ESMTP ready\r\n250 2.0.0 OK\r\n250 2.1.5 Ok\r\n');
        const received = upstreams[key]?.connections.at(-1)?.received.toString('latin1') ?? '';
        assert.ok(received.includes(`XCLIENT ADDR=unix: NAME=${host}\r\n`), `${key}: ${received}`);
        const req = auth.requests.findLast((r) => r.header('X-Target') === key);
        assert.equal(req?.header('Client-IP'), 'unix:');
        assert.equal(req.header('Client-Host'), host);
      }
      assert.equal(dns.questions.length, asked);
    });
  }
});
