/**
 * The SMTP command grammar (nginx: ngx_mail_smtp_parse_command, with RFC 2920 pipelining).
 *
 * Owns: what makes SMTP lines differ from POP3 ones — the verb table (four letters, and STARTTLS), at
 * most 11 space-separated arguments, and the command text nginx keeps for MAIL and RCPT. The byte-by-byte
 * resumable parser itself (both modes, invalid-line skipping, cursor positions relative to `start`) is
 * the shared one in ../verb-line.ts.
 * Does not own what a command means (machine.ts) or the buffer (the session shell).
 */
import { SMTP_MAX_ARGS } from '../../limits.js';
import { makeVerbLineGrammar, parseVerbLine, type VerbLineCursor, type VerbLineParse } from '../verb-line.js';

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

/** Where an unfinished line stopped; every position is relative to `start`. */
export type SmtpCursor = VerbLineCursor<SmtpCommand>;

/** `text` is filled for MAIL and RCPT (e.g. `MAIL FROM:<a@b> SIZE=100`), else null. */
export type SmtpParse = VerbLineParse<SmtpCommand>;

/** A finished command line. */
export type SmtpLine = Extract<SmtpParse, { readonly kind: 'command' }>;

const SMTP_GRAMMAR = makeVerbLineGrammar<SmtpCommand>({
  verbs: SMTP_COMMAND,
  maxArgs: SMTP_MAX_ARGS,
  saslCommand: SMTP_COMMAND.auth,
  restOfLineVerbs: [],
  textVerbs: [SMTP_COMMAND.mail, SMTP_COMMAND.rcpt],
});

/**
 * Parse one line from `buf[start, end)`. `cursor` is what an earlier call returned for the same line
 * (null for a fresh line); `sasl` selects the continuation-line mode.
 */
export function parseSmtp(buf: Buffer, start: number, end: number, cursor: SmtpCursor | null, sasl: boolean): SmtpParse {
  return parseVerbLine(SMTP_GRAMMAR, buf, start, end, cursor, sasl);
}
