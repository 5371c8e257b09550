/**
 * IMAP conformance: every transcript in transcripts/imap/ played against postern and against Debian's
 * nginx 1.22.1 mail module (runner.ts). Both must produce the transcript's bytes and, line for line, the
 * same session log; where they differ on purpose the transcript has target-specific steps (or
 * `@log-differs`) citing an entry of known-differences.md.
 */
import { describeConformance } from '../helpers/conformance-suite.js';
import { knownDifferences, loadTranscripts } from './runner.js';

// POSTERN_TRANSCRIPTS=name1,name2 plays only the transcripts whose names contain one of them (debugging).
const only = (process.env.POSTERN_TRANSCRIPTS ?? '').split(',').filter((s) => s !== '');

describeConformance({
  protocol: 'imap',
  title: 'IMAP transcripts against postern and nginx',
  transcripts: loadTranscripts('imap').filter((t) => only.length === 0 || only.some((s) => t.name.includes(s))),
  known: knownDifferences(),
  knownCheck: 'every difference a transcript cites is explained in known-differences.md',
  compareLogs: true,
});
