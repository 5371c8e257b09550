/**
 * The resumable "verb + arguments" line parser POP3 and SMTP share (nginx: ngx_mail_pop3_parse_command
 * and ngx_mail_smtp_parse_command, one state machine with different verb tables; 1.21+ pipelining).
 *
 * Owns: splitting one client line into a verb and at most `maxArgs` arguments, byte by byte and
 * resumable, in two modes — a command line, or a SASL continuation line (after `AUTH <mech>`, where the
 * line is parsed straight into arguments). Never throws; an invalid line is skipped up to its LF, as nginx
 * does, and reported once the LF is there. No allocation per byte: argument offsets go to one scratch
 * array, and Buffers are copied out only when a line is finished.
 * Does not own the verb tables or what a command means (each protocol's parse.ts and machine.ts), nor the
 * buffer (the session shell): positions kept in the cursor are offsets from `start`, so the shell may move
 * unconsumed bytes between calls. IMAP's tagged, quoted and literal grammar is not this one (imap/parse.ts).
 */

import assert from 'node:assert/strict';
import { IMAP_POP3_MAX_ARGS, SMTP_MAX_ARGS } from '../limits.js';

/** What differs between the protocols; build one with `makeVerbLineGrammar` at module load. */
export interface VerbLineGrammarSpec<C extends number> {
  /**
   * The verb table: each verb in lower case (letters only), with its command number (1 to 30). nginx
   * compares a verb with its case folded (POP3: four letters each; SMTP: four, and STARTTLS).
   */
  readonly verbs: Readonly<Record<string, C>>;
  /** nginx's argument limit (POP3 3, SMTP 11); one more argument makes the line invalid */
  readonly maxArgs: number;
  /** the command a SASL continuation line is reported as: nginx stays in the AUTH command */
  readonly saslCommand: C;
  /** verbs whose one argument is the rest of the line, spaces included (POP3 USER and PASS) */
  readonly restOfLineVerbs: readonly C[];
  /** verbs whose command text (verb to last argument) the result carries (SMTP MAIL and RCPT) */
  readonly textVerbs: readonly C[];
}

/**
 * A grammar in the form the parser reads: the verb table as data, not a callback, so one parser serving
 * several protocols has no call site that changes target with the protocol; verb lists as bit masks.
 */
export interface VerbLineGrammar<C extends number> {
  /** the four-letter verbs as `foldedVerb4` words, and their commands at the same index */
  readonly words4: Int32Array;
  readonly commands4: readonly C[];
  /** the other verbs, upper case, and their commands at the same index */
  readonly longVerbs: readonly Buffer[];
  readonly longCommands: readonly C[];
  readonly maxArgs: number;
  readonly saslCommand: C;
  /** bit `1 << verb` set for each rest-of-line verb */
  readonly restOfLineMask: number;
  /** bit `1 << verb` set for each verb whose text is kept */
  readonly textMask: number;
}

// Argument offsets as [start0, end0, start1, end1, …]: the parser is synchronous and not re-entrant, so
// one module-level array, sized for the largest argument limit, serves every call and every grammar
// without allocating per command (a constant the optimiser can see, unlike an array on the grammar).
const scratch = new Int32Array(Math.max(IMAP_POP3_MAX_ARGS, SMTP_MAX_ARGS) * 2);

function maskOf(verbs: readonly number[]): number {
  let mask = 0;
  for (const v of verbs) mask |= 1 << checkedCommand(v);
  return mask;
}

/** A bug, not input: command numbers are small positive integers, so that one mask bit can stand for each. */
function checkedCommand(v: number): number {
  assert.ok(Number.isInteger(v) && v >= 1 && v <= 30, `command ${String(v)} does not fit a mask bit`);
  return v;
}

