import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseImapCommand, type ImapParseResult, type ImapParseState } from '../../../../src/protocol/imap/parse.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

/** A comparable summary of a final result. */
type Outcome =
  | { kind: 'command'; consumed: number; tag: string | null; verb: string | null; args: string[]; id: string | null; continuations: number }
  | { kind: 'invalid'; consumed: number; tag: string | null; quit: boolean; continuations: number }
  | { kind: 'incomplete'; continuations: number };

function summarize(r: ImapParseResult, continuations: number): Outcome {
  switch (r.kind) {
    case 'command':
      return {
        kind: 'command',
        consumed: r.consumed,
        tag: r.tag === null ? null : r.tag.toString('latin1'),
        verb: r.verb,
        args: r.args.map((a) => a.toString('latin1')),
        id: r.id === null ? null : r.id.toString('latin1'),
        continuations,
      };
    case 'invalid':
      return { kind: 'invalid', consumed: r.consumed, tag: r.tag === null ? null : r.tag.toString('latin1'), quit: r.quit, continuations };
    case 'incomplete':
    case 'literal':
      return { kind: 'incomplete', continuations };
  }
}

/** Feeds `input` with the bytes arriving in the given growing prefixes, resuming the state each time. */
function parseGrowing(input: Buffer, sasl: boolean, prefixLengths: readonly number[]): Outcome {
  let state: ImapParseState | null = null;
  let continuations = 0;
  let last: ImapParseResult | null = null;
  for (const n of [...prefixLengths, input.length]) {
    // Re-offer the same bytes after a continuation: more may already be there.
    for (let guard = 0; guard < 10_000; guard++) {
      last = parseImapCommand(state, sasl, input, 0, n);
      if (last.kind === 'literal') {
        continuations++;
        state = last.state;
        continue;
      }
      break;
    }
    if (last === null) throw new Error('unreachable');
    if (last.kind === 'incomplete') {
      state = last.state;
      continue;
    }
    return summarize(last, continuations);
  }
  if (last === null) throw new Error('unreachable');
  return summarize(last, continuations);
}

/** Parses whole, then checks every single split point and byte-at-a-time give the same outcome. */
function parse(text: string, sasl = false): Outcome {
  const input = b(text);
  const whole = parseGrowing(input, sasl, []);
  for (let cut = 0; cut <= input.length; cut++) {
    assert.deepEqual(parseGrowing(input, sasl, [cut]), whole, `split at ${String(cut)} of ${JSON.stringify(text)}`);
  }
  assert.deepEqual(
    parseGrowing(input, sasl, Array.from({ length: input.length }, (_, i) => i)),
    whole,
    `byte at a time: ${JSON.stringify(text)}`,
  );
  return whole;
}

const cmd = (
  consumed: number,
  tag: string | null,
  verb: string | null,
  args: string[],
  extra: { id?: string | null; continuations?: number } = {},
): Outcome => ({ kind: 'command', consumed, tag, verb, args, id: extra.id ?? null, continuations: extra.continuations ?? 0 });
const bad = (consumed: number, tag: string | null, quit = false, continuations = 0): Outcome => ({
  kind: 'invalid',
  consumed,
  tag,
  quit,
  continuations,
});

