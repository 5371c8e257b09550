import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WorkerReports } from '../../../src/primary/status-probe.js';
import { isPrimaryMessage, isWorkerMessage, type PrimaryMessage, type WorkerMessage } from '../../../src/primary/ipc.js';
import { Series } from '../../../src/metrics/series.js';
import { METRICS } from '../../../src/metrics/catalogue.js';
import type { WorkerSummary } from '../../../src/metrics/worker-metrics.js';

interface FakeWorker {
  readonly name: string;
  started: number;
  /** answers requests when true; silent otherwise */
  answers: boolean;
  connected: boolean;
}

const SUMMARY: WorkerSummary = { sessions: 1, sessionsByProtocol: { imap: 1, pop3: 0, smtp: 0 }, rssBytes: 1, heapUsedBytes: 1, loopLagP99Seconds: 0 };

function metricsOf(w: FakeWorker): unknown[] {
  const s = new Series(METRICS.sessionsStarted);
  s.add(w.started, 'imap', 's');
  return JSON.parse(JSON.stringify([s.toJson()])) as unknown[];
}

function reply(w: FakeWorker, id: number, final: boolean, metrics: boolean): Extract<WorkerMessage, { type: 'report' }> {
  return { type: 'report', id, final, summary: SUMMARY, metrics: metrics ? metricsOf(w) : [] };
}

function setup(timeoutMs = 200): { probe: WorkerReports<FakeWorker>; sent: PrimaryMessage[]; timeouts: number[]; invalid: string[] } {
  const sent: PrimaryMessage[] = [];
  const timeouts: number[] = [];
  const invalid: string[] = [];
  const probe: WorkerReports<FakeWorker> = new WorkerReports<FakeWorker>({
    send: (w, msg) => {
      if (!w.connected) return false;
      sent.push(msg);
      assert.ok(isPrimaryMessage(msg));
      if (w.answers && msg.type === 'report') {
        setImmediate(() => {
          const r = reply(w, msg.id, false, msg.metrics);
          assert.ok(isWorkerMessage(r));
          probe.received(w, r);
        });
      }
      return true;
    },
    onTimeout: (n) => timeouts.push(n),
    onInvalid: (w) => invalid.push(w.name),
    timeoutMs,
  });
  return { probe, sent, timeouts, invalid };
}

function started(text: string): string[] {
  return text.split('\n').filter((l) => l.startsWith('postern_sessions_started_total{'));
}

describe('worker reports', () => {
  it('asks every worker and sums their answers', async () => {
    const { probe, sent } = setup();
    const a: FakeWorker = { name: 'a', started: 2, answers: true, connected: true };
    const b: FakeWorker = { name: 'b', started: 3, answers: true, connected: true };
    probe.add(a);
    probe.add(b);
    const text = await probe.metricsText([a, b], () => Promise.resolve([]));
    assert.deepEqual(started(text), ['postern_sessions_started_total{protocol="imap",server="s"} 5']);
    assert.deepEqual(
      sent.map((m) => (m.type === 'report' ? [m.metrics, m.reset] : null)),
      [
        [true, true],
        [true, true],
      ],
    );
  });

  it('goes on without a worker that does not answer in time, and counts it', async () => {
    const { probe, timeouts } = setup(50);
    const a: FakeWorker = { name: 'a', started: 2, answers: true, connected: true };
    const mute: FakeWorker = { name: 'mute', started: 9, answers: false, connected: true };
    const gone: FakeWorker = { name: 'gone', started: 9, answers: false, connected: false };
    for (const w of [a, mute, gone]) probe.add(w);
    const answers = await probe.collect([a, mute, gone], { metrics: false, reset: false });
    assert.equal(answers.size, 3);
    assert.equal(answers.get(a)?.summary.sessions, 1);
    assert.equal(answers.get(mute), null);
    assert.equal(answers.get(gone), null);
    assert.deepEqual(timeouts, [1]);
  });

  it('keeps the counters of a worker that sent its final report, and never asks it again', async () => {
    const { probe, sent } = setup();
    const a: FakeWorker = { name: 'a', started: 2, answers: true, connected: true };
    const old: FakeWorker = { name: 'old', started: 7, answers: true, connected: true };
    probe.add(a);
    probe.add(old);
    probe.received(old, reply(old, 0, true, true));
    probe.gone(old); // its channel closes after the final report: nothing more to keep
    const text = await probe.metricsText([a, old], () => Promise.resolve([]));
    assert.deepEqual(started(text), ['postern_sessions_started_total{protocol="imap",server="s"} 9']);
    assert.equal(sent.length, 1, 'the retired worker was asked');
  });

  it('keeps the last answer of a worker that died without a final report', async () => {
    const { probe } = setup();
    const a: FakeWorker = { name: 'a', started: 1, answers: true, connected: true };
    const dead: FakeWorker = { name: 'dead', started: 4, answers: true, connected: true };
    probe.add(a);
    probe.add(dead);
    await probe.metricsText([a, dead], () => Promise.resolve([]));
    dead.started = 10; // counted after the scrape, then killed: lost
    probe.gone(dead);
    const text = await probe.metricsText([a], () => Promise.resolve([]));
    assert.deepEqual(started(text), ['postern_sessions_started_total{protocol="imap",server="s"} 5']);
  });

  it('counts a worker once when its final report arrives while a scrape is under way', async () => {
    const sent: PrimaryMessage[] = [];
    const w: FakeWorker = { name: 'w', started: 3, answers: true, connected: true };
    const probe: WorkerReports<FakeWorker> = new WorkerReports<FakeWorker>({
      send: (target, msg) => {
        sent.push(msg);
        if (msg.type === 'report') {
          // answers the scrape, then exits at once with a final report holding one more session
          probe.received(target, reply(target, msg.id, false, true));
          target.started = 4;
          probe.received(target, reply(target, 0, true, true));
        }
        return true;
      },
    });
    probe.add(w);
    const text = await probe.metricsText([w], () => Promise.resolve([]));
    assert.deepEqual(started(text), ['postern_sessions_started_total{protocol="imap",server="s"} 4']);
  });

  it('drops a report that fails its checks and says so', async () => {
    const { probe, invalid } = setup();
    const w: FakeWorker = { name: 'w', started: 1, answers: false, connected: true };
    probe.add(w);
    probe.received(w, { type: 'report', id: 0, final: true, summary: SUMMARY, metrics: [{ name: 'x' }] });
    assert.deepEqual(invalid, ['w']);
    const text = await probe.metricsText([], () => Promise.resolve([]));
    assert.deepEqual(started(text), []);
  });

  it('refuses malformed report messages in both directions', () => {
    assert.equal(isPrimaryMessage({ type: 'report', id: 1, metrics: true }), false);
    assert.equal(isPrimaryMessage({ type: 'report', id: -1, metrics: true, reset: false }), false);
    assert.equal(isPrimaryMessage({ type: 'report', id: 1, metrics: true, reset: false }), true);
    assert.equal(isWorkerMessage({ type: 'report', id: 1, final: false, summary: SUMMARY, metrics: [] }), true);
    assert.equal(isWorkerMessage({ type: 'report', id: 1, final: false, summary: { ...SUMMARY, sessions: -1 }, metrics: [] }), false);
    assert.equal(isWorkerMessage({ type: 'report', id: 1, final: 'no', summary: SUMMARY, metrics: [] }), false);
    assert.equal(isWorkerMessage({ type: 'report', id: 1, final: false, summary: SUMMARY, metrics: {} }), false);
  });
});