export function makeVerbLineGrammar<C extends number>(spec: VerbLineGrammarSpec<C>): VerbLineGrammar<C> {
  assert.ok(spec.maxArgs * 2 <= scratch.length, 'the argument limit outgrows the scratch array');
  const words4: number[] = [];
  const commands4: C[] = [];
  const longVerbs: Buffer[] = [];
  const longCommands: C[] = [];
  for (const [name, command] of Object.entries(spec.verbs)) {
    assert.ok(/^[a-z]+$/.test(name), `verb ${name} is not lower-case letters`);
    checkedCommand(command);
    const upper = Buffer.from(name.toUpperCase(), 'latin1');
    if (upper.length === 4) {
      words4.push(foldedVerb4(upper, 0));
      commands4.push(command);
    } else {
      longVerbs.push(upper);
      longCommands.push(command);
    }
  }
  return {
    words4: Int32Array.from(words4),
    commands4,
    longVerbs,
    longCommands,
    maxArgs: spec.maxArgs,
    saslCommand: spec.saslCommand,
    restOfLineMask: maskOf(spec.restOfLineVerbs),
    textMask: maskOf(spec.textVerbs),
  };
}

/**
 * `buf[at, at + 4)` with ASCII letters upper-cased, as one number (`USER` is 0x55534552; letters keep it
 * below 2^31): nginx compares a four-letter verb with its case folded.
 */
function foldedVerb4(buf: Buffer, at: number): number {
  return (
    ((((buf[at] as number) & 0xdf) << 24) |
      (((buf[at + 1] as number) & 0xdf) << 16) |
      (((buf[at + 2] as number) & 0xdf) << 8) |
      ((buf[at + 3] as number) & 0xdf)) >>>
    0
  );
}

/** Parser states, nginx's sw_* minus the prefix. */
const S = {
  start: 0,
  command: 1,
  invalid: 2,
  spacesBeforeArgument: 3,
  argument: 4,
  almostDone: 5,
} as const;
type ParsePhase = (typeof S)[keyof typeof S];

/** Where an unfinished line stopped; every position is relative to `start`. */
export interface VerbLineCursor<C extends number> {
  readonly phase: ParsePhase;
  /** next byte to look at */
  readonly pos: number;
  readonly command: C | 0;
  /** start of the argument being read, -1 when none */
  readonly argStart: number;
  /** finished arguments as [start0, end0, start1, end1, …] */
  readonly args: readonly number[];
}

export type VerbLineParse<C extends number> =
  | { readonly kind: 'incomplete'; readonly cursor: VerbLineCursor<C> }
  | {
      readonly kind: 'command';
      readonly command: C;
      /** copies: the shell may reuse its buffer */
      readonly args: readonly Buffer[];
      /**
       * The command text from the verb to the end of its last argument (nginx keeps it for SMTP MAIL and
       * RCPT, e.g. `MAIL FROM:<a@b> SIZE=100`); a copy, only for the grammar's text verbs, else null.
       */
      readonly text: Buffer | null;
      /** bytes through the LF */
      readonly consumed: number;
    }
  /** a parse-level error (counts toward max_errors); `consumed` runs through the LF */
  | { readonly kind: 'invalid'; readonly consumed: number };

const SP = 0x20;
const CR = 0x0d;
const LF = 0x0a;

