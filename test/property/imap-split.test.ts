/**
 * Property tests for the pure IMAP module: the same client bytes give the same actions whether they
 * arrive whole, one byte at a time or split anywhere; the parser and the machine never throw on any
 * bytes; the session state stays bounded; the upstream login is split-invariant too.
 * Each property is capped in time (about 10 s for the file), as undici does.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { imapUpstreamLogin, makeImapSettings, type ImapSettings } from '../../src/protocol/imap/index.js';
import { parseImapCommand } from '../../src/protocol/imap/parse.js';
import type { UpstreamAction } from '../../src/protocol/types.js';
import { bytewise, drive, splitAt } from '../unit/protocol/imap/imap-driver.js';

const TIME_LIMIT_MS = 2500;
const RUNS = 2000;

const b64 = (s: string): string => Buffer.from(s, 'latin1').toString('base64');
/** The single-byte characters of a latin1 string. */
const chars = (s: string): string[] => Array.from({ length: s.length }, (_, i) => s.charAt(i));

const tagArb = fc.string({ unit: fc.constantFrom(...chars('abcXYZ019._-')), minLength: 1, maxLength: 34 });
const wordArb = fc.string({ unit: fc.constantFrom(...chars('abcdXYZ019!#$%&\'*+,-./:;<=>?@[]^_`|~')), minLength: 0, maxLength: 12 });
const textArb = fc.string({ unit: fc.constantFrom(...chars('ab Z9"\\()*{}+\r\n\0\xff')), minLength: 0, maxLength: 12, size: 'medium' });
const eolArb = fc.constantFrom('\r\n', '\n', '\r\n', '\r\n', '\rx\n');

/** One IMAP argument in any of the forms nginx accepts, sometimes malformed. */
const argArb = fc.oneof(
  wordArb.filter((w) => w.length > 0 && !w.includes('"') && !w.startsWith('{')),
  textArb.map((t) => `"${t.replace(/[\r\n]/g, '').replace(/(["\\])/g, '\\$1')}"`),
  textArb.map((t) => `{${String(Buffer.byteLength(t, 'latin1'))}}\r\n${t}`),
  textArb.map((t) => `{${String(Buffer.byteLength(t, 'latin1'))}+}\r\n${t}`),
  fc.constantFrom('{0}\r\n', '{0+}\r\n', '{3}\r\nab', '{x}', '"unterminated', '{99999}\r\n'),
);

const idListArb = fc.oneof(
  fc.constant('NIL'),
  fc.array(fc.tuple(argArb, fc.oneof(argArb, fc.constant('NIL'))), { maxLength: 3 }).map((pairs) => `(${pairs.map(([k, v]) => `${k} ${v}`).join(' ')})`),
  fc.constantFrom('(', '("a")', '(NIL "x")', '(("a" "b"))'),
);

/** A client line: mostly plausible commands, some garbage. */
const lineArb = fc.oneof(
  fc.tuple(tagArb, fc.constantFrom('NOOP', 'noop', 'CAPABILITY', 'STARTTLS', 'LOGOUT', 'XLIST', 'ENABLE'), fc.array(argArb, { maxLength: 4 }), eolArb).map(
    ([t, v, a, e]) => `${t} ${[v, ...a].join(' ')}${e}`,
  ),
  fc.tuple(tagArb, fc.array(argArb, { maxLength: 3 }), eolArb).map(([t, a, e]) => `${t} LOGIN ${a.join(' ')}${e}`),
  fc.tuple(tagArb, idListArb, eolArb).map(([t, l, e]) => `${t} ID ${l}${e}`),
  fc.tuple(tagArb, fc.constantFrom('PLAIN', 'LOGIN', 'CRAM-MD5', 'EXTERNAL', 'XOAUTH2', ''), eolArb).map(([t, m, e]) => `${t} AUTHENTICATE ${m}${e}`),
  fc.tuple(tagArb, wordArb, wordArb, eolArb).map(([t, u, p, e]) => `${t} AUTHENTICATE PLAIN ${b64(`\0${u}\0${p}`)}${e}`),
  fc.tuple(wordArb, eolArb).map(([u, e]) => `${b64(u)}${e}`),
  fc.tuple(wordArb, wordArb, eolArb).map(([u, p, e]) => `${b64(`${u} ${p.padEnd(32, 'x').slice(0, 32)}`)}${e}`),
  fc.constantFrom('*\r\n', '\r\n', '=\r\n', 'a b c d\r\n'),
  fc.tuple(tagArb, textArb, eolArb).map(([t, x, e]) => `${t} ${x}${e}`),
  fc.uint8Array({ maxLength: 16 }).map((u) => Buffer.from(u).toString('latin1')),
);