describe('IMAP parser: tags and verbs', () => {
  it('parses a tagged command ended by CRLF and keeps the tag with its space', () => {
    assert.deepEqual(parse('a1 NOOP\r\n'), cmd(9, 'a1 ', 'noop', []));
  });
  it('accepts a bare LF as the end of a line', () => {
    assert.deepEqual(parse('a1 NOOP\n'), cmd(8, 'a1 ', 'noop', []));
  });
  it('recognises the six nginx verbs and ID, case-insensitively', () => {
    assert.deepEqual(parse('t capability\r\n'), cmd(14, 't ', 'capability', []));
    assert.deepEqual(parse('t LoGoUt\r\n'), cmd(10, 't ', 'logout', []));
    assert.deepEqual(parse('t starttls\r\n'), cmd(12, 't ', 'starttls', []));
    assert.deepEqual(parse('t Authenticate PLAIN\r\n'), cmd(22, 't ', 'authenticate', ['PLAIN']));
    assert.deepEqual(parse('t login a b\r\n'), cmd(13, 't ', 'login', ['a', 'b']));
    assert.deepEqual(parse('t id nil\r\n'), cmd(10, 't ', 'id', [], { id: 'NIL' }));
  });
  it('allows any number of spaces before the verb, between arguments and at the end', () => {
    assert.deepEqual(parse('a1   LOGIN   user    pass   \r\n'), cmd(30, 'a1 ', 'login', ['user', 'pass']));
  });
  it('accepts a 32-character tag of [A-Za-z0-9._-]', () => {
    const tag = 'Az09._-'.repeat(4) + 'abcd';
    assert.equal(tag.length, 32);
    assert.deepEqual(parse(`${tag} NOOP\r\n`), cmd(tag.length + 7, `${tag} `, 'noop', []));
  });
  it('refuses a 33-character tag untagged', () => {
    const tag = 'a'.repeat(33);
    assert.deepEqual(parse(`${tag} NOOP\r\n`), bad(tag.length + 7, null));
  });
  it('refuses tags with characters outside the nginx set, untagged (Q-17)', () => {
    for (const t of ['a$', '+', '*', 'a!b', 'a"b', 'a{b']) {
      assert.deepEqual(parse(`${t} NOOP\r\n`), bad(t.length + 7, null), t);
    }
  });
  it('refuses an empty tag (a line starting with a space) untagged', () => {
    assert.deepEqual(parse(' NOOP\r\n'), bad(7, null));
  });
  it('refuses a line that is only a tag, untagged, and a tag followed by CRLF, tagged', () => {
    assert.deepEqual(parse('a1\r\n'), bad(4, null));
    assert.deepEqual(parse('a1 \r\n'), bad(5, 'a1 '));
    assert.deepEqual(parse('a1    \n'), bad(7, 'a1 '));
  });
  it('refuses an empty line untagged', () => {
    assert.deepEqual(parse('\r\n'), bad(2, null));
    assert.deepEqual(parse('\n'), bad(1, null));
  });
  it('refuses unknown verbs and verbs with non-letters, tagged', () => {
    assert.deepEqual(parse('a1 ENABLE X\r\n'), bad(13, 'a1 '));
    assert.deepEqual(parse('a1 NO0P\r\n'), bad(9, 'a1 '));
    assert.deepEqual(parse('a1 NOOPS\r\n'), bad(10, 'a1 '));
    assert.deepEqual(parse('a1 SELECT INBOX\r\n'), bad(17, 'a1 '));
  });
  it('refuses a CR that is not followed by LF and skips to the next LF', () => {
    assert.deepEqual(parse('a1 NOOP\ra2 NOOP\r\n'), bad(17, 'a1 '));
  });
  it('reports an invalid command only once its LF arrived', () => {
    assert.deepEqual(parseGrowing(b('a1 BOGUS and more'), false, []), { kind: 'incomplete', continuations: 0 });
  });
  it('handles one command per call and leaves pipelined bytes unconsumed', () => {
    assert.deepEqual(parse('a1 NOOP\r\na2 LOGOUT\r\n'), cmd(9, 'a1 ', 'noop', []));
  });
});

describe('IMAP parser: arguments', () => {
  it('takes up to three arguments', () => {
    assert.deepEqual(parse('a1 NOOP a b c\r\n'), cmd(15, 'a1 ', 'noop', ['a', 'b', 'c']));
  });
  it('refuses a fourth argument of any kind', () => {
    assert.deepEqual(parse('a1 NOOP a b c d\r\n'), bad(17, 'a1 '));
    assert.deepEqual(parse('a1 NOOP a b c "d"\r\n'), bad(19, 'a1 '));
    assert.deepEqual(parse('a1 NOOP a b c {1}\r\n'), bad(19, 'a1 '));
  });
  it('treats a double quote inside an atom as data', () => {
    assert.deepEqual(parse('a1 LOGIN us"er pa"ss\r\n'), cmd(22, 'a1 ', 'login', ['us"er', 'pa"ss']));
  });
  it('parses quoted strings with spaces and backslash escapes of any byte', () => {
    assert.deepEqual(parse('a1 LOGIN "us er" "p\\"a\\\\s\\s"\r\n'), cmd(30, 'a1 ', 'login', ['us er', 'p"a\\ss']));
  });
  it('does not treat a backslash in an atom as an escape', () => {
    assert.deepEqual(parse('a1 LOGIN a\\b c\r\n'), cmd(16, 'a1 ', 'login', ['a\\b', 'c']));
  });
  it('ends a quoted string at its closing quote, so the next argument may follow at once', () => {
    assert.deepEqual(parse('a1 LOGIN "a""b"\r\n'), cmd(17, 'a1 ', 'login', ['a', 'b']));
    assert.deepEqual(parse('a1 LOGIN "a"b\r\n'), cmd(15, 'a1 ', 'login', ['a', 'b']));
  });
  it('parses an empty quoted string as an empty argument', () => {
    assert.deepEqual(parse('a1 LOGIN "" x\r\n'), cmd(15, 'a1 ', 'login', ['', 'x']));
  });
  it('takes a quoted string the line ends in as an argument, as nginx does', () => {
    assert.deepEqual(parse('a1 LOGIN "abc\r\n'), cmd(15, 'a1 ', 'login', ['abc']));
  });
  it('does not carry an unterminated quote into the next command', () => {
    const input = b('a1 NOOP "abc\r\na2 NOOP abc"def "x y" z\r\n');
    const first = parseImapCommand(null, false, input, 0, input.length);
    assert.ok(first.kind === 'command');
    const second = parseImapCommand(null, false, input, first.consumed, input.length);
    assert.deepEqual(summarize(second, 0), cmd(25, 'a2 ', 'noop', ['abc"def', 'x y', 'z']));
  });
  it('refuses CR or LF right after a backslash in a quoted string', () => {
    assert.deepEqual(parse('a1 LOGIN "a\\\r\n'), bad(14, 'a1 '));
    assert.deepEqual(parse('a1 LOGIN "a\\\n'), bad(13, 'a1 '));
  });
});

