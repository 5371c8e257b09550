// The reference nginx of test/helpers/nginx.ts: it starts with a mail config and greets, proxies an
// IMAP login to the private Dovecot (with a minimal inline auth_http answer), reloads, and `nginx -t`
// reports errors with message, file and line.
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { curlImapFetch } from '../../helpers/clients.js';
import { startDovecot, type Dovecot } from '../../helpers/dovecot.js';
import { connectLine } from '../../helpers/line-client.js';
import { makeMessage } from '../../helpers/mailbox.js';
import { nginxTest, parseNginxError, startNginx, type Nginx } from '../../helpers/nginx.js';
import { freePort, freePorts } from '../../helpers/ports.js';
import { pidAlive } from '../../helpers/proc.js';

/** A bare auth_http endpoint: every login goes to `backendPort`; records request headers. */
function startAuth(
  backendPort: () => number,
): Promise<{ server: Server; port: number; requests: IncomingHttpHeaders[] }> {
  const requests: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    requests.push(req.headers);
    res.writeHead(200, {
      'Auth-Status': 'OK',
      'Auth-Server': '127.0.0.1',
      'Auth-Port': String(backendPort()),
    });
    res.end();
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve({ server, port: typeof a === 'object' && a ? a.port : 0, requests });
    });
  });
}

describe('reference nginx', () => {
  let dc: Dovecot;
  let auth: Awaited<ReturnType<typeof startAuth>>;
  let ngx: Nginx;
  let imapPort: number;
  const msg = makeMessage({ sizeBytes: 50_000, seed: 'via-nginx' });

  before(async () => {
    dc = await startDovecot({ users: [{ user: 'alice', password: 'alice-secret' }], pop3: false });
    dc.deliver('alice', msg);
    auth = await startAuth(() => dc.imapPort);
    imapPort = await freePort();
    ngx = await startNginx({
      mailConfig: `
    auth_http 127.0.0.1:${auth.port}/auth;
    server {
        listen 127.0.0.1:${imapPort};
        protocol imap;
    }`,
    });
  });
  after(async () => {
    await ngx.stop();
    await dc.stop();
    await new Promise((r) => auth.server.close(r));
  });

  it("greets with nginx's IMAP greeting", async () => {
    const c = await connectLine({ port: imapPort });
    try {
      await c.expect('* OK IMAP4 ready\r\n');
      c.send('a1 CAPABILITY\r\n');
      await c.expect('* CAPABILITY IMAP4 IMAP4rev1 UIDPLUS AUTH=PLAIN\r\n');
      await c.expect('a1 OK completed\r\n');
    } finally {
      c.destroy();
    }
  });

  it('proxies a curl IMAP login and FETCH through to Dovecot byte for byte', async () => {
    const r = await curlImapFetch({ port: imapPort, user: 'alice', password: 'alice-secret' });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.equals(msg), 'message differs');
    const req = auth.requests.at(-1);
    assert.equal(req?.['auth-user'], 'alice');
    assert.equal(req['auth-protocol'], 'imap');
    await ngx.waitForLog(/\[info\] \d+#\d+: \*\d+ client 127\.0\.0\.1:\d+ connected to 127\.0\.0\.1:\d+$/);
  });

  it('reloads into a new configuration and serves the new listener', async () => {
    const [p1, p2] = await freePorts(2);
    const body = (port: number): string => `
    auth_http 127.0.0.1:${auth.port}/auth;
    server {
        listen 127.0.0.1:${port};
        protocol pop3;
    }`;
    const n = await startNginx({ mailConfig: body(p1!), workers: 2 });
    try {
      await n.reload(body(p2!));
      const c = await connectLine({ port: p2! });
      try {
        await c.expect('+OK POP3 ready\r\n');
      } finally {
        c.destroy();
      }
      await n.waitForLog(/\[notice\] \d+#\d+: signal 1 \(SIGHUP\) received from \d+, reconfiguring$/);
    } finally {
      await n.stop({ graceful: true });
    }
    assert.equal(pidAlive(n.pid), false);
  });

  it('rejects a reload with a broken config and names the error', async () => {
    await assert.rejects(
      ngx.reload('    bogus_directive on;'),
      /nginx refused the new configuration: \[emerg\] \d+#\d+: unknown directive "bogus_directive" in .*\/nginx\.conf:\d+/,
    );
    // The old workers keep serving.
    const c = await connectLine({ port: imapPort });
    try {
      await c.expect('* OK IMAP4 ready\r\n');
    } finally {
      c.destroy();
    }
  });

  it('reports nginx -t errors with message, file and line', async () => {
    const conf = [
      'events {}',
      'mail {',
      '    auth_http 127.0.0.1:9/auth;',
      '    server {',
      '        listen 127.0.0.1:1143;',
      '        protocol imap;',
      '        no_such_thing 1;',
      '    }',
      '}',
      '',
    ].join('\n');
    const r = await nginxTest(conf);
    assert.equal(r.ok, false);
    assert.equal(r.level, 'emerg');
    assert.equal(r.message, 'unknown directive "no_such_thing"');
    assert.equal(r.line, 7);
    assert.match(r.file ?? '', /\/nginx\.conf$/);
    assert.match(r.stderr, /nginx: configuration file \S+\/nginx\.conf test failed\n/);
  });

  it('passes nginx -t on a valid mail config', async () => {
    const r = await nginxTest(
      [
        'events {}',
        'mail {',
        '    auth_http 127.0.0.1:9/auth;',
        '    server { listen 127.0.0.1:1143; protocol imap; }',
        '}',
        '',
      ].join('\n'),
    );
    assert.equal(r.ok, true, r.stderr);
    assert.equal(r.message, null);
    assert.match(r.stderr, /test is successful/);
  });

  it('parses both forms of nginx error lines', () => {
    assert.deepEqual(
      parseNginxError('nginx: [emerg] "listen" directive is not allowed here in /x/nginx.conf:4\n'),
      {
        level: 'emerg',
        message: '"listen" directive is not allowed here',
        file: '/x/nginx.conf',
        line: 4,
      },
    );
    assert.deepEqual(
      parseNginxError('2026/01/01 00:00:00 [emerg] 12#12: no "events" section in configuration\n'),
      {
        level: 'emerg',
        message: 'no "events" section in configuration',
        file: null,
        line: null,
      },
    );
  });
});
