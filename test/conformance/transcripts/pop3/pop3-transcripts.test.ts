/**
 * POP3 conformance: every transcript in this directory played against postern and against Debian's
 * nginx 1.22.1 mail module with the shared runner (test/conformance/runner.ts). Both must produce the
 * transcript's bytes and log lines; where they differ on purpose the transcript has a target-specific
 * step citing an entry of ../../known-differences.md or of ./differences.md (the POP3 and SMTP entries).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { knownDifferences, loadTranscripts, TARGETS, TranscriptRig } from '../../runner.js';
import { localDifferences } from '../smtp/local-differences.js';

const transcripts = loadTranscripts('pop3');
const known = new Map([...knownDifferences(), ...localDifferences()]);

describe('POP3 transcripts against postern and nginx', { concurrency: 6 }, () => {
  let rig: TranscriptRig;
  before(async () => {
    rig = await TranscriptRig.start({ protocol: 'pop3', transcripts });
  });
  after(async () => {
    await rig.stop();
  });

  test('every difference a transcript cites is explained in a differences file', () => {
    const unknown = transcripts.flatMap((t) => t.differences.filter((d) => !known.has(d)).map((d) => `${t.name}: ${d}`));
    assert.deepEqual(unknown, []);
  });

  for (const t of transcripts) {
    test(`${t.name}: ${t.title}`, async () => {
      const results = await Promise.allSettled(TARGETS.map((target) => rig.play(t, target)));
      const failures = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []));
      assert.equal(failures.length, 0, failures.join('\n\n'));
    });
  }
});
