/**
 * POP3 conformance: every transcript in this directory played against postern and against Debian's
 * nginx 1.22.1 mail module with the shared runner (test/conformance/runner.ts). Both must produce the
 * transcript's bytes and log lines; where they differ on purpose the transcript has a target-specific
 * step citing an entry of ../../known-differences.md or of ./differences.md (the POP3 and SMTP entries).
 */
import { describeConformance } from '../../../helpers/conformance-suite.js';
import { knownDifferences, loadTranscripts } from '../../runner.js';
import { localDifferences } from '../smtp/local-differences.js';

describeConformance({
  protocol: 'pop3',
  title: 'POP3 transcripts against postern and nginx',
  transcripts: loadTranscripts('pop3'),
  known: new Map([...knownDifferences(), ...localDifferences()]),
  knownCheck: 'every difference a transcript cites is explained in a differences file',
  compareLogs: false,
});
