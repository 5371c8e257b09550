/**
 * The status listener of the real binary: off unless `status_listen` is configured, `status_allow` /
 * `status_deny`, moving or losing it on reload, and a port that cannot be bound at start or on reload
 * (nginx's rule: a reload that fails keeps the running configuration).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../helpers/ports.js';
import { runPostern } from '../../helpers/postern-bin.js';
import { subDir } from '../../helpers/run-dir.js';
import { startFakeAuthHttp, type FakeAuthHttp } from '../../helpers/fake-auth-http.js';
import { startProxy } from './harness.js';

async function get(port: number, path = '/status'): Promise<number> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`);
  await r.arrayBuffer();
  return r.status;
}

async function refused(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/status`);
    return false;
  } catch (err) {
    return (err as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED';
  }
}

/** Occupies a port on 127.0.0.1 (as another program would). */
async function occupy(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const a = server.address();
  return { port: typeof a === 'object' && a !== null ? a.port : 0, server };
}

describe('status listener', () => {
  let auth: FakeAuthHttp;
  before(async () => {
    auth = await startFakeAuthHttp();
  });
  after(async () => {
    await auth.close();
  });

  it('answers 403 to a client that status_deny refuses, and logs it as nginx http access does', async () => {
    const px = await startProxy({
      auth,
      main: 'worker_processes 1;',
      status: (port) => `status_listen 127.0.0.1:${port};\nstatus_deny 127.0.0.1;\nstatus_allow all;`,
    });
    try {
      assert.equal(await get(px.statusPort, '/metrics'), 403);
      assert.match(
        px.log(),
        new RegExp(
          String.raw`\[error\] \d+#\d+: access forbidden by rule, client: 127\.0\.0\.1, server: 127\.0\.0\.1:${px.statusPort}, request: "GET /metrics"\n`,
        ),
      );
      // a reload with other rules applies them to the same socket
      px.rewrite({ status: `status_listen 127.0.0.1:${px.statusPort};\nstatus_allow 127.0.0.1;\nstatus_deny all;` });
      px.p.signal('SIGHUP');
      const deadline = Date.now() + 20_000;
      while ((await get(px.statusPort, '/metrics')) !== 200) {
        assert.ok(Date.now() < deadline, 'the new rules were not applied');
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await px.stop();
    }
  });

  it('moves to a new address on reload, closes when status_listen is removed, and keeps serving when a reload cannot bind', async () => {
    const px = await startProxy({ auth, main: 'worker_processes 1;' });
    const taken = await occupy();
    try {
      const moved = await freePort();
      px.rewrite({ status: `status_listen 127.0.0.1:${moved};` });
      px.p.signal('SIGHUP');
      const deadline = Date.now() + 20_000;
      for (;;) {
        const ok = await get(moved).catch(() => 0);
        if (ok === 200) break;
        assert.ok(Date.now() < deadline, 'the listener did not move');
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(await refused(px.statusPort), true, 'the old address still answers');

      // a port another program holds: the reload fails and the listener stays where it was
      px.rewrite({ status: `status_listen 127.0.0.1:${taken.port};` });
      px.p.signal('SIGHUP');
      const until = Date.now() + 20_000;
      while (!px.log().includes(`bind() to 127.0.0.1:${taken.port} failed for "status_listen"`)) {
        assert.ok(Date.now() < until, 'no emerg line for the failed bind');
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.match(px.log(), new RegExp(String.raw`\[emerg\] \d+#\d+: bind\(\) to 127\.0\.0\.1:${taken.port} failed for "status_listen"\n`));
      const r = await fetch(`http://127.0.0.1:${moved}/metrics`);
      const text = await r.text();
      assert.match(text, /\npostern_config_reloads_total\{result="ok"\} 1\npostern_config_reloads_total\{result="failed"\} 1\n/);
      assert.match(text, /\npostern_config_generation 2\n/);

      // no status_listen: no listener
      px.rewrite({ status: '' });
      px.p.signal('SIGHUP');
      const gone = Date.now() + 20_000;
      while (!(await refused(moved))) {
        assert.ok(Date.now() < gone, 'the listener was not closed');
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      taken.server.close();
      await px.stop();
    }
  });

  it('refuses to start when the status address cannot be bound, with an emerg line and exit code 1', async () => {
    const taken = await occupy();
    const dir = subDir('status-bind');
    try {
      mkdirSync(join(dir, 'logs'));
      const conf = join(dir, 'postern.conf');
      const mailPort = await freePort();
      writeFileSync(
        conf,
        `daemon off; worker_processes 1; pid ${dir}/postern.pid; error_log ${dir}/error.log info;
status_listen 127.0.0.1:${taken.port};
events {}
mail { auth_http ${auth.url}; server { listen 127.0.0.1:${mailPort}; protocol imap; } }
`,
      );
      const r = await runPostern(['-p', `${dir}/`, '-c', conf]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `postern: [emerg] bind() to 127.0.0.1:${taken.port} failed for "status_listen"\n`);
    } finally {
      taken.server.close();
    }
  });
});
