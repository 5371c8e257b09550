/**
 * The IMAP pre-auth command parser: pure, resumable, one byte at a time, with nginx's rules
 * (ngx_mail_imap_parse_command, as of nginx 1.29.6) plus the ID command (ours).
 *
 * Owns: tags, verbs, spaces, up to three arguments (atoms, quoted strings with backslash escapes,
 * `{n}` / `{n+}` literals), CRLF or bare LF, skipping an invalid line to its LF and the `+}` quit rule,
 * the SASL-line mode used while an AUTHENTICATE exchange runs (reference 4.4), and the syntax of ID
 * parameter lists. Does not own: what a command means or may do (machine.ts), the client buffer limit
 * (the shell calls `overflow`), replies (replies.ts).
 *
 * Positions in the state are offsets from the `start` the caller passes, so the caller may move the
 * unconsumed bytes between calls. The parser never throws on input and keeps a fixed-size state.
 *
 * Deliberate differences from nginx, each marked where it happens:
 * - Q-11 fixed: `{0}` is an empty literal (nginx swallows the byte after the CRLF).
 * - An empty tag (a line starting with a space) is invalid and answered untagged, as reference 4.1 says;
 *   nginx's parser takes the bare space as the tag and answers ` BAD invalid command`.
 * - The "quoted" flag does not leak into the next command (nginx keeps it set after a quoted string that
 *   the line ended before closing, which corrupts the parse of the following command).
 */

import { IMAP_POP3_MAX_ARGS, IMAP_TAG_MAX } from '../../limits.js';
import { normalizeIdParams } from './id-params.js';

export type ImapVerb = 'noop' | 'login' | 'logout' | 'capability' | 'authenticate' | 'starttls' | 'id';

/** Verb codes in the parse state; 0 means "not known yet". */
const VERB_NONE = 0;
const VERB_ID = 7;
const VERB_NAMES: readonly (ImapVerb | null)[] = [
  null,
  'noop',
  'login',
  'logout',
  'capability',
  'authenticate',
  'starttls',
  'id',
];

/** Parser states, named after nginx's sw_* states where one exists (the id* states are ours). */
const St = {
  start: 0,
  tag: 1,
  invalid: 2,
  spacesBeforeCommand: 3,
  command: 4,
  spacesBeforeArgument: 5,
  argument: 6,
  backslash: 7,
  literal: 8,
  noSyncLiteral: 9,
  startLiteral: 10,
  literalData: 11,
  endLiteral: 12,
  almostDone: 13,
  idSpaces: 14,
  idNil: 15,
  idItem: 16,
  idQuoted: 17,
  idQuotedBackslash: 18,
  idAtom: 19,
  idAfterItem: 20,
  idEnd: 21,
} as const;

const SP = 0x20;
const CR = 0x0d;
const LF = 0x0a;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const PLUS = 0x2b;
const LPAREN = 0x28;
const RPAREN = 0x29;

/** A literal length is capped here: it can never fit a client buffer anyway, and the cap keeps it exact. */
const LITERAL_LEN_CAP = 0x7fffffff;

/** nginx: tag characters `[A-Za-z0-9._-]` (Q-17, mirrored). */
const TAG_CHAR = new Uint8Array(256);
/** Atom characters accepted inside an ID list: printable ASCII but the IMAP specials we must not guess about. */
const ID_ATOM_CHAR = new Uint8Array(256);
{
  for (let c = 0x30; c <= 0x39; c++) TAG_CHAR[c] = 1;
  for (let c = 0x41; c <= 0x5a; c++) TAG_CHAR[c] = 1;
  for (let c = 0x61; c <= 0x7a; c++) TAG_CHAR[c] = 1;
  TAG_CHAR[0x2d] = 1;
  TAG_CHAR[0x2e] = 1;
  TAG_CHAR[0x5f] = 1;
  for (let c = 0x21; c <= 0x7e; c++) ID_ATOM_CHAR[c] = 1;
  for (const c of [LPAREN, RPAREN, LBRACE, DQUOTE, BACKSLASH]) ID_ATOM_CHAR[c] = 0;
}

