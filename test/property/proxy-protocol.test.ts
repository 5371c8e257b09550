/**
 * Property tests for the PROXY protocol parser: it never throws on any bytes, its answer does not depend
 * on how the bytes were split, a header is decided by its own bytes (what follows never changes it), and
 * every header the builders write parses back to the same addresses. Time-capped (about 10 s in all).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  PP2_SIGNATURE,
  buildProxyV1,
  buildProxyV2,
  parseProxyHeader,
  type ProxyParseResult,
} from '../../src/net/proxy-protocol.js';
import { inet6Ntop } from '../../src/net/inet-text.js';

const TIME_LIMIT_MS = 2500;
const RUNS = 3000;

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));
const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => inet6Ntop(b));
const port = fc.nat(65535);
const endpoint = fc.oneof(ipv4, ipv6).chain((address) => port.map((p) => ({ address, port: p })));

const validV1 = fc.oneof(
  fc.tuple(ipv4, ipv4, port, port).map(([s, d, sp, dp]) => `PROXY TCP4 ${s} ${d} ${String(sp)} ${String(dp)}\r\n`),
  fc.tuple(ipv6, ipv6, port, port).map(([s, d, sp, dp]) => `PROXY TCP6 ${s} ${d} ${String(sp)} ${String(dp)}\r\n`),
  fc.string({ maxLength: 80 }).map((junk) => `PROXY UNKNOWN${junk.replace(/[\r\n]/g, '')}\r\n`),
).map((s) => Buffer.from(s, 'latin1'));

const validV2 = fc
  .tuple(
    fc.option(endpoint, { nil: null }),
    fc.option(endpoint, { nil: null }),
    fc.option(fc.string({ maxLength: 20 }), { nil: null }),
    fc.option(fc.record({ version: fc.constantFrom('TLSv1.2', 'TLSv1.3'), cipher: fc.string({ maxLength: 30 }), verified: fc.boolean(), clientCert: fc.constantFrom<'none' | 'connection' | 'session'>('none', 'connection', 'session') }), { nil: null }),
  )
  .map(([src, dst, authority, ssl]) => buildProxyV2(src, dst, { authority, ssl }));

/** Valid headers, their mutations and prefixes, random bytes, and v2 signatures with random rest. */
const input = fc
  .tuple(
    fc.oneof(
      validV1,
      validV2,
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
      fc.uint8Array({ maxLength: 120 }).map((b) => Buffer.concat([PP2_SIGNATURE, Buffer.from(b)])),
      fc.tuple(fc.oneof(validV1, validV2), fc.nat(200), fc.nat(255)).map(([h, at, v]) => {
        const m = Buffer.from(h);
        if (m.length > 0) m[at % m.length] = v;
        return m;
      }),
      fc.tuple(fc.oneof(validV1, validV2), fc.nat(200)).map(([h, n]) => h.subarray(0, n % (h.length + 1))),
    ),
    fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
  )
  .map(([head, tail]) => Buffer.concat([head, tail]));

function firstDecision(bytes: Buffer, cuts: readonly number[]): ProxyParseResult {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  for (const end of [...points, bytes.length]) {
    const r = parseProxyHeader(bytes.subarray(0, end));
    if (r.type !== 'incomplete') return r;
  }
  return parseProxyHeader(bytes);
}

describe('PROXY protocol parser properties', () => {
  it('never throws, whatever the bytes', () => {
    fc.assert(
      fc.property(input, (bytes) => {
        parseProxyHeader(bytes);
      }),
      { numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS },
    );
  });

  it('gives the same answer however the bytes are split', () => {
    fc.assert(
      fc.property(input, fc.array(fc.nat(), { maxLength: 8 }), (bytes, cuts) => {
        assert.deepEqual(firstDecision(bytes, cuts), parseProxyHeader(bytes));
      }),
      { numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS },
    );
  });

  it('keeps a decision once made: what follows a header or a broken start never changes the answer', () => {
    fc.assert(
      fc.property(input, fc.uint8Array({ maxLength: 50 }), (bytes, more) => {
        const r = parseProxyHeader(bytes);
        if (r.type === 'incomplete') return;
        assert.deepEqual(parseProxyHeader(Buffer.concat([bytes, more])), r);
        if (r.type === 'header') assert.deepEqual(parseProxyHeader(bytes.subarray(0, r.consumed)), r);
      }),
      { numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS },
    );
  });

  it('parses back every header the builders write', () => {
    fc.assert(
      fc.property(endpoint, endpoint, (src, dst) => {
        for (const h of [buildProxyV1(src, dst), buildProxyV2(src, dst)]) {
          const r = parseProxyHeader(h);
          assert.equal(r.type, 'header');
          assert.equal(r.consumed, h.length);
          const a = r.header.addresses;
          assert.ok(a !== null);
          assert.equal(a.srcPort, src.port);
          assert.equal(a.dstPort, dst.port);
        }
      }),
      { numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS },
    );
  });
});
