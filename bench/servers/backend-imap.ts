/**
 * The fake IMAP backend's dialogue: any LOGIN succeeds, SELECT shows one message, FETCH serves it.
 *
 * Owns: the replies, and reading synchronising (`{n}`, answered with `+`) and non-synchronising
 * (`{n+}`) literals, which is how nginx and postern send LOGIN's arguments. The greeting advertises
 * LITERAL+ as Dovecot does. Does not own framing (backend-conn.ts).
 */
import type { BackendConn, DialogueSession } from './backend-conn.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

export const IMAP_GREETING = b(
  '* OK [CAPABILITY IMAP4rev1 SASL-IR LITERAL+ ID AUTH=PLAIN] fake backend ready\r\n',
);
const CONTINUE = b('+ OK\r\n');
const SELECT_UNTAGGED = b(
  '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n* 1 EXISTS\r\n* 0 RECENT\r\n' +
    '* OK [UIDVALIDITY 1] UIDs valid\r\n* OK [UIDNEXT 2] Predicted next UID\r\n',
);
const BYE = b('* BYE Logging out\r\n');
const CAPABILITY = b('* CAPABILITY IMAP4rev1 SASL-IR LITERAL+ ID AUTH=PLAIN\r\n');
const ID = b('* ID NIL\r\n');

/** `{123}` or `{123+}` at the end of a line: the literal's length, or -1. */
function trailingLiteral(line: Buffer): { n: number; sync: boolean } | null {
  const len = line.length;
  if (len < 3 || line[len - 1] !== 0x7d) return null;
  let i = len - 2;
  const sync = line[i] !== 0x2b;
  if (!sync) i--;
  let n = 0;
  let mult = 1;
  let digits = 0;
  while (i >= 0 && line[i]! >= 0x30 && line[i]! <= 0x39) {
    n += (line[i]! - 0x30) * mult;
    mult *= 10;
    digits++;
    i--;
  }
  return digits > 0 && i >= 0 && line[i] === 0x7b ? { n, sync } : null;
}

class ImapSession implements DialogueSession {
  /** the command's first line while its literals arrive */
  private head: string | null = null;

  constructor(
    private readonly conn: BackendConn,
    private readonly fetchHead: Buffer,
    private readonly message: Buffer,
  ) {}

  line(line: Buffer): void {
    const lit = trailingLiteral(line);
    this.head ??= line.toString('latin1');
    if (lit !== null) {
      this.conn.skip(lit.n);
      if (lit.sync) this.conn.write(CONTINUE);
      return;
    }
    const cmd = this.head;
    this.head = null;
    this.command(cmd);
  }

  private command(cmd: string): void {
    const sp = cmd.indexOf(' ');
    const tag = sp < 0 ? cmd : cmd.slice(0, sp);
    const rest = sp < 0 ? '' : cmd.slice(sp + 1);
    const sp2 = rest.indexOf(' ');
    let verb = (sp2 < 0 ? rest : rest.slice(0, sp2)).toUpperCase();
    if (verb === 'UID') {
      const r2 = rest.slice(4);
      const sp3 = r2.indexOf(' ');
      verb = (sp3 < 0 ? r2 : r2.slice(0, sp3)).toUpperCase();
    }
    const c = this.conn;
    switch (verb) {
      case 'LOGIN':
      case 'AUTHENTICATE':
        c.write(b(`${tag} OK [CAPABILITY IMAP4rev1 SASL-IR LITERAL+ ID] Logged in\r\n`));
        return;
      case 'SELECT':
      case 'EXAMINE':
        c.socket.cork();
        c.write(SELECT_UNTAGGED);
        c.write(b(`${tag} OK [READ-WRITE] Select completed\r\n`));
        c.socket.uncork();
        return;
      case 'FETCH':
        c.socket.cork();
        c.write(this.fetchHead);
        c.write(this.message);
        c.write(b(`)\r\n${tag} OK Fetch completed\r\n`));
        c.socket.uncork();
        return;
      case 'LOGOUT':
        c.socket.cork();
        c.write(BYE);
        c.end(b(`${tag} OK Logout completed\r\n`));
        return;
      case 'CAPABILITY':
        c.write(Buffer.concat([CAPABILITY, b(`${tag} OK Capability completed\r\n`)]));
        return;
      case 'ID':
        c.write(Buffer.concat([ID, b(`${tag} OK ID completed\r\n`)]));
        return;
      default:
        c.write(b(`${tag} OK done\r\n`));
    }
  }
}

/** Builds the IMAP dialogue for a connection, serving `message` for FETCH. */
export function imapDialogue(message: Buffer): (conn: BackendConn) => DialogueSession {
  const fetchHead = b(`* 1 FETCH (BODY[] {${message.length}}\r\n`);
  return (conn) => {
    conn.write(IMAP_GREETING);
    return new ImapSession(conn, fetchHead, message);
  };
}