function isLetter(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** Fixed-size parse state; every position is an offset from the caller's `start`. */
export interface ImapParseState {
  readonly st: number;
  /** next byte to look at */
  readonly pos: number;
  /** SASL-line mode: the line is arguments only (no tag, no verb) */
  readonly sasl: boolean;
  /** tag length including its trailing space; 0 while none was parsed */
  readonly tagLen: number;
  readonly cmdStart: number;
  readonly verb: number;
  readonly nargs: number;
  readonly s0: number;
  readonly e0: number;
  readonly s1: number;
  readonly e1: number;
  readonly s2: number;
  readonly e2: number;
  /** bit n set: argument n is a quoted string with backslash escapes to undo */
  readonly escMask: number;
  readonly argStart: number;
  readonly quoted: boolean;
  readonly backslash: boolean;
  /** bytes of the current literal still to come (or its announced length while in `{...}`) */
  readonly literalLen: number;
  readonly noSync: boolean;
  /** ID: where its parameter starts (`(` or `N` of NIL) and ends (just past `)` / `L`); -1 when none */
  readonly idFrom: number;
  readonly idTo: number;
  /** ID: items seen in the list so far (keys and values) */
  readonly idItems: number;
  readonly itemStart: number;
  /** ID: letters of `NIL` matched so far */
  readonly idNil: number;
}

type Work = { -readonly [K in keyof ImapParseState]: ImapParseState[K] };

const FRESH_COMMAND: ImapParseState = Object.freeze({
  st: St.start,
  pos: 0,
  sasl: false,
  tagLen: 0,
  cmdStart: 0,
  verb: VERB_NONE,
  nargs: 0,
  s0: 0,
  e0: 0,
  s1: 0,
  e1: 0,
  s2: 0,
  e2: 0,
  escMask: 0,
  argStart: 0,
  quoted: false,
  backslash: false,
  literalLen: 0,
  noSync: false,
  idFrom: -1,
  idTo: -1,
  idItems: 0,
  itemStart: 0,
  idNil: 0,
});

/** nginx: after AUTHENTICATE the parser stays in sw_argument with arg_start at the next line. */
const FRESH_SASL: ImapParseState = Object.freeze({ ...FRESH_COMMAND, st: St.argument, sasl: true });

export type ImapParseResult =
  /** Need more bytes; keep the bytes and call again with this state. */
  | { readonly kind: 'incomplete'; readonly state: ImapParseState }
  /** A synchronising literal was announced: send `+ OK`, then call again (more bytes may already be there). */
  | { readonly kind: 'literal'; readonly state: ImapParseState }
  /**
   * A parse-level error, reported once its line's LF arrived. `tag` is the parsed tag (with its space),
   * null when none was parsed or in SASL mode; `quit` is nginx's rule for a line ending in `+}`.
   */
  | { readonly kind: 'invalid'; readonly consumed: number; readonly tag: Buffer | null; readonly quit: boolean }
  /**
   * A whole command. `verb` is null in SASL mode. `args` are copies, quoted strings unescaped. `id` is the
   * canonical ID parameter (`NIL` or `("k" "v" ...)`) for the ID verb, null when it had none.
   */
  | {
      readonly kind: 'command';
      readonly consumed: number;
      readonly tag: Buffer | null;
      readonly verb: ImapVerb | null;
      readonly args: readonly Buffer[];
      readonly id: Buffer | null;
    };

/** Case-insensitive compare of `buf[from, from + word.length)` with an upper-case ASCII word. */
function verbIs(buf: Buffer, from: number, word: string): boolean {
  for (let k = 0; k < word.length; k++) {
    if (((buf[from + k] as number) & 0xdf) !== word.charCodeAt(k)) return false;
  }
  return true;
}

/** nginx: the switch on the command length in sw_command; `ID` is ours. Letters only reach here. */
function matchVerb(buf: Buffer, from: number, to: number): number {
  switch (to - from) {
    case 2:
      return verbIs(buf, from, 'ID') ? VERB_ID : VERB_NONE;
    case 4:
      return verbIs(buf, from, 'NOOP') ? 1 : VERB_NONE;
    case 5:
      return verbIs(buf, from, 'LOGIN') ? 2 : VERB_NONE;
    case 6:
      return verbIs(buf, from, 'LOGOUT') ? 3 : VERB_NONE;
    case 10:
      return verbIs(buf, from, 'CAPABILITY') ? 4 : VERB_NONE;
    case 12:
      return verbIs(buf, from, 'AUTHENTICATE') ? 5 : VERB_NONE;
    case 8:
      return verbIs(buf, from, 'STARTTLS') ? 6 : VERB_NONE;
    default:
      return VERB_NONE;
  }
}

function pushArg(w: Work, from: number, to: number): void {
  if (w.nargs === 0) {
    w.s0 = from;
    w.e0 = to;
  } else if (w.nargs === 1) {
    w.s1 = from;
    w.e1 = to;
  } else {
    w.s2 = from;
    w.e2 = to;
  }
  if (w.backslash) w.escMask |= 1 << w.nargs;
  w.backslash = false;
  w.quoted = false;
  w.nargs++;
}

/** A copy of an argument, with `\x` turned into `x` for quoted strings that had escapes. */
function copyArg(buf: Buffer, from: number, to: number, escaped: boolean): Buffer {
  if (!escaped) return Buffer.from(buf.subarray(from, to));
  let n = 0;
  for (let k = from; k < to; k++, n++) if (buf[k] === BACKSLASH) k++;
  const out = Buffer.allocUnsafe(n);
  let o = 0;
  for (let k = from; k < to && o < n; k++) {
    if (buf[k] === BACKSLASH) k++;
    out[o++] = buf[k] as number;
  }
  return out;
}

function argsOf(w: Work, buf: Buffer, start: number): Buffer[] {
  const args: Buffer[] = [];
  if (w.nargs > 0) args.push(copyArg(buf, start + w.s0, start + w.e0, (w.escMask & 1) !== 0));
  if (w.nargs > 1) args.push(copyArg(buf, start + w.s1, start + w.e1, (w.escMask & 2) !== 0));
  if (w.nargs > 2) args.push(copyArg(buf, start + w.s2, start + w.e2, (w.escMask & 4) !== 0));
  return args;
}

/**
 * nginx's "detect non-synchronizing literals" after an invalid line: if the line ends in `+}` its
 * literal's bytes could be read as commands, so the session must end after the reply.
 */
function endsInNoSyncLiteral(buf: Buffer, start: number, lf: number): boolean {
  if (lf <= 4) return false; // nginx: p - buffer->start > sizeof("{1+}") - 1
  let q = start + lf - 1;
  if (buf[q] === CR) q--;
  return buf[q] === RBRACE && buf[q - 1] === PLUS;
}

/** A finished ID list must hold key/value pairs. */
function closeIdList(w: Work, i: number): boolean {
  if (w.idItems % 2 !== 0) return false;
  w.idTo = i + 1;
  return true;
}

/**
 * Parses at most one command (or, in SASL mode, one client line) from `buf[start, end)`, resuming from
 * `prev` (null: a new command). `sasl` only matters for a new command.
 */
export function parseImapCommand(
  prev: ImapParseState | null,
  sasl: boolean,
  buf: Buffer,
  start: number,
  end: number,
): ImapParseResult {
  const w: Work = { ...(prev ?? (sasl ? FRESH_SASL : FRESH_COMMAND)) };
  const len = end - start;
  let i = w.pos;
  let st: number = w.st;

  while (i < len) {
    if (st === St.literalData) {
      // Skip the literal's bytes in one step; nothing in them is looked at.
      const avail = len - i;
      if (w.literalLen > avail) {
        w.literalLen -= avail;
        i = len;
        break;
      }
      i += w.literalLen;
      w.literalLen = 0;
      if (w.verb === VERB_ID) {
        w.idItems++;
        st = St.idAfterItem;
      } else {
        pushArg(w, w.argStart, i);
        st = St.endLiteral;
      }
      continue;
    }

    const ch = buf[start + i] as number;

    switch (st) {
      case St.start:
        // Ours: an empty tag is invalid (nginx would take the space alone as the tag).
        st = TAG_CHAR[ch] === 1 ? St.tag : St.invalid;
        break;

      case St.tag:
        if (ch === SP) {
          w.tagLen = i + 1;
          st = St.spacesBeforeCommand;
        } else if (TAG_CHAR[ch] !== 1 || i >= IMAP_TAG_MAX) {
          st = St.invalid;
        }
        break;

      case St.spacesBeforeCommand:
        if (ch === CR || ch === LF) {
          st = St.invalid;
        } else if (ch !== SP) {
          w.cmdStart = i;
          st = St.command;
        }
        break;

      case St.command:
        if (ch === SP || ch === CR || ch === LF) {
          w.verb = matchVerb(buf, start + w.cmdStart, start + i);
          if (w.verb === VERB_NONE) {
            st = St.invalid;
          } else if (ch === SP) {
            st = w.verb === VERB_ID ? St.idSpaces : St.spacesBeforeArgument;
          } else if (ch === CR) {
            st = St.almostDone;
          } else {
            return done(w, buf, start, i);
          }
        } else if (!isLetter(ch)) {
          st = St.invalid;
        }
        break;

      case St.spacesBeforeArgument:
        if (ch === SP) break;
        if (ch === CR) {
          st = St.almostDone;
          break;
        }
        if (ch === LF) return done(w, buf, start, i);
        if (w.nargs > IMAP_POP3_MAX_ARGS - 1) {
          // nginx: starting a 4th argument makes the command invalid
          st = St.invalid;
        } else if (ch === DQUOTE) {
          w.quoted = true;
          w.argStart = i + 1;
          st = St.argument;
        } else if (ch === LBRACE) {
          w.literalLen = 0;
          w.noSync = false;
          st = St.literal;
        } else {
          w.argStart = i;
          st = St.argument;
        }
        break;

      case St.argument:
        if (ch === SP && w.quoted) break;
        if (ch === DQUOTE) {
          if (!w.quoted) break;
          pushArg(w, w.argStart, i);
          st = St.spacesBeforeArgument;
        } else if (ch === SP || ch === CR || ch === LF) {
          // nginx: a line that ends inside a quoted string still yields the argument
          pushArg(w, w.argStart, i);
          if (ch === SP) st = St.spacesBeforeArgument;
          else if (ch === CR) st = St.almostDone;
          else return done(w, buf, start, i);
        } else if (ch === BACKSLASH && w.quoted) {
          w.backslash = true;
          st = St.backslash;
        }
        break;

      case St.backslash:
        st = ch === CR || ch === LF ? St.invalid : St.argument;
        break;

      case St.literal:
        if (ch >= 0x30 && ch <= 0x39) {
          w.literalLen = Math.min(w.literalLen * 10 + (ch - 0x30), LITERAL_LEN_CAP);
        } else if (ch === RBRACE) {
          st = St.startLiteral;
        } else if (ch === PLUS) {
          st = St.noSyncLiteral;
        } else {
          st = St.invalid;
        }
        break;

      case St.noSyncLiteral:
        if (ch === RBRACE) {
          w.noSync = true;
          st = St.startLiteral;
        } else {
          st = St.invalid;
        }
        break;

      case St.startLiteral:
        if (ch === CR) break; // nginx lets any number of CRs precede the LF
        if (ch !== LF) {
          st = St.invalid;
          break;
        }
        w.argStart = i + 1;
        if (w.literalLen === 0) {
          // Q-11 fixed: {0} is an empty literal; the next byte belongs to what follows it.
          if (w.verb === VERB_ID) {
            w.idItems++;
            st = St.idAfterItem;
          } else {
            pushArg(w, i + 1, i + 1);
            st = St.endLiteral;
          }
        } else {
          st = St.literalData;
        }
        if (!w.noSync) {
          w.st = st;
          w.pos = i + 1;
          return { kind: 'literal', state: w };
        }
        w.noSync = false;
        break;

      case St.endLiteral:
        // nginx 1.29.6: only SP or CRLF may follow a literal
        if (ch === SP) st = St.spacesBeforeArgument;
        else if (ch === CR) st = St.almostDone;
        else if (ch === LF) return done(w, buf, start, i);
        else st = St.invalid;
        break;

      case St.almostDone:
        if (ch === LF) return done(w, buf, start, i);
        st = St.invalid;
        break;

      /* ID (RFC 2971): `ID NIL` or `ID (string SP nstring ...)`. Ours: nginx has no ID command. */

      case St.idSpaces:
        if (ch === SP) break;
        if (ch === CR) {
          st = St.almostDone;
        } else if (ch === LF) {
          return done(w, buf, start, i);
        } else if (ch === LPAREN) {
          w.idFrom = i;
          w.idItems = 0;
          st = St.idItem;
        } else if ((ch | 0x20) === 0x6e /* n */) {
          w.idFrom = i;
          w.idNil = 1;
          st = St.idNil;
        } else {
          st = St.invalid;
        }
        break;

      case St.idNil:
        if (w.idNil === 1 && (ch | 0x20) === 0x69 /* i */) {
          w.idNil = 2;
        } else if (w.idNil === 2 && (ch | 0x20) === 0x6c /* l */) {
          w.idTo = i + 1;
          st = St.idEnd;
        } else {
          st = St.invalid;
        }
        break;

      case St.idItem:
        if (ch === SP) break;
        if (ch === RPAREN) {
          st = closeIdList(w, i) ? St.idEnd : St.invalid;
        } else if (ch === DQUOTE) {
          w.itemStart = i;
          st = St.idQuoted;
        } else if (ch === LBRACE) {
          w.literalLen = 0;
          w.noSync = false;
          st = St.literal;
        } else if (ID_ATOM_CHAR[ch] === 1) {
          w.itemStart = i;
          st = St.idAtom;
        } else {
          st = St.invalid;
        }
        break;

      case St.idQuoted:
        if (ch === DQUOTE) {
          w.idItems++;
          st = St.idAfterItem;
        } else if (ch === BACKSLASH) {
          st = St.idQuotedBackslash;
        } else if (ch === CR || ch === LF) {
          st = St.invalid;
        }
        break;

      case St.idQuotedBackslash:
        st = ch === CR || ch === LF ? St.invalid : St.idQuoted;
        break;

      case St.idAtom:
        if (ch === SP || ch === RPAREN) {
          const isKey = w.idItems % 2 === 0;
          const nil =
            i - w.itemStart === 3 &&
            ((buf[start + w.itemStart] as number) | 0x20) === 0x6e &&
            ((buf[start + w.itemStart + 1] as number) | 0x20) === 0x69 &&
            ((buf[start + w.itemStart + 2] as number) | 0x20) === 0x6c;
          if (isKey && nil) {
            st = St.invalid; // RFC 2971: a field name is a string, never NIL
            break;
          }
          w.idItems++;
          if (ch === SP) st = St.idItem;
          else st = closeIdList(w, i) ? St.idEnd : St.invalid;
        } else if (ID_ATOM_CHAR[ch] !== 1) {
          st = St.invalid;
        }
        break;

      case St.idAfterItem:
        if (ch === SP) st = St.idItem;
        else if (ch === RPAREN) st = closeIdList(w, i) ? St.idEnd : St.invalid;
        else st = St.invalid;
        break;

      case St.idEnd:
        if (ch === SP) break;
        if (ch === CR) st = St.almostDone;
        else if (ch === LF) return done(w, buf, start, i);
        else st = St.invalid;
        break;

      default:
        // St.invalid: nginx skips the rest of an invalid command up to its LF.
        for (; i < len; i++) {
          if (buf[start + i] === LF) {
            return {
              kind: 'invalid',
              consumed: i + 1,
              tag: !w.sasl && w.tagLen > 0 ? Buffer.from(buf.subarray(start, start + w.tagLen)) : null,
              quit: endsInNoSyncLiteral(buf, start, i),
            };
          }
        }
        continue;
    }

    // An invalid byte is looked at again by the skip loop: it may itself be the LF.
    if (st !== St.invalid) i++;
  }

  w.st = st;
  w.pos = i;
  return { kind: 'incomplete', state: w };
}

function done(w: Work, buf: Buffer, start: number, lf: number): ImapParseResult {
  const verb = w.sasl ? null : VERB_NAMES[w.verb] ?? null;
  return {
    kind: 'command',
    consumed: lf + 1,
    tag: !w.sasl && w.tagLen > 0 ? Buffer.from(buf.subarray(start, start + w.tagLen)) : null,
    verb,
    args: argsOf(w, buf, start),
    id: verb === 'id' && w.idFrom >= 0 ? normalizeIdParams(buf, start + w.idFrom, start + w.idTo) : null,
  };
}

/** The tag (with its space) a partly parsed command has, for the too-long reply; null if none yet. */
export function parsedTag(ps: ImapParseState, buf: Buffer, start: number): Buffer | null {
  return !ps.sasl && ps.tagLen > 0 ? Buffer.from(buf.subarray(start, start + ps.tagLen)) : null;
}

/** The verb a partly parsed command has, once its terminating byte was seen. */
export function parsedVerb(ps: ImapParseState): ImapVerb | null {
  return VERB_NAMES[ps.verb] ?? null;
}
