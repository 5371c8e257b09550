import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildStatus, type PrimaryView } from '../../../src/primary/status-report.js';
import type { WorkerSummary } from '../../../src/metrics/worker-metrics.js';

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);

const VIEW: PrimaryView = {
  version: '0.1.0',
  pid: 100,
  startedAtMs: T0,
  generation: 3,
  lastReload: { atMs: T0 + 30_000, ok: false },
  reloads: { ok: 2, failed: 1 },
  workerRestarts: 4,
  acceptPolicy: 'shared',
  workerProcesses: 2,
  workerConnections: 512,
  workers: [
    { pid: 201, slot: 1, generation: 3, state: 'ready', startedAtMs: T0 + 20_000 },
    { pid: 150, slot: 0, generation: 2, state: 'retiring', startedAtMs: T0 + 10_000 },
    { pid: 200, slot: 0, generation: 3, state: 'ready', startedAtMs: T0 + 20_000 },
  ],
  rssBytes: 5000,
  heapUsedBytes: 3000,
};

const s = (imap: number, pop3: number, smtp: number): WorkerSummary => ({
  sessions: imap + pop3 + smtp,
  sessionsByProtocol: { imap, pop3, smtp },
  rssBytes: 1000,
  heapUsedBytes: 500,
  loopLagP99Seconds: 0.0012345678,
});

describe('status document', () => {
  it('lists workers newest generation first, sums sessions, and shows who did not answer', () => {
    const doc = buildStatus(
      VIEW,
      new Map([
        [200, s(2, 1, 0)],
        [201, null],
        [150, s(1, 0, 3)],
      ]),
      T0 + 61_500,
    );
    assert.deepEqual(doc, {
      version: '0.1.0',
      pid: 100,
      startedAt: '2026-01-01T00:00:00.000Z',
      uptimeSeconds: 61.5,
      generation: 3,
      lastReload: { at: '2026-01-01T00:00:30.000Z', result: 'failed' },
      reloads: { ok: 2, failed: 1 },
      workerRestarts: 4,
      acceptPolicy: 'shared',
      workerProcesses: 2,
      workerConnections: 512,
      sessions: { total: 7, imap: 3, pop3: 1, smtp: 3 },
      primary: { rssBytes: 5000, heapUsedBytes: 3000 },
      workers: [
        {
          pid: 200,
          slot: 0,
          generation: 3,
          state: 'ready',
          startedAt: '2026-01-01T00:00:20.000Z',
          uptimeSeconds: 41.5,
          sessions: 3,
          sessionsByProtocol: { imap: 2, pop3: 1, smtp: 0 },
          rssBytes: 1000,
          heapUsedBytes: 500,
          eventLoopLagP99Seconds: 0.001235,
        },
        {
          pid: 201,
          slot: 1,
          generation: 3,
          state: 'ready',
          startedAt: '2026-01-01T00:00:20.000Z',
          uptimeSeconds: 41.5,
          sessions: null,
          sessionsByProtocol: null,
          rssBytes: null,
          heapUsedBytes: null,
          eventLoopLagP99Seconds: null,
        },
        {
          pid: 150,
          slot: 0,
          generation: 2,
          state: 'retiring',
          startedAt: '2026-01-01T00:00:10.000Z',
          uptimeSeconds: 51.5,
          sessions: 4,
          sessionsByProtocol: { imap: 1, pop3: 0, smtp: 3 },
          rssBytes: 1000,
          heapUsedBytes: 500,
          eventLoopLagP99Seconds: 0.001235,
        },
      ],
    });
  });

  it('has no last reload before the first one', () => {
    const doc = buildStatus({ ...VIEW, lastReload: null, workers: [] }, new Map(), T0);
    assert.equal(doc.lastReload, null);
    assert.deepEqual(doc.sessions, { total: 0, imap: 0, pop3: 0, smtp: 0 });
  });
});
