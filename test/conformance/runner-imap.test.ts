/**
 * IMAP conformance: every transcript in transcripts/imap/ played against postern and against Debian's
 * nginx 1.22.1 mail module (runner.ts). Both must produce the transcript's bytes and, line for line, the
 * same session log; where they differ on purpose the transcript has target-specific steps (or
 * `@log-differs`) citing an entry of known-differences.md.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { knownDifferences, loadTranscripts, TARGETS, TranscriptRig } from './runner.js';

// POSTERN_TRANSCRIPTS=name1,name2 plays only the transcripts whose names contain one of them (debugging).
const only = (process.env.POSTERN_TRANSCRIPTS ?? '').split(',').filter((s) => s !== '');
const transcripts = loadTranscripts('imap').filter(
  (t) => only.length === 0 || only.some((s) => t.name.includes(s)),
);
const known = knownDifferences();

describe('IMAP transcripts against postern and nginx', { concurrency: 6 }, () => {
  let rig: TranscriptRig;
  before(async () => {
    rig = await TranscriptRig.start({ protocol: 'imap', transcripts });
  });
  after(async () => {
    await rig.stop();
  });

  test('every difference a transcript cites is explained in known-differences.md', () => {
    const unknown = transcripts.flatMap((t) =>
      t.differences.filter((d) => !known.has(d)).map((d) => `${t.name}: ${d}`),
    );
    assert.deepEqual(unknown, []);
  });

  for (const t of transcripts) {
    test(`${t.name}: ${t.title}`, async () => {
      const results = await Promise.allSettled(TARGETS.map((target) => rig.play(t, target)));
      const failures = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []));
      assert.equal(failures.length, 0, failures.join('\n\n'));
      // Beyond the lines a transcript names, both servers must have logged the same session lines.
      if (t.logDiffers.length === 0) assert.equal(await rig.compareLogs(t), null);
    });
  }
});
