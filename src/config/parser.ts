/**
 * Statements → directive tree, with `include` expanded in place and `-g` text parsed first.
 *
 * Owns: the structure of ngx_conf_parse (src/core/ngx_conf_file.c): blocks, `}` and end-of-file rules for
 * files, blocks and the `-g` parameter; `include` (arity, glob masks relative to the main file's directory,
 * nginx's open() error text); the list of files read.
 * Does not own: what a directive means. Because nginx checks each directive the moment it reads it, a
 * syntax or include error must not be reported before an earlier directive's own error; so the parser
 * never throws: it stops at the first error and leaves it in the tree as an `error` node at the place it
 * happened. resolve.ts walks the tree in order and throws the first error it meets.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { ConfigError } from '../errors.js';
import type { SourceRef } from './types.js';
import { Lexer, errorAt, type TextOrigin, type Word } from './lexer.js';
import { systemErrorText } from '../errno.js';

export interface DirectiveNode {
  readonly kind: 'directive';
  readonly name: string;
  /** the arguments after the name */
  readonly args: readonly Word[];
  /** `;` or `{` */
  readonly terminator: ';' | '{';
  /** where nginx reports this directive's errors: the file and the line its `;` or `{` was read on */
  readonly origin: TextOrigin;
  readonly line: number;
  /** the block's statements for `{`, else null */
  readonly children: readonly TreeNode[] | null;
}

/** The first syntax or include error, placed where nginx would have met it. */
export interface ErrorNode {
  readonly kind: 'error';
  readonly error: ConfigError;
}

export type TreeNode = DirectiveNode | ErrorNode;

export interface ParsedConfig {
  /** `-g` statements first, then the main file's */
  readonly nodes: readonly TreeNode[];
  /** every file read, in order, with its text */
  readonly files: readonly { readonly path: string; readonly text: string }[];
}

export interface ParseOptions {
  /** absolute path of the main file */
  readonly confFile: string;
  readonly globalDirectives: string | null;
}

/** nginx reports a directive's error at the line of its terminator. */
export function sourceOf(node: DirectiveNode): SourceRef | null {
  return node.origin.kind === 'file' ? { file: node.origin.path, line: node.line } : null;
}

/** Builds the ConfigError for a directive, located as nginx locates it. */
export function directiveError(node: DirectiveNode, message: string): ConfigError {
  return errorAt(node.origin, node.line, message);
}

type ParseType = 'file' | 'block' | 'param';

/** Stops parsing; carries the error to the statement list being read when it happened. */
class Stop extends Error {
  constructor(readonly error: ConfigError) {
    super(error.message);
  }
}

/** Thrown upwards once the error node has been placed. */
class Placed extends Error {}

/** Guard against include cycles (nginx recurses until it runs out of descriptors). */
const MAX_INCLUDE_DEPTH = 64;

