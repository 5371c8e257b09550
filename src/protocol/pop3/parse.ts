/**
 * The POP3 command grammar (nginx: ngx_mail_pop3_parse_command, 1.21+ with pipelining).
 *
 * Owns: what makes POP3 lines differ from SMTP ones — the verb table (four letters each), at most 3
 * arguments, and USER/PASS taking the rest of the line as one argument, spaces included. The byte-by-byte
 * resumable parser itself (both modes, invalid-line skipping, cursor positions relative to `start`) is
 * the shared one in ../verb-line.ts.
 * Does not own what a command means (machine.ts) or the buffer (the session shell).
 */
import { IMAP_POP3_MAX_ARGS } from '../../limits.js';
import { makeVerbLineGrammar, parseVerbLine, type VerbLineCursor, type VerbLineParse } from '../verb-line.js';

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

/** Where an unfinished line stopped; every position is relative to `start`. */
export type Pop3Cursor = VerbLineCursor<Pop3Command>;

/** `text` is always null: POP3 keeps no command text. */
export type Pop3Parse = VerbLineParse<Pop3Command>;

const POP3_GRAMMAR = makeVerbLineGrammar<Pop3Command>({
  verbs: POP3_COMMAND,
  maxArgs: IMAP_POP3_MAX_ARGS,
  saslCommand: POP3_COMMAND.auth,
  // nginx: a space belongs to the user name or password, not to other commands' arguments.
  restOfLineVerbs: [POP3_COMMAND.user, POP3_COMMAND.pass],
  textVerbs: [],
});

/**
 * Parse one line from `buf[start, end)`. `cursor` is what an earlier call returned for the same line
 * (null for a fresh line); `sasl` selects the continuation-line mode.
 */
export function parsePop3(buf: Buffer, start: number, end: number, cursor: Pop3Cursor | null, sasl: boolean): Pop3Parse {
  return parseVerbLine(POP3_GRAMMAR, buf, start, end, cursor, sasl);
}
