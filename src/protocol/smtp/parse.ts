/**
 * The SMTP command parser (nginx: ngx_mail_smtp_parse_command, with RFC 2920 pipelining).
 *
 * Owns: splitting one client line into a verb and at most 11 space-separated arguments, byte by byte
 * and resumable, in two modes — a command line, or a SASL continuation line (after `AUTH <mech>`, where
 * the line is parsed straight into arguments). Never throws; an invalid line is skipped up to its LF,
 * as nginx does, and reported once the LF is there.
 * Does not own what a command means (machine.ts) or the buffer (the session shell): positions kept in
 * the cursor are offsets from `start`, so the shell may move unconsumed bytes between calls.
 */
import { SMTP_MAX_ARGS } from '../../limits.js';

/** The verbs nginx recognises (SSL builds, so STARTTLS too). DATA and XCLIENT are not among them. */
export const SMTP_COMMAND = {
  helo: 1,
  ehlo: 2,
  quit: 3,
  auth: 4,
  noop: 5,
  mail: 6,
  rset: 7,
  rcpt: 8,
  vrfy: 9,
  expn: 10,
  help: 11,
  starttls: 12,
} as const;
export type SmtpCommand = (typeof SMTP_COMMAND)[keyof typeof SMTP_COMMAND];

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
export interface SmtpCursor {
  readonly phase: ParsePhase;
  readonly pos: number;
  readonly command: SmtpCommand | 0;
  readonly argStart: number;
  /** finished arguments as [start0, end0, start1, end1, …] */
  readonly args: readonly number[];
}

export type SmtpParse =
  | { readonly kind: 'incomplete'; readonly cursor: SmtpCursor }
  | {
      readonly kind: 'command';
      readonly command: SmtpCommand;
      /** copies: the shell may reuse its buffer */
      readonly args: readonly Buffer[];
      /**
       * The command text from the verb to the end of its last argument (nginx keeps it for MAIL and
       * RCPT, e.g. `MAIL FROM:<a@b> SIZE=100`); a copy, only filled for MAIL and RCPT, else null.
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

// Scratch space for argument offsets: the parser is synchronous and not re-entrant.
const scratch = new Int32Array(SMTP_MAX_ARGS * 2);

function verb4(buf: Buffer, at: number): SmtpCommand | 0 {
  const w =
    ((((buf[at] as number) & 0xdf) << 24) |
      (((buf[at + 1] as number) & 0xdf) << 16) |
      (((buf[at + 2] as number) & 0xdf) << 8) |
      ((buf[at + 3] as number) & 0xdf)) >>>
    0;
  switch (w) {
    case 0x48454c4f: // HELO
      return SMTP_COMMAND.helo;
    case 0x45484c4f: // EHLO
      return SMTP_COMMAND.ehlo;
    case 0x51554954: // QUIT
      return SMTP_COMMAND.quit;
    case 0x41555448: // AUTH
      return SMTP_COMMAND.auth;
    case 0x4e4f4f50: // NOOP
      return SMTP_COMMAND.noop;
    case 0x4d41494c: // MAIL
      return SMTP_COMMAND.mail;
    case 0x52534554: // RSET
      return SMTP_COMMAND.rset;
    case 0x52435054: // RCPT
      return SMTP_COMMAND.rcpt;
    case 0x56524659: // VRFY
      return SMTP_COMMAND.vrfy;
    case 0x4558504e: // EXPN
      return SMTP_COMMAND.expn;
    case 0x48454c50: // HELP
      return SMTP_COMMAND.help;
    default:
      return 0;
  }
}

const STARTTLS = 'STARTTLS';

function verbOf(buf: Buffer, start: number, len: number): SmtpCommand | 0 {
  if (len === 4) return verb4(buf, start);
  if (len === 8) {
    for (let i = 0; i < 8; i++) if (((buf[start + i] as number) & 0xdf) !== STARTTLS.charCodeAt(i)) return 0;
    return SMTP_COMMAND.starttls;
  }
  return 0;
}

function isLetter(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/**
 * Parse one line from `buf[start, end)`. `cursor` is what an earlier call returned for the same line
 * (null for a fresh line); `sasl` selects the continuation-line mode.
 */
export function parseSmtp(buf: Buffer, start: number, end: number, cursor: SmtpCursor | null, sasl: boolean): SmtpParse {
  let phase: ParsePhase;
  let command: SmtpCommand | 0;
  let argStart: number;
  let nargs: number;
  let p: number;
  if (cursor === null) {
    // nginx leaves the parser in sw_argument after AUTH, with the argument starting at the line start.
    phase = sasl ? S.argument : S.start;
    command = sasl ? SMTP_COMMAND.auth : 0;
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
          command = verbOf(buf, start, p - start);
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
        if (ch === LF) return done(buf, start, p, command as SmtpCommand, nargs);
        if (nargs < SMTP_MAX_ARGS) {
          phase = S.argument;
          argStart = p;
          break;
        }
        return skipInvalid(buf, start, end, p);
      case S.argument:
        if (ch === SP || ch === CR || ch === LF) {
          scratch[nargs * 2] = argStart;
          scratch[nargs * 2 + 1] = p;
          nargs++;
          argStart = -1;
          if (ch === SP) phase = S.spacesBeforeArgument;
          else if (ch === CR) phase = S.almostDone;
          else return done(buf, start, p, command as SmtpCommand, nargs);
        }
        break;
      case S.almostDone:
        if (ch === LF) return done(buf, start, p, command as SmtpCommand, nargs);
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

function done(buf: Buffer, start: number, lf: number, command: SmtpCommand, nargs: number): SmtpParse {
  const args: Buffer[] = [];
  for (let i = 0; i < nargs; i++) {
    args.push(Buffer.from(buf.subarray(scratch[i * 2] as number, scratch[i * 2 + 1] as number)));
  }
  let text: Buffer | null = null;
  if ((command === SMTP_COMMAND.mail || command === SMTP_COMMAND.rcpt) && nargs > 0) {
    // nginx: from s->cmd.data to the end of the last argument; inner spaces kept, trailing ones not.
    text = Buffer.from(buf.subarray(start, scratch[nargs * 2 - 1] as number));
  }
  return { kind: 'command', command, args, text, consumed: lf + 1 - start };
}

/** nginx: after an invalid byte the rest of the line is skipped; the error is reported at its LF. */
function skipInvalid(buf: Buffer, start: number, end: number, from: number): SmtpParse {
  for (let i = from; i < end; i++) if (buf[i] === LF) return { kind: 'invalid', consumed: i + 1 - start };
  return { kind: 'incomplete', cursor: { phase: S.invalid, pos: end - start, command: 0, argStart: -1, args: [] } };
}
