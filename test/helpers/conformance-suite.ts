/**
 * One protocol's conformance suite, written once for IMAP, POP3 and SMTP: every transcript of
 * test/conformance/transcripts/<protocol>/ played against postern and against nginx's mail module with the
 * shared rig (test/conformance/runner.ts), plus the check that every difference a transcript cites is
 * explained in a differences file.
 *
 * Owns: the suite's shape (one rig per suite, started before and stopped after; transcripts run six at a
 * time). Does not own which transcripts there are, which differences are known, the rig or the format.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TARGETS, TranscriptRig, type RigOptions } from '../conformance/runner.js';
import type { Transcript } from './transcript.js';

export interface ConformanceSuite {
  readonly protocol: RigOptions['protocol'];
  /** the suite's `describe` title */
  readonly title: string;
  readonly transcripts: readonly Transcript[];
  /** the difference ids that are explained, with their titles */
  readonly known: ReadonlyMap<string, string>;
  /** the name of the test that checks every cited difference is known */
  readonly knownCheck: string;
  /**
   * Also require both servers to have logged the same session lines, beyond those a transcript names
   * (skipped for a transcript marked `@log-differs`).
   */
  readonly compareLogs: boolean;
}

export function describeConformance(suite: ConformanceSuite): void {
  const { transcripts, known } = suite;
  describe(suite.title, { concurrency: 6 }, () => {
    let rig: TranscriptRig;
    before(async () => {
      rig = await TranscriptRig.start({ protocol: suite.protocol, transcripts });
    });
    after(async () => {
      await rig.stop();
    });

    test(suite.knownCheck, () => {
      const unknown = transcripts.flatMap((t) => t.differences.filter((d) => !known.has(d)).map((d) => `${t.name}: ${d}`));
      assert.deepEqual(unknown, []);
    });

    for (const t of transcripts) {
      test(`${t.name}: ${t.title}`, async () => {
        const results = await Promise.allSettled(TARGETS.map((target) => rig.play(t, target)));
        const failures = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []));
        assert.equal(failures.length, 0, failures.join('\n\n'));
        if (suite.compareLogs && t.logDiffers.length === 0) assert.equal(await rig.compareLogs(t), null);
      });
    }
  });
}
