import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { escapeHtml, formatBytes, formatDuration, renderStatusPage } from '../../../src/primary/status-page.js';
import type { StatusDocument } from '../../../src/primary/status-report.js';

const DOC: StatusDocument = {
  version: '0.1.0',
  pid: 100,
  startedAt: '2026-01-01T00:00:00.000Z',
  uptimeSeconds: 93_784,
  generation: 2,
  lastReload: { at: '2026-01-01T00:00:30.000Z', result: 'ok' },
  reloads: { ok: 1, failed: 0 },
  workerRestarts: 0,
  acceptPolicy: 'least_conn',
  workerProcesses: 1,
  workerConnections: 512,
  sessions: { total: 3, imap: 2, pop3: 1, smtp: 0 },
  primary: { rssBytes: 50 * 1024 * 1024, heapUsedBytes: 10 * 1024 * 1024 },
  workers: [
    {
      pid: 200,
      slot: 0,
      generation: 2,
      state: 'ready',
      startedAt: '2026-01-01T00:00:30.000Z',
      uptimeSeconds: 65,
      sessions: 3,
      sessionsByProtocol: { imap: 2, pop3: 1, smtp: 0 },
      rssBytes: 60 * 1024 * 1024,
      heapUsedBytes: 12 * 1024 * 1024,
      eventLoopLagP99Seconds: 0.0021,
    },
    {
      pid: 150,
      slot: 0,
      generation: 1,
      state: 'retiring',
      startedAt: '2026-01-01T00:00:00.000Z',
      uptimeSeconds: 95,
      sessions: null,
      sessionsByProtocol: null,
      rssBytes: null,
      heapUsedBytes: null,
      eventLoopLagP99Seconds: null,
    },
  ],
};

describe('status page', () => {
  it('shows each worker as a table row with human units', () => {
    const html = renderStatusPage(DOC);
    assert.ok(
      html.includes(
        '<tr><td>200</td><td>0</td><td>2</td><td><span class="state ready">ready</span></td><td>1m 5s</td><td>3</td><td>2 / 1 / 0</td><td>60.0 MiB</td><td>12.0 MiB</td><td>2.1 ms</td></tr>',
      ),
    );
    assert.ok(
      html.includes(
        '<tr><td>150</td><td>0</td><td>1</td><td><span class="state retiring">retiring</span></td><td>1m 35s</td><td>–</td><td>–</td><td>–</td><td>–</td><td>–</td></tr>',
      ),
    );
    assert.ok(html.includes('<p class="sub">primary pid 100 · up 1d 2h 3m 4s since 2026-01-01T00:00:00.000Z</p>'));
    assert.ok(html.includes('<tr><td>accept_policy</td><td>least_conn</td></tr>'));
    assert.ok(html.includes('<tr><td>last reload</td><td><span class="ok">ok</span> at 2026-01-01T00:00:30.000Z</td></tr>'));
  });

  it('loads nothing from elsewhere: no scripts, links to stylesheets, images or fonts', () => {
    const html = renderStatusPage(DOC);
    assert.doesNotMatch(html, /<script|<link|<img|src=|url\(|@import/i);
  });

  it('escapes text', () => {
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    const html = renderStatusPage({ ...DOC, version: '<b>1</b>' });
    assert.ok(html.includes('<h1>postern &lt;b&gt;1&lt;/b&gt;</h1>'));
  });

  it('formats durations and sizes', () => {
    assert.equal(formatDuration(0), '0s');
    assert.equal(formatDuration(59.9), '59s');
    assert.equal(formatDuration(3600), '1h 0m 0s');
    assert.equal(formatDuration(86400 + 5), '1d 0h 0m 5s');
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(3 * 1024 ** 3), '3.0 GiB');
    assert.equal(formatBytes(null), '–');
  });
});