describe('IMAP parser: literals', () => {
  it('asks for a continuation after a synchronising literal and reads its bytes', () => {
    assert.deepEqual(parse('a1 LOGIN {5}\r\nal ce {4}\r\np\r\ns\r\n'), cmd(31, 'a1 ', 'login', ['al ce', 'p\r\ns'], { continuations: 2 }));
  });
  it('reads a non-synchronising literal inline, without a continuation', () => {
    assert.deepEqual(parse('a1 LOGIN {5+}\r\nalice {3+}\r\nabc\r\n'), cmd(32, 'a1 ', 'login', ['alice', 'abc']));
  });
  it('accepts a bare LF after the literal header and several CRs before it, as nginx does', () => {
    assert.deepEqual(parse('a1 LOGIN {1+}\nA {1+}\r\r\nB\n'), cmd(25, 'a1 ', 'login', ['A', 'B']));
  });
  it('fixes Q-11: {0} is an empty literal and the next byte belongs to what follows', () => {
    assert.deepEqual(parse('a1 LOGIN {0}\r\n {1}\r\nx\r\n'), cmd(23, 'a1 ', 'login', ['', 'x'], { continuations: 2 }));
    assert.deepEqual(parse('a1 LOGIN {0+}\r\n\r\n'), cmd(17, 'a1 ', 'login', ['']));
  });
  it('accepts a literal header without digits as an empty literal, as nginx does', () => {
    assert.deepEqual(parse('a1 LOGIN {}\r\n {+}\r\n\r\n'), cmd(21, 'a1 ', 'login', ['', ''], { continuations: 1 }));
  });
  it('allows only SP or CRLF after a literal (nginx 1.29.6)', () => {
    assert.deepEqual(parse('a1 LOGIN {1+}\r\nax b\r\n'), bad(21, 'a1 '));
    assert.deepEqual(parse('a1 LOGIN {1+}\r\na{1+}\r\nb\r\n'), bad(22, 'a1 ', true));
    assert.deepEqual(parse('a1 LOGIN {1+}\r\na"b"\r\n'), bad(21, 'a1 '));
  });
  it('refuses malformed literal headers', () => {
    assert.deepEqual(parse('a1 LOGIN {1a}\r\n'), bad(15, 'a1 '));
    assert.deepEqual(parse('a1 LOGIN {1+x}\r\n'), bad(16, 'a1 '));
    assert.deepEqual(parse('a1 LOGIN {1} \r\n'), bad(15, 'a1 '));
  });
  it('waits for all of a long literal without looking at its bytes', () => {
    const r = parseImapCommand(null, false, b('a1 LOGIN {100000+}\r\n\r\n\r\n'), 0, 24);
    assert.equal(r.kind, 'incomplete');
  });
  it('caps a huge literal length instead of losing precision', () => {
    const r = parseImapCommand(null, false, b('a1 LOGIN {99999999999999999999999+}\r\nabc'), 0, 40);
    assert.equal(r.kind, 'incomplete');
    assert.equal(r.state.literalLen, 0x7fffffff - 3);
  });
});

describe('IMAP parser: the +} quit rule', () => {
  it('sets quit when an invalid line ends in a non-synchronising literal header', () => {
    assert.deepEqual(parse('a1 BOGUS {5+}\r\n'), bad(15, 'a1 ', true));
    assert.deepEqual(parse('a1 BOGUS {5+}\n'), bad(14, 'a1 ', true));
    assert.deepEqual(parse('$$ NOOP {5+}\r\n'), bad(14, null, true));
  });
  it('does not set quit for a synchronising literal header or other endings', () => {
    assert.deepEqual(parse('a1 BOGUS {5}\r\n'), bad(14, 'a1 '));
    assert.deepEqual(parse('a1 BOGUS +}x\r\n'), bad(14, 'a1 '));
  });
});

