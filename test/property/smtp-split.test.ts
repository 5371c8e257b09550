/**
 * SMTP parser and machine properties (fast-check, time-capped): the same actions whether the client's
 * bytes arrive whole, one at a time or split anywhere; no input makes them throw; the resumable state
 * stays small.
 */
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { makeSmtpSettings, smtpProtocol, type SmtpSettings } from '../../src/protocol/smtp/index.js';
import { parseSmtp } from '../../src/protocol/smtp/parse.js';
import {
  assertParserBounded,
  assertSplitInvariant,
  assertSurvivesAnyBytes,
  lineStream,
} from '../helpers/line-protocol-properties.js';
import { describeActions, ShellSim, TEST_ENV } from '../unit/protocol/pop3/shell-sim.js';

const line = fc.oneof(
  fc.constantFrom(
    'EHLO client.example',
    'HELO c',
    'EHLO',
    'MAIL FROM:<a@b> SIZE=10',
    'MAIL FROM:<>',
    'MAIL',
    'RCPT TO:<c@d>',
    'RCPT',
    'RSET',
    'NOOP',
    'VRFY a',
    'DATA',
    'AUTH',
    'AUTH PLAIN',
    'AUTH PLAIN AGFsaWNlAHNlY3JldA==',
    'AUTH LOGIN',
    'AUTH LOGIN YWxpY2U=',
    'AUTH CRAM-MD5',
    'AUTH EXTERNAL YWxpY2U=',
    'YWxpY2UgMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=',
    'c2VjcmV0',
    '*',
    'STARTTLS',
    'QUIT',
    'XCLIENT ADDR=1.2.3.4',
    'NOOP 1 2 3 4 5 6 7 8 9 10 11 12',
    '',
    ' HELO x',
  ),
  fc.string({ maxLength: 40 }),
  fc.integer({ min: 20, max: 90 }).map((n) => `EHLO ${'h'.repeat(n)}`),
);

const stream = lineStream(line);

const settingsArb: fc.Arbitrary<SmtpSettings> = fc
  .record({
    starttls: fc.constantFrom('off', 'on', 'only'),
    plain: fc.boolean(),
    cramMd5: fc.boolean(),
    external: fc.boolean(),
    none: fc.boolean(),
    maxErrors: fc.integer({ min: 0, max: 6 }),
    clientBufferBytes: fc.constantFrom(48, 96, 4096),
    resolver: fc.boolean(),
    greetingDelayMs: fc.constantFrom(0, 0, 100),
  })
  .map((r) =>
    makeSmtpSettings({
      serverName: 'mx.example.com',
      auth: { plain: r.plain, login: r.plain, cramMd5: r.cramMd5, external: r.external, none: r.none },
      capabilities: ['PIPELINING'],
      starttls: r.starttls,
      resolver: r.resolver,
      greetingDelayMs: r.greetingDelayMs,
      maxErrors: r.maxErrors,
      clientBufferBytes: r.clientBufferBytes,
    }),
  );

function run(settings: SmtpSettings, tls: boolean, chunks: readonly Buffer[]): string[] {
  const sim = new ShellSim(smtpProtocol, settings, { ...TEST_ENV, tls });
  // The greeting (after any lookup and delay) comes first; the client then talks.
  if (settings.greetingDelayMs === 0) sim.settle();
  for (const c of chunks) sim.send(c);
  sim.settle();
  return describeActions(sim.actions, true);
}

describe('smtp properties', () => {
  it('gives the same actions whether bytes arrive whole, one at a time or split anywhere', () => {
    assertSplitInvariant(settingsArb, stream, run);
  });

  it('never throws on arbitrary bytes and keeps its resumable state small', () => {
    assertSurvivesAnyBytes(settingsArb, (settings) => new ShellSim(smtpProtocol, settings, TEST_ENV).settle(), 22);
  });

  it('the parser never throws and never consumes beyond the offered bytes', () => {
    assertParserBounded(parseSmtp);
  });
});