function isLetter(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** The command `buf[start, start + len)` names (letters only), or 0. */
function verbOf<C extends number>(g: VerbLineGrammar<C>, buf: Buffer, start: number, len: number): C | 0 {
  if (len === 4) {
    const w = foldedVerb4(buf, start);
    const words = g.words4;
    for (let i = 0; i < words.length; i++) if (words[i] === w) return g.commands4[i] as C;
    return 0;
  }
  const verbs = g.longVerbs;
  for (let i = 0; i < verbs.length; i++) {
    if (foldedEquals(buf, start, len, verbs[i] as Buffer)) return g.longCommands[i] as C;
  }
  return 0;
}

function foldedEquals(buf: Buffer, start: number, len: number, upper: Buffer): boolean {
  if (upper.length !== len) return false;
  for (let i = 0; i < len; i++) if (((buf[start + i] as number) & 0xdf) !== upper[i]) return false;
  return true;
}

/**
 * Parse one line from `buf[start, end)`. `cursor` is what an earlier call returned for the same line
 * (null for a fresh line); `sasl` selects the continuation-line mode.
 */
export function parseVerbLine<C extends number>(
  g: VerbLineGrammar<C>,
  buf: Buffer,
  start: number,
  end: number,
  cursor: VerbLineCursor<C> | null,
  sasl: boolean,
): VerbLineParse<C> {
  const maxArgs = g.maxArgs;
  const restOfLineMask = g.restOfLineMask;
  let phase: ParsePhase;
  let command: C | 0;
  let argStart: number;
  let nargs: number;
  let p: number;
  if (cursor === null) {
    // nginx leaves the parser in sw_argument after AUTH, with the argument starting at the line start.
    phase = sasl ? S.argument : S.start;
    command = sasl ? g.saslCommand : 0;
    argStart = sasl ? start : -1;
    nargs = 0;
    p = start;
  } else {
    phase = cursor.phase;
    command = cursor.command;
    argStart = cursor.argStart < 0 ? -1 : start + cursor.argStart;
    nargs = cursor.args.length >> 1;
    for (let i = 0; i < cursor.args.length; i++) scratch[i] = start + (cursor.args[i] as number);
    p = start + cursor.pos;
  }

  for (; p < end; p++) {
    const ch = buf[p] as number;
    // nginx: sw_start only marks where the verb begins (always `start` here) and falls into sw_command.
    if (phase === S.start) phase = S.command;
    switch (phase) {
      case S.command:
        if (ch === SP || ch === CR || ch === LF) {
          command = verbOf(g, buf, start, p - start);
          if (command === 0) return skipInvalid(buf, start, end, p);
          if (ch === SP) phase = S.spacesBeforeArgument;
          else if (ch === CR) phase = S.almostDone;
          else return done(g, buf, start, p, command, nargs);
          break;
        }
        if (!isLetter(ch)) return skipInvalid(buf, start, end, p);
        break;
      case S.invalid:
        return skipInvalid(buf, start, end, p);
      case S.spacesBeforeArgument:
        if (ch === SP) break;
        if (ch === CR) {
          phase = S.almostDone;
          break;
        }
        if (ch === LF) return done(g, buf, start, p, command as C, nargs);
        if (nargs < maxArgs) {
          phase = S.argument;
          argStart = p;
          break;
        }
        return skipInvalid(buf, start, end, p);
      case S.argument:
        if (ch === SP || ch === CR || ch === LF) {
          // nginx (POP3): a space belongs to the user name or password, not to other commands' arguments.
          if (ch === SP && ((restOfLineMask >>> command) & 1) === 1) break;
          scratch[nargs * 2] = argStart;
          scratch[nargs * 2 + 1] = p;
          nargs++;
          argStart = -1;
          if (ch === SP) phase = S.spacesBeforeArgument;
          else if (ch === CR) phase = S.almostDone;
          else return done(g, buf, start, p, command as C, nargs);
        }
        break;
      case S.almostDone:
        if (ch === LF) return done(g, buf, start, p, command as C, nargs);
        return skipInvalid(buf, start, end, p);
    }
  }

  const args: number[] = [];
  for (let i = 0; i < nargs * 2; i++) args.push((scratch[i] as number) - start);
  return {
    kind: 'incomplete',
    cursor: { phase, pos: p - start, command, argStart: argStart < 0 ? -1 : argStart - start, args },
  };
}

function done<C extends number>(
  g: VerbLineGrammar<C>,
  buf: Buffer,
  start: number,
  lf: number,
  command: C,
  nargs: number,
): VerbLineParse<C> {
  const args: Buffer[] = [];
  for (let i = 0; i < nargs; i++) {
    args.push(Buffer.from(buf.subarray(scratch[i * 2] as number, scratch[i * 2 + 1] as number)));
  }
  let text: Buffer | null = null;
  if (((g.textMask >>> command) & 1) === 1 && nargs > 0) {
    // nginx: from s->cmd.data to the end of the last argument; inner spaces kept, trailing ones not.
    text = Buffer.from(buf.subarray(start, scratch[nargs * 2 - 1] as number));
  }
  return { kind: 'command', command, args, text, consumed: lf + 1 - start };
}

/** nginx: after an invalid byte the rest of the line is skipped; the error is reported at its LF. */
function skipInvalid(buf: Buffer, start: number, end: number, from: number): VerbLineParse<never> {
  for (let i = from; i < end; i++) if (buf[i] === LF) return { kind: 'invalid', consumed: i + 1 - start };
  return { kind: 'incomplete', cursor: { phase: S.invalid, pos: end - start, command: 0, argStart: -1, args: [] } };
}