describe('IMAP parser: ID parameters (ours)', () => {
  it('parses ID NIL in any case', () => {
    assert.deepEqual(parse('a1 ID NIL\r\n'), cmd(11, 'a1 ', 'id', [], { id: 'NIL' }));
    assert.deepEqual(parse('a1 ID nIl  \r\n'), cmd(13, 'a1 ', 'id', [], { id: 'NIL' }));
  });
  it('parses a list of quoted strings, atoms, literals and NIL values into canonical quoted form', () => {
    assert.deepEqual(
      parse('a1 ID ("name" "Thunder\\"bird" version 115.0 "os" NIL "x" {3}\r\nA B)\r\n'),
      cmd(68, 'a1 ', 'id', [], { id: '("name" "Thunder\\"bird" "version" "115.0" "os" NIL "x" "A B")', continuations: 1 }),
    );
  });
  it('turns an empty list into NIL', () => {
    assert.deepEqual(parse('a1 ID ()\r\n'), cmd(10, 'a1 ', 'id', [], { id: 'NIL' }));
  });
  it('drops pairs whose bytes cannot be quoted', () => {
    assert.deepEqual(
      parse('a1 ID ("a" {3+}\r\nx\ry "b" "c")\r\n'),
      cmd(31, 'a1 ', 'id', [], { id: '("b" "c")' }),
    );
  });
  it('tolerates extra spaces inside the list', () => {
    assert.deepEqual(parse('a1 ID (  "a"   "b"  )\r\n'), cmd(23, 'a1 ', 'id', [], { id: '("a" "b")' }));
  });
  it('reports ID without a parameter as a command with no id', () => {
    assert.deepEqual(parse('a1 ID\r\n'), cmd(7, 'a1 ', 'id', []));
    assert.deepEqual(parse('a1 ID   \r\n'), cmd(10, 'a1 ', 'id', []));
  });
  it('refuses malformed lists', () => {
    for (const list of ['("a")', '("a" "b" "c")', '(NIL "b")', '(("a" "b"))', '("a" "b"', '"a" "b"', 'NILX', 'NI', '("a""b")', '("a" "b") x', '(a\\b "c")']) {
      const line = `a1 ID ${list}\r\n`;
      assert.deepEqual(parse(line), bad(line.length, 'a1 '), list);
    }
  });
});

describe('IMAP parser: SASL lines', () => {
  it('parses a client line straight into arguments, without tag or verb', () => {
    assert.deepEqual(parse('dGVzdA==\r\n', true), cmd(10, null, null, ['dGVzdA==']));
  });
  it('gives an empty argument for an empty line and for a leading space', () => {
    assert.deepEqual(parse('\r\n', true), cmd(2, null, null, ['']));
    assert.deepEqual(parse(' abc\r\n', true), cmd(6, null, null, ['', 'abc']));
  });
  it('parses the cancel * as an ordinary argument', () => {
    assert.deepEqual(parse('*\r\n', true), cmd(3, null, null, ['*']));
  });
  it('refuses a fourth token as a parse error without a tag', () => {
    assert.deepEqual(parse('a b c d\r\n', true), bad(9, null));
  });
});

describe('IMAP parser: robustness', () => {
  it('never throws and always consumes within bounds on assorted garbage', () => {
    const samples = ['\0\0\0\r\n', '}}}}{{{{\r\n', 'a1 {', 'a1 LOGIN {\r\n', 'a1 ID (', 'a1 ID ({2}\r\n', '\xff\xfe\r\n'];
    for (const s of samples) {
      const input = b(s);
      const r = parseImapCommand(null, false, input, 0, input.length);
      if (r.kind === 'command' || r.kind === 'invalid') assert.ok(r.consumed > 0 && r.consumed <= input.length);
    }
  });
  it('parses at an offset: positions are relative to start', () => {
    const input = b('xxxxa1 NOOP\r\n');
    const r = parseImapCommand(null, false, input, 4, input.length);
    assert.deepEqual(summarize(r, 0), cmd(9, 'a1 ', 'noop', []));
  });
  it('resumes correctly after the unconsumed bytes moved to another buffer', () => {
    const first = parseImapCommand(null, false, b('zzza1 LOGIN "al'), 3, 15);
    assert.ok(first.kind === 'incomplete');
    const moved = b('a1 LOGIN "alice" x\r\n');
    const r = parseImapCommand(first.state, false, moved, 0, moved.length);
    assert.deepEqual(summarize(r, 0), cmd(20, 'a1 ', 'login', ['alice', 'x']));
  });
});
