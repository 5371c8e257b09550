import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parsePop3, POP3_COMMAND, type Pop3Parse } from '../../../../src/protocol/pop3/parse.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

function parse(line: string, sasl = false): Pop3Parse {
  const buf = b(line);
  return parsePop3(buf, 0, buf.length, null, sasl);
}

function args(r: Pop3Parse): string[] {
  if (r.kind !== 'command') assert.fail(`expected a command, got ${r.kind}`);
  return r.args.map((a) => a.toString('latin1'));
}

describe('pop3 parser', () => {
  it('recognises the eight verbs case-insensitively', () => {
    const verbs: [string, number][] = [
      ['USER', POP3_COMMAND.user],
      ['pass', POP3_COMMAND.pass],
      ['Apop', POP3_COMMAND.apop],
      ['quiT', POP3_COMMAND.quit],
      ['capa', POP3_COMMAND.capa],
      ['AUTH', POP3_COMMAND.auth],
      ['NoOp', POP3_COMMAND.noop],
      ['STLS', POP3_COMMAND.stls],
    ];
    for (const [verb, cmd] of verbs) {
      const r = parse(`${verb}\r\n`);
      assert.equal(r.kind === 'command' ? r.command : -1, cmd, verb);
    }
  });

  it('rejects other verbs, only at the end of the line', () => {
    assert.deepEqual(parse('STAT\r\n'), { kind: 'invalid', consumed: 6 });
    assert.deepEqual(parse('RETR 1\r\nNOOP\r\n'), { kind: 'invalid', consumed: 8 });
    assert.equal(parse('RETR 1').kind, 'incomplete');
  });

  it('splits arguments at spaces except for USER and PASS', () => {
    assert.deepEqual(args(parse('APOP  a   b\r\n')), ['a', 'b']);
    assert.deepEqual(args(parse('USER  a b  \r\n')), ['a b  ']);
    assert.deepEqual(args(parse('PASS x y\n')), ['x y']);
  });

  it('allows three arguments and refuses a fourth', () => {
    assert.deepEqual(args(parse('CAPA 1 2 3\r\n')), ['1', '2', '3']);
    assert.equal(parse('CAPA 1 2 3 4\r\n').kind, 'invalid');
    assert.deepEqual(args(parse('CAPA 1 2 3   \r\n')), ['1', '2', '3']);
  });

  it('needs LF right after CR', () => {
    assert.deepEqual(parse('NOOP\rNOOP\r\n'), { kind: 'invalid', consumed: 11 });
    assert.deepEqual(parse('NOOP \r\r\n'), { kind: 'invalid', consumed: 8 });
  });

  it('keeps NUL and high bytes inside arguments', () => {
    assert.deepEqual(args(parse('USER a\u0000\u00ffb\r\n')), ['a\u0000\u00ffb']);
  });

  it('parses a SASL line straight into arguments, first token at the line start', () => {
    assert.deepEqual(args(parse('dGVzdA==\r\n', true)), ['dGVzdA==']);
    assert.deepEqual(args(parse('\r\n', true)), ['']);
    assert.deepEqual(args(parse(' x\r\n', true)), ['', 'x']);
    assert.deepEqual(args(parse('USER x y\r\n', true)), ['USER', 'x', 'y']);
  });

  it('resumes from a cursor whose positions are relative to start', () => {
    const first = b('##USER al');
    const r1 = parsePop3(first, 2, first.length, null, false);
    if (r1.kind !== 'incomplete') assert.fail(`expected incomplete, got ${r1.kind}`);
    const moved = b('USER alice x\r\n');
    const r2 = parsePop3(moved, 0, moved.length, r1.cursor, false);
    assert.deepEqual(args(r2), ['alice x']);
    assert.equal(r2.kind === 'command' ? r2.consumed : -1, moved.length);
  });

  it('resumes an invalid line until its LF', () => {
    const first = b('XX');
    const r1 = parsePop3(first, 0, 2, null, false);
    if (r1.kind !== 'incomplete') assert.fail(`expected incomplete, got ${r1.kind}`);
    const more = b('XXyy\nNOOP\r\n');
    assert.deepEqual(parsePop3(more, 0, more.length, r1.cursor, false), { kind: 'invalid', consumed: 5 });
  });

  it('copies arguments out of the caller buffer', () => {
    const buf = b('USER alice\r\n');
    const r = parsePop3(buf, 0, buf.length, null, false);
    buf.fill(0x78);
    assert.deepEqual(args(r), ['alice']);
  });
});