export function parseConfig(options: ParseOptions): ParsedConfig {
  const files: { path: string; text: string }[] = [];
  const confDir = dirname(options.confFile);
  const nodes: TreeNode[] = [];
  const stack: string[] = [];

  const readFile = (path: string, where: { origin: TextOrigin; line: number } | null): string => {
    let data: Buffer;
    try {
      data = readFileSync(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
      if (code === 'EISDIR') {
        // nginx: open() works on a directory; the read fails, logged without a location.
        throw new Stop(
          new ConfigError(`pread() "${path}" failed (${systemErrorText(code)})`, null, 'ERR_CONFIG_FILE'),
        );
      }
      const message = `open() "${path}" failed (${systemErrorText(code)})`;
      throw new Stop(
        where === null
          ? new ConfigError(message, null, 'ERR_CONFIG_FILE')
          : errorAt(where.origin, where.line, message, 'ERR_CONFIG_FILE'),
      );
    }
    const text = data.toString('latin1');
    files.push({ path, text: data.toString('utf8') });
    return text;
  };

  const parseText = (lexer: Lexer, type: ParseType, out: TreeNode[]): void => {
    try {
      readStatements(lexer, type, out);
    } catch (err) {
      // the lexer throws ConfigError directly; everything else here throws Stop
      if (err instanceof Stop || err instanceof ConfigError) {
        out.push({ kind: 'error', error: err instanceof Stop ? err.error : err });
        throw new Placed();
      }
      throw err;
    }
  };

  const readStatements = (lexer: Lexer, type: ParseType, out: TreeNode[]): void => {
    for (;;) {
      const r = lexer.read();
      if (r.kind === 'blockEnd') {
        if (type !== 'block') throw new Stop(lexer.error('unexpected "}"'));
        return;
      }
      if (r.kind === 'eof') {
        if (type === 'block') throw new Stop(lexer.error('unexpected end of file, expecting "}"'));
        return;
      }
      if (r.terminator === '{' && type === 'param') {
        throw new Stop(lexer.error('block directives are not supported in -g option'));
      }
      const [nameWord, ...args] = r.words;
      if (nameWord === undefined) throw new Stop(lexer.error('unexpected ";"')); // unreachable: the lexer checks
      const name = nameWord.text;
      if (name === 'include') {
        // nginx: ngx_conf_include runs through ngx_conf_handler like any directive (NGX_ANY_CONF|TAKE1).
        const base = {
          kind: 'directive',
          name,
          args,
          terminator: r.terminator,
          origin: lexer.origin,
          line: r.line,
        } as const;
        if (r.terminator !== ';') throw new Stop(lexer.error('directive "include" is not terminated by ";"'));
        if (args.length !== 1)
          throw new Stop(lexer.error('invalid number of arguments in "include" directive'));
        out.push({ ...base, children: null });
        const arg = args[0];
        if (arg !== undefined) includeFiles(arg.text, { origin: lexer.origin, line: r.line }, out);
        continue;
      }
      if (r.terminator === '{') {
        const children: TreeNode[] = [];
        out.push({
          kind: 'directive',
          name,
          args,
          terminator: '{',
          origin: lexer.origin,
          line: r.line,
          children,
        });
        parseText(lexer, 'block', children);
        continue;
      }
      out.push({
        kind: 'directive',
        name,
        args,
        terminator: ';',
        origin: lexer.origin,
        line: r.line,
        children: null,
      });
    }
  };

  const parseFile = (
    path: string,
    where: { origin: TextOrigin; line: number } | null,
    out: TreeNode[],
  ): void => {
    if (stack.includes(path) || stack.length >= MAX_INCLUDE_DEPTH) {
      // nginx recurses until it runs out of descriptors; we stop with a clear message instead.
      const message = `include of "${path}" is recursive`;
      throw new Stop(where === null ? new ConfigError(message) : errorAt(where.origin, where.line, message));
    }
    const text = readFile(path, where);
    stack.push(path);
    try {
      parseText(new Lexer(text, { kind: 'file', path }), 'file', out);
    } finally {
      stack.pop();
    }
  };

  const includeFiles = (mask: string, where: { origin: TextOrigin; line: number }, out: TreeNode[]): void => {
    // nginx: ngx_conf_full_name(cycle, name, 1): relative to the main file's directory.
    const full = isAbsolute(mask) ? mask : join(confDir, mask);
    if (!/[*?[]/.test(full)) {
      parseFile(full, where, out);
      return;
    }
    for (const path of globPaths(full)) parseFile(path, where, out);
  };

  try {
    if (options.globalDirectives !== null) {
      parseText(new Lexer(options.globalDirectives, { kind: 'commandLine' }), 'param', nodes);
    }
    parseFile(options.confFile, null, nodes);
  } catch (err) {
    if (err instanceof Stop) nodes.push({ kind: 'error', error: err.error });
    else if (!(err instanceof Placed)) throw err;
  }
  return { nodes, files };
}

/**
 * glob(3) with flags 0 as nginx calls it (ngx_open_glob): `*`, `?` and `[...]` per path segment, no match
 * for a leading dot unless the pattern has one, results sorted bytewise; no match is an empty list.
 */
export function globPaths(pattern: string): string[] {
  const segments = pattern.split('/');
  let bases: string[] = [segments[0] === '' ? '/' : '.'];
  const startIndex = segments[0] === '' ? 1 : 0;
  for (let i = startIndex; i < segments.length; i++) {
    const seg = segments[i] ?? '';
    const last = i === segments.length - 1;
    if (seg === '') continue;
    const next: string[] = [];
    if (!/[*?[]/.test(seg)) {
      for (const b of bases) {
        const p = join(b, unescapeGlob(seg));
        if (last ? exists(p) : isDir(p)) next.push(p);
      }
    } else {
      const re = globSegmentRegExp(seg);
      for (const b of bases) {
        let entries: string[];
        try {
          entries = readdirSync(b);
        } catch {
          continue;
        }
        for (const e of entries) {
          if (e.startsWith('.') && !seg.startsWith('.')) continue;
          if (!re.test(e)) continue;
          const p = join(b, e);
          if (last || isDir(p)) next.push(p);
        }
      }
    }
    bases = next;
  }
  return bases.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function unescapeGlob(seg: string): string {
  return seg.replace(/\\(.)/g, '$1');
}

/** fnmatch(3) without flags for one path segment. */
function globSegmentRegExp(seg: string): RegExp {
  let re = '^';
  for (let i = 0; i < seg.length; i++) {
    const c = seg.charAt(i);
    if (c === '\\' && i + 1 < seg.length) {
      re += escapeRe(seg.charAt(++i));
    } else if (c === '*') {
      re += '[^/]*';
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '[') {
      const close = seg.indexOf(']', i + 2);
      if (close === -1) {
        re += '\\[';
        continue;
      }
      let body = seg.slice(i + 1, close);
      let negate = false;
      if (body.startsWith('!') || body.startsWith('^')) {
        negate = true;
        body = body.slice(1);
      }
      re += `[${negate ? '^' : ''}${body.replace(/[\\\]]/g, (m) => `\\${m}`)}]`;
      i = close;
    } else {
      re += escapeRe(c);
    }
  }
  return new RegExp(`${re}$`, 's');
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/-]/g, (m) => `\\${m}`);
}
