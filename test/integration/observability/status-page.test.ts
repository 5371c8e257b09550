/**
 * The status page of the real binary in headless Chromium (Debian's /usr/bin/chromium through
 * playwright-core): it renders offline with its inline styles under its own CSP, shows every worker
 * the JSON shows, loads nothing else, and a screenshot is kept in test-artifacts/observability/.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { VERSION } from '../../../src/cli/version.js';
import { artifactsDir } from '../../helpers/run-dir.js';
import { connectLine, type LineClient } from '../../helpers/line-client.js';
import { startBackends, startProxy, type Backends, type Proxy } from './harness.js';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

describe('status page in a browser', () => {
  let b: Backends;
  let px: Proxy;
  let browser: Browser;
  const clients: LineClient[] = [];

  before(async () => {
    b = await startBackends(['alice']);
    px = await startProxy({ auth: b.auth, main: 'worker_processes 2;' });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });
  after(async () => {
    for (const c of clients) c.destroy();
    await browser.close();
    await px.stop();
    await b.stop();
  });

  it('renders the workers, sessions and last reload with its own styles, and is kept as a screenshot', async () => {
    await px.reload();
    // the first generation had no sessions: wait until it is gone, so the page and the JSON agree
    const deadline = Date.now() + 15_000;
    while ((await px.status()).workers.some((w) => w.state === 'retiring')) {
      assert.ok(Date.now() < deadline, 'the old generation did not exit');
      await new Promise((r) => setTimeout(r, 50));
    }
    const imap = await connectLine({ port: px.imap, timeoutMs: 10_000 });
    clients.push(imap);
    await imap.expect(/^\* OK /);
    imap.send('a LOGIN alice secret\r\n');
    await imap.skipUntil(/^a OK /);
    const pop3 = await connectLine({ port: px.pop3, timeoutMs: 10_000 });
    clients.push(pop3);
    await pop3.expect(/^\+OK /);

    const status = await px.status();
    const page = await browser.newPage({ viewport: { width: 1100, height: 760 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));

    const url = `http://127.0.0.1:${px.statusPort}/status.html`;
    const res = await page.goto(url, { waitUntil: 'load' });
    assert.equal(res?.status(), 200);
    assert.equal(await page.title(), 'postern status');
    assert.equal(await page.textContent('h1'), `postern ${VERSION}`);

    // one row per worker of /status
    const rows = await page.locator('table').last().locator('tr td:first-child').allTextContents();
    const shown = (await px.status()).workers.map((w) => String(w.pid));
    assert.deepEqual(rows.sort(), shown.sort());
    assert.ok(shown.length >= 2);

    // the session cards add up to what is open
    const labels = await page.locator('.card span').allTextContents();
    const values = await page.locator('.card b').allTextContents();
    const cards = labels.map((l, i) => `${l}=${values[i] ?? ''}`);
    assert.deepEqual(cards.slice(0, 4), ['sessions=2', 'imap=1', 'pop3=1', 'smtp=0']);
    assert.ok(cards.includes(`generation=${status.generation}`), cards.join(' '));

    // the inline stylesheet applied (the page's CSP allows inline styles and nothing else)
    // (a string expression: this file is compiled without the DOM types)
    const bg = await page.evaluate<string>('getComputedStyle(document.body).backgroundColor');
    assert.equal(bg, 'rgb(246, 247, 249)');
    assert.deepEqual(problems, []);
    assert.deepEqual(requests, [url], 'the page loaded something besides itself');

    const file = join(artifactsDir('observability'), 'status-page.png');
    await page.screenshot({ path: file, fullPage: true });
    const png = readFileSync(file);
    assert.ok(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), 'not a PNG');
    assert.ok(png.length > 10_000, `screenshot of ${png.length} bytes`);
    await page.close();
  });
});
