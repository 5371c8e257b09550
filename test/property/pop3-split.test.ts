/**
 * POP3 parser and machine properties (fast-check, time-capped): the same actions whether the client's
 * bytes arrive whole, one at a time or split anywhere; no input makes them throw; the resumable state
 * stays small.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { makePop3Settings, pop3Protocol, type Pop3Settings } from '../../src/protocol/pop3/index.js';
import { parsePop3 } from '../../src/protocol/pop3/parse.js';
import { describeActions, ShellSim, TEST_ENV } from '../unit/protocol/pop3/shell-sim.js';

const TIME_LIMIT_MS = 3000;

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

const eol = fc.constantFrom('\r\n', '\r\n', '\r\n', '\n', '\r', '');

const stream = fc.array(fc.tuple(line, eol), { maxLength: 12 }).map((parts) => Buffer.from(parts.map(([l, e]) => l + e).join(''), 'latin1'));

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

function splitAt(data: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(data.subarray(prev, p));
    prev = p;
  }
  out.push(data.subarray(prev));
  return out;
}

describe('pop3 properties', () => {
  it('gives the same actions whether bytes arrive whole, one at a time or split anywhere', () => {
    fc.assert(
      fc.property(settingsArb, fc.boolean(), stream, fc.array(fc.nat(), { maxLength: 8 }), (settings, tls, data, cuts) => {
        const whole = run(settings, tls, [data]);
        const bytes = run(settings, tls, [...data].map((c) => Buffer.from([c])));
        const split = run(settings, tls, splitAt(data, cuts));
        assert.deepEqual(bytes, whole);
        assert.deepEqual(split, whole);
      }),
      { numRuns: 1_000_000, plugins: [fc.interruptAfterTimeLimit(TIME_LIMIT_MS)] },
    );
  });

  it('never throws on arbitrary bytes and keeps its resumable state small', () => {
    fc.assert(
      fc.property(settingsArb, fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 10 }), (settings, chunks) => {
        const sim = new ShellSim(pop3Protocol, settings, TEST_ENV);
        for (const c of chunks) {
          sim.send(Buffer.from(c));
          const cursor = sim.state.cursor;
          if (cursor !== null) assert.ok(cursor.args.length <= 6 && cursor.pos <= settings.clientBufferBytes);
        }
        sim.settle();
      }),
      { numRuns: 1_000_000, plugins: [fc.interruptAfterTimeLimit(TIME_LIMIT_MS)] },
    );
  });

  it('the parser never throws and never consumes beyond the offered bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), fc.boolean(), (bytes, at, sasl) => {
        const buf = Buffer.from(bytes);
        const start = buf.length === 0 ? 0 : at % buf.length;
        const r = parsePop3(buf, start, buf.length, null, sasl);
        if (r.kind !== 'incomplete') assert.ok(r.consumed > 0 && r.consumed <= buf.length - start);
        else assert.ok(r.cursor.pos === buf.length - start);
      }),
      { numRuns: 1_000_000, plugins: [fc.interruptAfterTimeLimit(TIME_LIMIT_MS)] },
    );
  });
});