const settingsArb = fc
  .record({
    clientBufferBytes: fc.integer({ min: 16, max: 200 }),
    maxErrors: fc.integer({ min: 0, max: 8 }),
    starttls: fc.constantFrom('off' as const, 'on' as const, 'only' as const),
    cramMd5: fc.boolean(),
    external: fc.boolean(),
  })
  .map(
    (r): ImapSettings =>
      makeImapSettings({
        capabilities: ['IMAP4', 'IMAP4rev1', 'UIDPLUS'],
        auth: { plain: true, login: true, cramMd5: r.cramMd5, external: r.external },
        clientBufferBytes: r.clientBufferBytes,
        maxErrors: r.maxErrors,
        starttls: r.starttls,
        serverName: 'mail.example.com',
      }),
  );

const streamArb = fc.array(lineArb, { minLength: 1, maxLength: 12, size: 'medium' }).map((lines) => Buffer.from(lines.join(''), 'latin1'));

const capped = { numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: false } as const;

describe('IMAP property: split invariance', () => {
  it('gives the same actions whole, byte at a time and split at random points', () => {
    fc.assert(
      fc.property(settingsArb, streamArb, fc.array(fc.nat(), { maxLength: 8, size: 'medium' }), (settings, input, cuts) => {
        const opts = { onStartTls: 'stop' } as const;
        const whole = drive(settings, [input], opts).events;
        assert.deepEqual(drive(settings, bytewise(input), opts).events, whole);
        assert.deepEqual(drive(settings, splitAt(input, cuts.map((c) => c % (input.length + 1))), opts).events, whole);
      }),
      capped,
    );
  });
});

describe('IMAP property: robustness', () => {
  it('the parser never throws and consumes within bounds on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300, size: 'large' }), fc.boolean(), (u, sasl) => {
        const buf = Buffer.from(u);
        let start = 0;
        for (let guard = 0; guard < 400 && start < buf.length; guard++) {
          const r = parseImapCommand(null, sasl, buf, start, buf.length);
          if (r.kind === 'incomplete' || r.kind === 'literal') break;
          assert.ok(r.consumed > 0 && start + r.consumed <= buf.length);
          start += r.consumed;
        }
      }),
      capped,
    );
  });
  it('the machine never throws on arbitrary bytes and its state stays bounded', () => {
    fc.assert(
      fc.property(settingsArb, fc.array(fc.uint8Array({ maxLength: 64, size: 'large' }), { maxLength: 12, size: 'medium' }), (settings, chunks) => {
        const r = drive(settings, chunks.map((c) => Buffer.from(c)), { onStartTls: 'stop' });
        const s = r.state;
        const limit = settings.clientBufferBytes;
        assert.ok((s.tag?.length ?? 0) <= 33);
        assert.ok((s.login?.length ?? 0) <= limit);
        assert.ok((s.clientId?.length ?? 0) <= 2 * limit + 2);
        assert.ok((s.salt?.length ?? 0) <= 64);
        assert.ok(s.parse === null || Object.keys(s.parse).length <= 25);
        assert.ok(s.parse === null || (s.parse.pos >= 0 && s.parse.pos <= limit));
      }),
      capped,
    );
  });
  it('the state stays bounded over valid-looking streams too', () => {
    fc.assert(
      fc.property(settingsArb, streamArb, (settings, input) => {
        const s = drive(settings, [input], { onStartTls: 'stop' }).state;
        assert.ok((s.clientId?.length ?? 0) <= 2 * settings.clientBufferBytes + 2);
        assert.ok(s.parse === null || s.parse.pos <= settings.clientBufferBytes);
      }),
      capped,
    );
  });
});

