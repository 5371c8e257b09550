/**
 * The POP3 command parser (nginx: ngx_mail_pop3_parse_command, 1.21+ with pipelining).
 *
 * Owns: splitting one client line into a verb and at most 3 arguments, byte by byte and resumable, in
 * two modes — a command line, or a SASL continuation line (after `AUTH <mech>`, where the line is parsed
 * straight into arguments). Never throws; an invalid line is skipped up to its LF, as nginx does, and
 * reported once the LF is there.
 * Does not own what a command means (machine.ts) or the buffer (the session shell): positions kept in
 * the cursor are offsets from `start`, so the shell may move unconsumed bytes between calls.
 */
import { IMAP_POP3_MAX_ARGS } from '../../limits.js';

/** The verbs nginx recognises (SSL builds, so STLS too). */
export const POP3_COMMAND = {
  user: 1,
  pass: 2,
  apop: 3,
  quit: 4,
  capa: 5,
  auth: 6,
  noop: 7,
  stls: 8,
} as const;
export type Pop3Command = (typeof POP3_COMMAND)[keyof typeof POP3_COMMAND];

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
export interface Pop3Cursor {
  readonly phase: ParsePhase;
  /** next byte to look at */
  readonly pos: number;
  readonly command: Pop3Command | 0;
  /** start of the argument being read, -1 when none */
  readonly argStart: number;
  /** finished arguments as [start0, end0, start1, end1, …] */
  readonly args: readonly number[];
}

export type Pop3Parse =
  | { readonly kind: 'incomplete'; readonly cursor: Pop3Cursor }
  | {
      readonly kind: 'command';
      readonly command: Pop3Command;
      /** copies: the shell may reuse its buffer */
      readonly args: readonly Buffer[];
      /** bytes through the LF */
      readonly consumed: number;
    }
  /** a parse-level error (counts toward max_errors); `consumed` runs through the LF */
  | { readonly kind: 'invalid'; readonly consumed: number };

const SP = 0x20;
const CR = 0x0d;
const LF = 0x0a;

// Scratch space for argument offsets: the parser is synchronous and not re-entrant, so one array
// serves every call without allocating per command.
const scratch = new Int32Array(IMAP_POP3_MAX_ARGS * 2);

function verbOf(buf: Buffer, at: number): Pop3Command | 0 {
  // nginx upper-cases the four bytes and compares; only letters reach here.
  const w =
    (((buf[at] as number) & 0xdf) << 24) |
    (((buf[at + 1] as number) & 0xdf) << 16) |
    (((buf[at + 2] as number) & 0xdf) << 8) |
    ((buf[at + 3] as number) & 0xdf);
  switch (w >>> 0) {
    case 0x55534552: // USER
      return POP3_COMMAND.user;
    case 0x50415353: // PASS
      return POP3_COMMAND.pass;
    case 0x41504f50: // APOP
      return POP3_COMMAND.apop;
    case 0x51554954: // QUIT
      return POP3_COMMAND.quit;
    case 0x43415041: // CAPA
      return POP3_COMMAND.capa;
    case 0x41555448: // AUTH
      return POP3_COMMAND.auth;
    case 0x4e4f4f50: // NOOP
      return POP3_COMMAND.noop;
    case 0x53544c53: // STLS
      return POP3_COMMAND.stls;
    default:
      return 0;
  }
}

function isLetter(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/**
 * Parse one line from `buf[start, end)`. `cursor` is what an earlier call returned for the same line
 * (null for a fresh line); `sasl` selects the continuation-line mode.
 */
export function parsePop3(buf: Buffer, start: number, end: number, cursor: Pop3Cursor | null, sasl: boolean): Pop3Parse {
  let phase: ParsePhase;
  let command: Pop3Command | 0;
  let argStart: number;
  let nargs: number;
  let p: number;
  if (cursor === null) {
    // nginx leaves the parser in sw_argument after AUTH, with the argument starting at the line start.
    phase = sasl ? S.argument : S.start;
    command = sasl ? POP3_COMMAND.auth : 0;
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
          command = p - start === 4 ? verbOf(buf, start) : 0;
          if (command === 0) return skipInvalid(buf, start, end, p);
          if (ch === SP) phase = S.spacesBeforeArgument;
          else if (ch === CR) phase = S.almostDone;
          else return done(buf, start, p, command, nargs);
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
        if (ch === LF) return done(buf, start, p, command as Pop3Command, nargs);
        if (nargs < IMAP_POP3_MAX_ARGS) {
          phase = S.argument;
          argStart = p;
          break;
        }
        return skipInvalid(buf, start, end, p);
      case S.argument:
        // nginx: a space belongs to the user name or password, not to other commands' arguments.
        if (ch === SP && (command === POP3_COMMAND.user || command === POP3_COMMAND.pass)) break;
        if (ch === SP || ch === CR || ch === LF) {
          scratch[nargs * 2] = argStart;
          scratch[nargs * 2 + 1] = p;
          nargs++;
          argStart = -1;
          if (ch === SP) phase = S.spacesBeforeArgument;
          else if (ch === CR) phase = S.almostDone;
          else return done(buf, start, p, command as Pop3Command, nargs);
        }
        break;
      case S.almostDone:
        if (ch === LF) return done(buf, start, p, command as Pop3Command, nargs);
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

function done(buf: Buffer, start: number, lf: number, command: Pop3Command, nargs: number): Pop3Parse {
  const args: Buffer[] = [];
  for (let i = 0; i < nargs; i++) {
    args.push(Buffer.from(buf.subarray(scratch[i * 2] as number, scratch[i * 2 + 1] as number)));
  }
  return { kind: 'command', command, args, consumed: lf + 1 - start };
}

/** nginx: after an invalid byte the rest of the line is skipped; the error is reported at its LF. */
function skipInvalid(buf: Buffer, start: number, end: number, from: number): Pop3Parse {
  for (let i = from; i < end; i++) if (buf[i] === LF) return { kind: 'invalid', consumed: i + 1 - start };
  return { kind: 'incomplete', cursor: { phase: S.invalid, pos: end - start, command: 0, argStart: -1, args: [] } };
}
