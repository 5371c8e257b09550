/**
 * nginx's configuration tokenizer: words, `;`, `{`, `}`, `#` comments, quotes and backslash escapes,
 * each word tagged with file and line.
 *
 * Owns: the byte-level rules of `ngx_conf_read_token` (src/core/ngx_conf_file.c), mirrored step by step,
 * including its error texts and which line they name (the line the reader is on when it gives up).
 * Does not own: what a statement means (parser.ts), include expansion, directive checks.
 */
import { ConfigError } from '../errors.js';

/** nginx: NGX_CONF_BUFFER. A single word longer than this cannot be read. */
const CONF_BUFFER = 4096;

export interface Word {
  /** the word after quote removal and escape processing */
  readonly text: string;
  /** the line the word started on */
  readonly line: number;
  /** written inside '…' or "…" */
  readonly quoted: boolean;
}

/** What one read returns, like ngx_conf_read_token's return codes. */
export type ReadResult =
  | {
      readonly kind: 'statement';
      readonly words: readonly Word[];
      readonly terminator: ';' | '{';
      readonly line: number;
    }
  | { readonly kind: 'blockEnd'; readonly line: number }
  | { readonly kind: 'eof'; readonly line: number };

/** Where an error is reported: a file with a line, or nginx's `in command line` for `-g`. */
export type TextOrigin = { readonly kind: 'file'; readonly path: string } | { readonly kind: 'commandLine' };

/** Builds the ConfigError nginx's ngx_conf_log_error would print for this origin and line. */
export function errorAt(
  origin: TextOrigin,
  line: number,
  message: string,
  code: 'ERR_CONFIG_SYNTAX' | 'ERR_CONFIG_FILE' = 'ERR_CONFIG_SYNTAX',
): ConfigError {
  if (origin.kind === 'commandLine') {
    // nginx: ngx_conf_log_error prints "in command line" without a line for -g text.
    return new ConfigError(`${message} in command line`, null, code);
  }
  return new ConfigError(message, { file: origin.path, line }, code);
}

const isSpace = (ch: string): boolean => ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';

/**
 * Reads statements from one file's text (or the -g text). The text is taken as latin1 so that one
 * character is one byte, as nginx counts; words are turned back into UTF-8 strings.
 */
export class Lexer {
  private pos = 0;
  private lineNo = 1;
  private readonly text: string;

  constructor(
    text: string,
    readonly origin: TextOrigin,
  ) {
    this.text = text;
  }

  error(message: string): ConfigError {
    return errorAt(this.origin, this.lineNo, message);
  }

  /** nginx: ngx_conf_read_token */
  read(): ReadResult {
    const text = this.text;
    const words: Word[] = [];
    let needSpace = false;
    let lastSpace = true;
    let sharpComment = false;
    let variable = false;
    let quoted = false;
    let sQuoted = false;
    let dQuoted = false;
    let start = this.pos;
    let startLine = this.lineNo;
    let wordQuoted = false;

    for (;;) {
      if (this.pos >= text.length) {
        if (words.length > 0 || !lastSpace) {
          if (this.origin.kind === 'commandLine') {
            throw this.error('unexpected end of parameter, expecting ";"');
          }
          throw this.error('unexpected end of file, expecting ";" or "}"');
        }
        return { kind: 'eof', line: this.lineNo };
      }
      if ((!lastSpace || sharpComment) && this.pos - start >= CONF_BUFFER) {
        // nginx: a word (or a comment) that fills the whole read buffer cannot be completed.
        this.lineNo = startLine;
        if (dQuoted) throw this.error('too long parameter, probably missing terminating """ character');
        if (sQuoted) throw this.error('too long parameter, probably missing terminating "\'" character');
        throw this.error(`too long parameter "${text.slice(start, start + 10)}..." started`);
      }

      const ch = text.charAt(this.pos++);

      if (ch === '\n') {
        this.lineNo++;
        if (sharpComment) sharpComment = false;
      }
      if (sharpComment) continue;
      if (quoted) {
        quoted = false;
        continue;
      }

      if (needSpace) {
        if (isSpace(ch)) {
          lastSpace = true;
          needSpace = false;
          continue;
        }
        if (ch === ';') return { kind: 'statement', words, terminator: ';', line: this.lineNo };
        if (ch === '{') return { kind: 'statement', words, terminator: '{', line: this.lineNo };
        if (ch === ')') {
          lastSpace = true;
          needSpace = false;
        } else {
          throw this.error(`unexpected "${ch}"`);
        }
      }

      if (lastSpace) {
        start = this.pos - 1;
        startLine = this.lineNo;
        if (isSpace(ch)) continue;
        wordQuoted = false;
        switch (ch) {
          case ';':
          case '{':
            if (words.length === 0) throw this.error(`unexpected "${ch}"`);
            return { kind: 'statement', words, terminator: ch, line: this.lineNo };
          case '}':
            if (words.length !== 0) throw this.error('unexpected "}"');
            return { kind: 'blockEnd', line: this.lineNo };
          case '#':
            sharpComment = true;
            continue;
          case '\\':
            quoted = true;
            lastSpace = false;
            continue;
          case '"':
            start++;
            dQuoted = true;
            wordQuoted = true;
            lastSpace = false;
            continue;
          case "'":
            start++;
            sQuoted = true;
            wordQuoted = true;
            lastSpace = false;
            continue;
          case '$':
            variable = true;
            lastSpace = false;
            continue;
          default:
            lastSpace = false;
        }
      } else {
        if (ch === '{' && variable) continue;
        variable = false;
        if (ch === '\\') {
          quoted = true;
          continue;
        }
        if (ch === '$') {
          variable = true;
          continue;
        }
        let found = false;
        if (dQuoted) {
          if (ch === '"') {
            dQuoted = false;
            needSpace = true;
            found = true;
          }
        } else if (sQuoted) {
          if (ch === "'") {
            sQuoted = false;
            needSpace = true;
            found = true;
          }
        } else if (isSpace(ch) || ch === ';' || ch === '{') {
          lastSpace = true;
          found = true;
        }

        if (found) {
          words.push({
            text: unescape(text.slice(start, this.pos - 1)),
            line: startLine,
            quoted: wordQuoted,
          });
          if (ch === ';') return { kind: 'statement', words, terminator: ';', line: this.lineNo };
          if (ch === '{') return { kind: 'statement', words, terminator: '{', line: this.lineNo };
        }
      }
    }
  }
}

/**
 * nginx keeps a backslash except before `"`, `'` and `\` (dropped) and turns `\t`, `\r`, `\n` into
 * the control characters; every other `\x` stays as the two characters.
 */
function unescape(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charAt(i);
    if (c === '\\' && i + 1 < raw.length) {
      const next = raw.charAt(i + 1);
      if (next === '"' || next === "'" || next === '\\') {
        out += next;
        i++;
        continue;
      }
      if (next === 't' || next === 'r' || next === 'n') {
        out += next === 't' ? '\t' : next === 'r' ? '\r' : '\n';
        i++;
        continue;
      }
    }
    out += c;
  }
  return Buffer.from(out, 'latin1').toString('utf8');
}
