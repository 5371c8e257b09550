import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../../src/errors.js';
import { Lexer, type ReadResult } from '../../../src/config/lexer.js';

const FILE = { kind: 'file', path: '/etc/postern/x.conf' } as const;

/** Every statement as [words..., terminator] until the end, or the error text. */
function tokens(
  text: string,
  origin: ConstructorParameters<typeof Lexer>[1] = FILE,
): (string | number)[][] | string {
  const lexer = new Lexer(text, origin);
  const out: (string | number)[][] = [];
  try {
    for (;;) {
      const r: ReadResult = lexer.read();
      if (r.kind === 'eof') return out;
      if (r.kind === 'blockEnd') out.push(['}', r.line]);
      else out.push([...r.words.map((w) => w.text), r.terminator, r.line]);
    }
  } catch (err) {
    if (err instanceof ConfigError) return err.toString();
    throw err;
  }
}

describe('config lexer', () => {
  it('splits words on spaces, tabs and newlines and ends statements at ; and {', () => {
    assert.deepEqual(tokens('a b\tc\n d;\ne {\n}\n'), [
      ['a', 'b', 'c', 'd', ';', 2],
      ['e', '{', 3],
      ['}', 4],
    ]);
  });

  it('ends a word at ; or { written right after it', () => {
    assert.deepEqual(tokens('a b;c{}'), [
      ['a', 'b', ';', 1],
      ['c', '{', 1],
      ['}', 1],
    ]);
  });

  it('keeps } inside a word, as nginx does', () => {
    assert.deepEqual(tokens('a b};'), [['a', 'b}', ';', 1]]);
  });

  it('skips # comments to the end of the line, but not a # inside a word', () => {
    assert.deepEqual(tokens('# x;\na b#c; # d {\n'), [['a', 'b#c', ';', 2]]);
  });

  it('removes quotes and keeps spaces, ; and { inside them', () => {
    assert.deepEqual(tokens('a "b c;{" \'d e\';'), [['a', 'b c;{', 'd e', ';', 1]]);
  });

  it('marks quoted words', () => {
    const r = new Lexer('a "b" c;', FILE).read();
    assert.ok(r.kind === 'statement');
    assert.deepEqual(
      r.words.map((w) => w.quoted),
      [false, true, false],
    );
  });

  it('turns \\" \\\' \\\\ into the character and \\t \\r \\n into control characters', () => {
    assert.deepEqual(tokens('a "\\"" \'\\\'\' "\\\\" "\\t\\r\\n";'), [
      ['a', '"', "'", '\\', '\t\r\n', ';', 1],
    ]);
  });

  it('keeps any other backslash pair as written', () => {
    assert.deepEqual(tokens('a "\\q" b\\ c \\$x;'), [['a', '\\q', 'b\\ c', '\\$x', ';', 1]]);
  });

  it('applies escapes outside quotes too', () => {
    assert.deepEqual(tokens('a b\\"c;'), [['a', 'b"c', ';', 1]]);
  });

  it('starts a new word at ) after a closing quote, as nginx does for if (...)', () => {
    assert.deepEqual(tokens('a "b") c;'), [['a', 'b', ')', 'c', ';', 1]]);
    assert.deepEqual(tokens('a "b")c;'), [['a', 'b', ')c', ';', 1]]);
  });

  it('keeps $ inside a word', () => {
    assert.deepEqual(tokens('a b$c$ d;'), [['a', 'b$c$', 'd', ';', 1]]);
  });

  it('keeps ${...} as one word: a { after $ does not open a block', () => {
    assert.deepEqual(tokens('a ${b}c;'), [['a', '${b}c', ';', 1]]);
  });

  it('decodes UTF-8 words', () => {
    assert.deepEqual(tokens(Buffer.from('a "mäil";', 'utf8').toString('latin1')), [['a', 'mäil', ';', 1]]);
  });

  it('counts lines inside quotes, escapes and comments', () => {
    assert.deepEqual(tokens('a "b\nc";\n# x\nd \\\ne;'), [
      ['a', 'b\nc', ';', 2],
      ['d', '\\\ne', ';', 5],
    ]);
  });

  it('reports each word with the line it started on', () => {
    const r = new Lexer('a\n\nb\nc;', FILE).read();
    assert.ok(r.kind === 'statement');
    assert.deepEqual(
      r.words.map((w) => w.line),
      [1, 3, 4],
    );
    assert.equal(r.line, 4);
  });

  it('accepts CRLF line endings', () => {
    assert.deepEqual(tokens('a b;\r\nc;\r\n'), [
      ['a', 'b', ';', 1],
      ['c', ';', 2],
    ]);
  });

  it('rejects a character glued to a closing quote', () => {
    assert.equal(tokens('a "b"c;\n'), 'unexpected "c" in /etc/postern/x.conf:1');
    assert.equal(tokens("a 'b'}"), 'unexpected "}" in /etc/postern/x.conf:1');
  });

  it('accepts ; or { right after a closing quote', () => {
    assert.deepEqual(tokens('a "b";c "d"{}'), [
      ['a', 'b', ';', 1],
      ['c', 'd', '{', 1],
      ['}', 1],
    ]);
  });

  it('rejects ; or { with no directive name', () => {
    assert.equal(tokens('a;\n;'), 'unexpected ";" in /etc/postern/x.conf:2');
    assert.equal(tokens('\n\n{'), 'unexpected "{" in /etc/postern/x.conf:3');
  });

  it('rejects } in the middle of a statement', () => {
    assert.equal(tokens('a b\n}'), 'unexpected "}" in /etc/postern/x.conf:2');
  });

  it('reports an unterminated statement at the end of the file, on the last line', () => {
    assert.equal(tokens('a b'), 'unexpected end of file, expecting ";" or "}" in /etc/postern/x.conf:1');
    assert.equal(tokens('a b\n\n'), 'unexpected end of file, expecting ";" or "}" in /etc/postern/x.conf:3');
    assert.equal(tokens('a "b;\n'), 'unexpected end of file, expecting ";" or "}" in /etc/postern/x.conf:2');
  });

  it('reports -g text errors "in command line", without a line', () => {
    assert.equal(
      tokens('daemon off', { kind: 'commandLine' }),
      'unexpected end of parameter, expecting ";" in command line',
    );
    assert.equal(tokens('a "b"c;', { kind: 'commandLine' }), 'unexpected "c" in command line');
  });

  it('rejects a word of 4096 bytes or more that is followed by more text, at the line it started', () => {
    assert.deepEqual(tokens(`a ${'x'.repeat(4095)};`), [['a', 'x'.repeat(4095), ';', 1]]);
    assert.equal(
      tokens(`a\n${'x'.repeat(4096)};`),
      'too long parameter "xxxxxxxxxx..." started in /etc/postern/x.conf:2',
    );
    assert.equal(
      tokens(`a "\n${'x'.repeat(5000)}";`),
      'too long parameter, probably missing terminating """ character in /etc/postern/x.conf:1',
    );
    assert.equal(
      tokens(`a '${'x'.repeat(5000)}';`),
      'too long parameter, probably missing terminating "\'" character in /etc/postern/x.conf:1',
    );
  });

  it('rejects a comment of 4096 bytes or more, as nginx does', () => {
    assert.equal(
      tokens(`a;\n#${'c'.repeat(5000)}\nb;`),
      'too long parameter "#ccccccccc..." started in /etc/postern/x.conf:2',
    );
  });
});