/* ---- upstream login ----------------------------------------------------------------------------- */

const describeUp = (a: UpstreamAction): string =>
  a.type === 'send'
    ? `send ${a.data.toString('latin1')} ${a.phase}`
    : a.type === 'done'
      ? `done ${a.reply.toString('latin1')}`
      : a.type === 'rejected'
        ? `rejected ${a.line.toString('latin1')}|${a.raw.toString('latin1')}`
        : `error ${a.message}`;

function playBackend(chunks: readonly Buffer[], forwardId: boolean, proxyBufferBytes: number): string[] {
  let state = imapUpstreamLogin.start(
    { protocol: 'imap', tag: Buffer.from('t1 '), clientId: Buffer.from('("name" "x")') },
    { login: Buffer.from('alice'), password: Buffer.from('secret') },
    { serverName: 's', xclient: false, smtpAuth: false, clientAddr: '192.0.2.1', clientIsIpv6: false, clientHost: '', forwardId, proxyBufferBytes },
  );
  const events: string[] = [];
  let buf = Buffer.alloc(0);
  for (const c of chunks) {
    buf = Buffer.concat([buf, c]);
    for (let guard = 0; guard < 100; guard++) {
      const r = imapUpstreamLogin.feed(state, buf, 0, buf.length);
      state = r.state;
      buf = buf.subarray(r.consumed);
      events.push(...r.actions.map(describeUp));
      if (r.actions.some((a) => a.type !== 'send')) return events;
      if (r.consumed === 0 && r.actions.length === 0) break;
    }
  }
  return events;
}

const backendLineArb = fc.oneof(
  fc.constantFrom(
    '* OK ready\r\n',
    '* OK [CAPABILITY IMAP4rev1 LITERAL+] ready\r\n',
    '* OK [CAPABILITY IMAP4rev1 LITERAL-] ready\r\n',
    '* PREAUTH hi\r\n',
    '+ OK\r\n',
    '+\r\n',
    '* CAPABILITY IMAP4rev1\r\n',
    '* ID NIL\r\n',
    't1.id OK ID done\r\n',
    't1 OK logged in\r\n',
    't1 NO [AUTHENTICATIONFAILED] no\r\n',
    'x9 OK other\r\n',
    'half a line\n',
  ),
  fc.uint8Array({ maxLength: 20 }).map((u) => Buffer.from(u).toString('latin1')),
);

describe('IMAP property: upstream login split invariance', () => {
  it('gives the same dialogue whole, byte at a time and split at random points', () => {
    fc.assert(
      fc.property(
        fc.array(backendLineArb, { minLength: 1, maxLength: 8, size: 'medium' }),
        fc.boolean(),
        fc.integer({ min: 16, max: 128 }),
        fc.array(fc.nat(), { maxLength: 6, size: 'medium' }),
        (lines, forwardId, pbb, cuts) => {
          const input = Buffer.from(lines.join(''), 'latin1');
          // The whole input as one chunk, but re-offered reply by reply like a socket that got it all at once.
          const whole = playBackend([input], forwardId, pbb);
          assert.deepEqual(playBackend(bytewise(input), forwardId, pbb), whole);
          assert.deepEqual(playBackend(splitAt(input, cuts.map((c) => c % (input.length + 1))), forwardId, pbb), whole);
        },
      ),
      capped,
    );
  });
});
