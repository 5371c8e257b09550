import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeVerbLineGrammar, parseVerbLine, type VerbLineParse } from '../../../src/protocol/verb-line.js';

// A grammar that uses every knob at once (POP3 and SMTP each use only some).
const CMD = { user: 1, mail: 2, starttls: 3, auth: 4 } as const;
type Cmd = (typeof CMD)[keyof typeof CMD];
const GRAMMAR = makeVerbLineGrammar<Cmd>({
  verbs: CMD,
  maxArgs: 2,
  saslCommand: CMD.auth,
  restOfLineVerbs: [CMD.user],
  textVerbs: [CMD.mail],
});

function parse(line: string, sasl = false): VerbLineParse<Cmd> {
  const buf = Buffer.from(line, 'latin1');
  return parseVerbLine(GRAMMAR, buf, 0, buf.length, null, sasl);
}

function shown(r: VerbLineParse<Cmd>): unknown {
  if (r.kind !== 'command') return r.kind;
  return { command: r.command, args: r.args.map((a) => a.toString('latin1')), text: r.text?.toString('latin1') ?? null };
}

describe('verb-line parser', () => {
  it('knows the table verbs of four letters and of other lengths, case-insensitively', () => {
    assert.deepEqual(shown(parse('uSeR\r\n')), { command: CMD.user, args: [], text: null });
    assert.deepEqual(shown(parse('StartTls\r\n')), { command: CMD.starttls, args: [], text: null });
    assert.deepEqual(parse('STARTTLX\r\n'), { kind: 'invalid', consumed: 10 });
    assert.deepEqual(parse('USERS\r\n'), { kind: 'invalid', consumed: 7 });
  });

  it('keeps spaces in a rest-of-line verb argument, the text of a text verb, and splits other arguments', () => {
    assert.deepEqual(shown(parse('USER a b  \r\n')), { command: CMD.user, args: ['a b  '], text: null });
    assert.deepEqual(shown(parse('MAIL  a   b  \r\n')), { command: CMD.mail, args: ['a', 'b'], text: 'MAIL  a   b' });
    assert.deepEqual(shown(parse('AUTH a b\n')), { command: CMD.auth, args: ['a', 'b'], text: null });
  });

  it("refuses one argument more than the grammar's limit", () => {
    assert.equal(parse('AUTH a b\r\n').kind, 'command');
    assert.deepEqual(parse('AUTH a b c\r\n'), { kind: 'invalid', consumed: 12 });
  });

  it('reports a SASL line as the grammar saslCommand, first token at the line start', () => {
    assert.deepEqual(shown(parse(' USER\r\n', true)), { command: CMD.auth, args: ['', 'USER'], text: null });
  });

  it('refuses a grammar whose verbs or command numbers it cannot represent', () => {
    const base = { maxArgs: 2, saslCommand: 1, restOfLineVerbs: [], textVerbs: [] };
    assert.throws(() => makeVerbLineGrammar({ ...base, verbs: { 'x-y': 1 } }));
    assert.throws(() => makeVerbLineGrammar({ ...base, verbs: { noop: 31 } }));
    assert.throws(() => makeVerbLineGrammar({ ...base, verbs: { noop: 1 }, maxArgs: 12 }));
  });
});
