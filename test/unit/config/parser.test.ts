import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { globPaths, parseConfig, type TreeNode } from '../../../src/config/parser.js';
import { tempConf } from './load-text.js';

/** name@line for directives, {…} for blocks, ! + error text for the error node */
function shape(nodes: readonly TreeNode[], dir: string): unknown[] {
  return nodes.map((n) => {
    if (n.kind === 'error') return `!${n.error.toString().split(dir).join('P/')}`;
    const where = n.origin.kind === 'file' ? `${n.origin.path.split(dir).join('')}:${String(n.line)}` : 'g';
    const head = `${n.name}@${where}`;
    return n.children === null ? head : { [head]: shape(n.children, dir) };
  });
}

function parse(
  text: string,
  files: Record<string, string> = {},
  g: string | null = null,
): { tree: unknown[]; files: string[] } {
  const t = tempConf(text, files);
  try {
    const r = parseConfig({ confFile: t.confFile, globalDirectives: g });
    return { tree: shape(r.nodes, t.dir), files: r.files.map((f) => f.path.split(t.dir).join('')) };
  } finally {
    t.cleanup();
  }
}

describe('config parser', () => {
  it('builds blocks with their statements, each located at its terminator', () => {
    assert.deepEqual(parse('a 1;\nb {\n  c\n  2;\n}\n').tree, [
      'a@nginx.conf:1',
      { 'b@nginx.conf:2': ['c@nginx.conf:4'] },
    ]);
  });

  it('puts -g statements first, located "command line"', () => {
    assert.deepEqual(parse('a;\n', {}, 'x 1; y 2;').tree, ['x@g', 'y@g', 'a@nginx.conf:1']);
  });

  it('rejects blocks in -g text', () => {
    assert.deepEqual(parse('a;\n', {}, 'events { }').tree, [
      '!block directives are not supported in -g option in command line',
    ]);
  });

  it('stops at the first syntax error and leaves it where it happened', () => {
    assert.deepEqual(parse('a;\nb {\n  c;\n  d "x"y;\n  e;\n}\nf;\n').tree, [
      'a@nginx.conf:1',
      { 'b@nginx.conf:2': ['c@nginx.conf:3', '!unexpected "y" in P/nginx.conf:4'] },
    ]);
  });

  it('reports a block left open at the end of the file', () => {
    assert.deepEqual(parse('a {\n  b;\n').tree, [
      { 'a@nginx.conf:1': ['b@nginx.conf:2', '!unexpected end of file, expecting "}" in P/nginx.conf:3'] },
    ]);
  });

  it('reports a } with no open block', () => {
    assert.deepEqual(parse('a;\n}\n').tree, ['a@nginx.conf:1', '!unexpected "}" in P/nginx.conf:2']);
  });

  it('expands include in place, relative to the main file directory, and lists every file read', () => {
    const r = parse('a;\nm {\n  include inc/x.conf;\n  z;\n}\n', {
      'inc/x.conf': 'x 1;\ninclude inc/y.conf;\n',
      'inc/y.conf': 'y;\n',
    });
    assert.deepEqual(r.tree, [
      'a@nginx.conf:1',
      {
        'm@nginx.conf:2': [
          'include@nginx.conf:3',
          'x@inc/x.conf:1',
          'include@inc/x.conf:2',
          'y@inc/y.conf:1',
          'z@nginx.conf:4',
        ],
      },
    ]);
    assert.deepEqual(r.files, ['nginx.conf', 'inc/x.conf', 'inc/y.conf']);
  });

  it('includes every file a mask matches, in byte order, skipping dot files', () => {
    const r = parse('include d/*.conf;\n', {
      'd/b.conf': 'b;\n',
      'd/a.conf': 'a;\n',
      'd/B.conf': 'B;\n',
      'd/.h.conf': 'h;\n',
      'd/c.txt': 'c;\n',
    });
    assert.deepEqual(r.tree, ['include@nginx.conf:1', 'B@d/B.conf:1', 'a@d/a.conf:1', 'b@d/b.conf:1']);
  });

  it('accepts a mask that matches nothing', () => {
    assert.deepEqual(parse('include none/*.conf;\na;\n').tree, ['include@nginx.conf:1', 'a@nginx.conf:2']);
  });

  it("reports a missing include with nginx's open() text at the include line", () => {
    assert.deepEqual(parse('a;\ninclude nothere.conf;\nb;\n').tree, [
      'a@nginx.conf:1',
      'include@nginx.conf:2',
      '!open() "P/nothere.conf" failed (2: No such file or directory) in P/nginx.conf:2',
    ]);
  });

  it('reports errors inside an included file with that file and line', () => {
    assert.deepEqual(parse('include x.conf;\n', { 'x.conf': 'a;\nb "c"d;\n' }).tree, [
      'include@nginx.conf:1',
      'a@x.conf:1',
      '!unexpected "d" in P/x.conf:2',
    ]);
  });

  it('does not let a block span files', () => {
    assert.deepEqual(parse('include x.conf;\n}\n', { 'x.conf': 'm {\n' }).tree, [
      'include@nginx.conf:1',
      { 'm@x.conf:1': ['!unexpected end of file, expecting "}" in P/x.conf:2'] },
    ]);
  });

  it('checks include arity and terminator like any directive', () => {
    assert.deepEqual(parse('include a b;\n').tree, [
      '!invalid number of arguments in "include" directive in P/nginx.conf:1',
    ]);
    assert.deepEqual(parse('include a {\n}\n').tree, [
      '!directive "include" is not terminated by ";" in P/nginx.conf:1',
    ]);
  });

  it('stops an include cycle with a clear message', () => {
    const r = parse('include a.conf;\n', { 'a.conf': 'include a.conf;\n' });
    assert.deepEqual(r.tree.at(-1), '!include of "P/a.conf" is recursive in P/a.conf:1');
  });

  it('reports a missing main file without a location', () => {
    const t = tempConf('');
    try {
      const r = parseConfig({ confFile: join(t.dir, 'none.conf'), globalDirectives: null });
      assert.deepEqual(shape(r.nodes, t.dir), [
        '!open() "P/none.conf" failed (2: No such file or directory)',
      ]);
    } finally {
      t.cleanup();
    }
  });

  it('reports a directory given as a file as nginx pread() does', () => {
    const t = tempConf('include sub;\n');
    try {
      mkdirSync(join(t.dir, 'sub'));
      const r = parseConfig({ confFile: t.confFile, globalDirectives: null });
      assert.deepEqual(shape(r.nodes, t.dir), [
        'include@nginx.conf:1',
        '!pread() "P/sub" failed (21: Is a directory)',
      ]);
    } finally {
      t.cleanup();
    }
  });
});

describe('config include masks', () => {
  it('matches *, ? and [...] classes per path segment', () => {
    const t = tempConf('');
    try {
      for (const f of ['d1/a.conf', 'd1/b.conf', 'd2/a.conf', 'd2/ab.conf', 'x/[a].conf']) {
        mkdirSync(join(t.dir, f, '..'), { recursive: true });
        writeFileSync(join(t.dir, f), '');
      }
      const rel = (p: string): string[] => globPaths(join(t.dir, p)).map((x) => x.slice(t.dir.length));
      assert.deepEqual(rel('d*/a.conf'), ['d1/a.conf', 'd2/a.conf']);
      assert.deepEqual(rel('d?/?.conf'), ['d1/a.conf', 'd1/b.conf', 'd2/a.conf']);
      assert.deepEqual(rel('d1/[!a].conf'), ['d1/b.conf']);
      assert.deepEqual(rel('d2/[a-b]*'), ['d2/a.conf', 'd2/ab.conf']);
      assert.deepEqual(rel('x/\\[a\\].*'), ['x/[a].conf']);
      assert.deepEqual(rel('none/*'), []);
    } finally {
      t.cleanup();
    }
  });
});
