/**
 * The fast-check properties the POP3 and SMTP modules share, written once (their property tests in
 * test/property/ call them): bytes arriving whole, one at a time or split anywhere give the same actions;
 * arbitrary bytes never make the machine throw and keep its parse cursor small; the parser never throws
 * and never consumes beyond what it was offered. Each property is capped in time.
 *
 * Owns: the property bodies and the chunking. Does not own the arbitraries, how a protocol's session is
 * started (SMTP waits for its greeting) or the shell stand-in (test/unit/protocol/pop3/shell-sim.ts).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { VerbLineParse } from '../../src/protocol/verb-line.js';
import type { ShellSim } from '../unit/protocol/pop3/shell-sim.js';

const TIME_LIMIT_MS = 3000;
const LIMITS: fc.Parameters<unknown> = { numRuns: 1_000_000, plugins: [fc.interruptAfterTimeLimit(TIME_LIMIT_MS)] };

/** Client input: up to 12 of `line`, each ended by CRLF (mostly), a bare LF or CR, or nothing. */
export function lineStream(line: fc.Arbitrary<string>): fc.Arbitrary<Buffer> {
  const eol = fc.constantFrom('\r\n', '\r\n', '\r\n', '\n', '\r', '');
  return fc.array(fc.tuple(line, eol), { maxLength: 12 }).map((parts) => Buffer.from(parts.map(([l, e]) => l + e).join(''), 'latin1'));
}

/** Plays `chunks` against a fresh session; returns its actions, described split-invariantly. */
export type RunChunks<C> = (settings: C, tls: boolean, chunks: readonly Buffer[]) => string[];

/** `data` cut at each of `cuts` (taken modulo its length + 1, sorted, deduplicated). */
export function splitAt(data: Buffer, cuts: readonly number[]): Buffer[] {
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

export function assertSplitInvariant<C>(settings: fc.Arbitrary<C>, stream: fc.Arbitrary<Buffer>, run: RunChunks<C>): void {
  fc.assert(
    fc.property(settings, fc.boolean(), stream, fc.array(fc.nat(), { maxLength: 8 }), (st, tls, data, cuts) => {
      const whole = run(st, tls, [data]);
      const bytes = run(st, tls, [...data].map((c) => Buffer.from([c])));
      const split = run(st, tls, splitAt(data, cuts));
      assert.deepEqual(bytes, whole);
      assert.deepEqual(split, whole);
    }),
    LIMITS,
  );
}

interface WithCursor {
  readonly cursor: { readonly args: readonly number[]; readonly pos: number } | null;
}

/** `fresh` starts a session as far as the client may talk; `maxCursorArgs` bounds the cursor's offsets. */
export function assertSurvivesAnyBytes<S extends WithCursor, C extends { readonly clientBufferBytes: number }>(
  settings: fc.Arbitrary<C>,
  fresh: (settings: C) => ShellSim<S, C>,
  maxCursorArgs: number,
): void {
  fc.assert(
    fc.property(settings, fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 10 }), (st, chunks) => {
      const sim = fresh(st);
      for (const c of chunks) {
        sim.send(Buffer.from(c));
        const cursor = sim.state.cursor;
        if (cursor !== null) assert.ok(cursor.args.length <= maxCursorArgs && cursor.pos <= st.clientBufferBytes);
      }
      sim.settle();
    }),
    LIMITS,
  );
}

export function assertParserBounded(
  parse: (buf: Buffer, start: number, end: number, cursor: null, sasl: boolean) => VerbLineParse<number>,
): void {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), fc.boolean(), (bytes, at, sasl) => {
      const buf = Buffer.from(bytes);
      const start = buf.length === 0 ? 0 : at % buf.length;
      const r = parse(buf, start, buf.length, null, sasl);
      if (r.kind !== 'incomplete') assert.ok(r.consumed > 0 && r.consumed <= buf.length - start);
      else assert.ok(r.cursor.pos === buf.length - start);
    }),
    LIMITS,
  );
}
