/**
 * POP3 parser and machine properties (fast-check, time-capped): the same actions whether the client's
 * bytes arrive whole, one at a time or split anywhere; no input makes them throw; the resumable state
 * stays small.
 */
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { makePop3Settings, pop3Protocol, type Pop3Settings } from '../../src/protocol/pop3/index.js';
import { parsePop3 } from '../../src/protocol/pop3/parse.js';
import {
  assertParserBounded,
  assertSplitInvariant,
  assertSurvivesAnyBytes,
  lineStream,
} from '../helpers/line-protocol-properties.js';
import { describeActions, ShellSim, TEST_ENV } from '../unit/protocol/pop3/shell-sim.js';

const line = fc.oneof(
  fc.constantFrom(
    'USER alice',
    'USER  a b ',
    'PASS secret',
    'CAPA',
    'NOOP',
    'AUTH',
    'AUTH PLAIN',
    'AUTH PLAIN AGFsaWNlAHNlY3JldA==',
    'AUTH LOGIN',
    'AUTH LOGIN YWxpY2U=',
    'AUTH CRAM-MD5',
    'AUTH EXTERNAL',
    'AUTH EXTERNAL =',
    'YWxpY2UgMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=',
    'AGFsaWNlAHNlY3JldA==',
    'AGEKYgBw',
    '*',
    '=',
    'APOP alice 0123456789abcdef0123456789abcdef',
    'STLS',
    'QUIT',
    'STAT',
    'CAPA a b c d',
    '',
    ' NOOP',
    'noop',
  ),
  fc.string({ maxLength: 40 }),
  fc.integer({ min: 100, max: 300 }).map((n) => `USER ${'u'.repeat(n)}`),
);

const stream = lineStream(line);

const settingsArb: fc.Arbitrary<Pop3Settings> = fc
  .record({
    starttls: fc.constantFrom('off', 'on', 'only'),
    plain: fc.boolean(),
    apop: fc.boolean(),
    cramMd5: fc.boolean(),
    external: fc.boolean(),
    maxErrors: fc.integer({ min: 0, max: 6 }),
    clientBufferBytes: fc.constantFrom(32, 128, 512),
  })
  .map((r) =>
    makePop3Settings({
      serverName: 'mx.example.com',
      auth: { plain: r.plain, apop: r.apop, cramMd5: r.cramMd5, external: r.external },
      capabilities: [],
      starttls: r.starttls,
      maxErrors: r.maxErrors,
      clientBufferBytes: r.clientBufferBytes,
    }),
  );

function run(settings: Pop3Settings, tls: boolean, chunks: readonly Buffer[]): string[] {
  const sim = new ShellSim(pop3Protocol, settings, { ...TEST_ENV, tls });
  for (const c of chunks) sim.send(c);
  sim.settle();
  return describeActions(sim.actions, true);
}

describe('pop3 properties', () => {
  it('gives the same actions whether bytes arrive whole, one at a time or split anywhere', () => {
    assertSplitInvariant(settingsArb, stream, run);
  });

  it('never throws on arbitrary bytes and keeps its resumable state small', () => {
    assertSurvivesAnyBytes(settingsArb, (settings) => new ShellSim(pop3Protocol, settings, TEST_ENV), 6);
  });

  it('the parser never throws and never consumes beyond the offered bytes', () => {
    assertParserBounded(parsePop3);
  });
});
