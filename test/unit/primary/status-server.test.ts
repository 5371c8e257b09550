import { describe, it, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { StatusServer, statusAddrText, type StatusSource } from '../../../src/primary/status-server.js';
import type { StatusDocument } from '../../../src/primary/status-report.js';
import { ProxyError } from '../../../src/errors.js';
import type { Logger } from '../../../src/log/types.js';
import type { LogLevel } from '../../../src/config/types.js';

function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = (level: LogLevel, message: string): void => {
    lines.push(`[${level}] ${message}`);
  };
  return {
    lines,
    enabled: () => true,
    log,
    debug: (m) => {
      log('debug', m);
    },
    info: (m) => {
      log('info', m);
    },
    notice: (m) => {
      log('notice', m);
    },
    warn: (m) => {
      log('warn', m);
    },
    error: (m) => {
      log('error', m);
    },
    crit: (m) => {
      log('crit', m);
    },
    alert: (m) => {
      log('alert', m);
    },
    emerg: (m) => {
      log('emerg', m);
    },
  };
}

const DOC: StatusDocument = {
  version: '0.1.0',
  pid: 100,
  startedAt: '2026-01-01T00:00:00.000Z',
  uptimeSeconds: 61,
  generation: 2,
  lastReload: { at: '2026-01-01T00:00:30.000Z', result: 'ok' },
  reloads: { ok: 1, failed: 0 },
  workerRestarts: 0,
  acceptPolicy: 'shared',
  workerProcesses: 1,
  workerConnections: 512,
  sessions: { total: 1, imap: 1, pop3: 0, smtp: 0 },
  primary: { rssBytes: 1024, heapUsedBytes: 512 },
  workers: [],
};

const METRICS_TEXT = '# HELP x_total x\n# TYPE x_total counter\nx_total 1\n';

describe('status listener', () => {
  const log = memoryLogger();
  let fail = false;
  const source: StatusSource = {
    metricsText: () => (fail ? Promise.reject(new Error('boom')) : Promise.resolve(METRICS_TEXT)),
    status: () => Promise.resolve(DOC),
  };
  let server: StatusServer;
  let base: string;
  before(async () => {
    server = await StatusServer.open({ host: '127.0.0.1', port: 0 }, [], source, log);
    base = `http://127.0.0.1:${server.port}`;
  });
  after(() => {
    server.close();
  });

  it('serves /metrics in the Prometheus text format and closes the connection', async () => {
    const r = await fetch(`${base}/metrics`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    assert.equal(r.headers.get('cache-control'), 'no-store');
    assert.equal(r.headers.get('connection'), 'close');
    assert.equal(await r.text(), METRICS_TEXT);
  });

  it('serves /status as JSON and /status.html and / as a page with a strict CSP', async () => {
    const j = await fetch(`${base}/status`);
    assert.equal(j.headers.get('content-type'), 'application/json');
    assert.equal(await j.text(), `${JSON.stringify(DOC, null, 2)}\n`);
    for (const path of ['/status.html', '/']) {
      const h = await fetch(`${base}${path}`);
      assert.equal(h.status, 200);
      assert.equal(h.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.equal(h.headers.get('content-security-policy'), "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'");
      const body = await h.text();
      assert.ok(body.startsWith('<!DOCTYPE html>\n'), body.slice(0, 40));
      assert.ok(body.includes('<h1>postern 0.1.0</h1>'));
    }
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const r = await fetch(`${base}/metrics`, { method: 'HEAD' });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-length'), String(Buffer.byteLength(METRICS_TEXT)));
    assert.equal(await r.text(), '');
  });

  it('answers 404 for other paths and 405 for other methods', async () => {
    const r = await fetch(`${base}/nope`);
    assert.equal(r.status, 404);
    assert.equal(await r.text(), '404 not found\n');
    const p = await fetch(`${base}/metrics`, { method: 'POST', body: 'x' });
    assert.equal(p.status, 405);
    assert.equal(p.headers.get('allow'), 'GET, HEAD');
    assert.equal(await p.text(), '405 method not allowed\n');
  });

  it('refuses a client denied by status_deny with 403 and logs it at error, as nginx http access does', async () => {
    server.setAccess([
      { action: 'allow', match: '10.0.0.0/8' },
      { action: 'deny', match: 'all' },
    ]);
    try {
      const r = await fetch(`${base}/metrics?x=1`);
      assert.equal(r.status, 403);
      assert.equal(await r.text(), '403 forbidden\n');
      assert.equal(
        log.lines.at(-1),
        `[error] access forbidden by rule, client: 127.0.0.1, server: ${statusAddrText(server.listen)}, request: "GET /metrics"`,
      );
    } finally {
      server.setAccess([]);
    }
    server.setAccess([
      { action: 'allow', match: '127.0.0.1/32' },
      { action: 'deny', match: 'all' },
    ]);
    try {
      assert.equal((await fetch(`${base}/metrics`)).status, 200);
    } finally {
      server.setAccess([]);
    }
  });

  it('answers 500 and logs an alert when the numbers cannot be gathered', async () => {
    fail = true;
    try {
      const r = await fetch(`${base}/metrics`);
      assert.equal(r.status, 500);
      assert.equal(await r.text(), '500 internal server error\n');
      assert.equal(log.lines.at(-1), '[alert] status listener: metrics failed: boom');
    } finally {
      fail = false;
    }
  });

  it('fails to open on an address already in use, with ERR_LISTEN', async () => {
    await assert.rejects(StatusServer.open({ host: '127.0.0.1', port: server.port }, [], source, log), (err: unknown) => {
      assert.ok(err instanceof ProxyError);
      assert.equal(err.code, 'ERR_LISTEN');
      assert.equal(err.message, `bind() to 127.0.0.1:${server.port} failed for "status_listen"`);
      return true;
    });
  });

  it('prints IPv6 listen addresses in brackets', () => {
    assert.equal(statusAddrText({ host: '::1', port: 9100 }), '[::1]:9100');
    assert.equal(statusAddrText({ host: '127.0.0.1', port: 9100 }), '127.0.0.1:9100');
  });
});
