/**
 * The default replies of the fake backend, one dialogue per protocol, shaped after Dovecot (IMAP,
 * POP3) and Postfix (SMTP) but much smaller.
 *
 * Owns: parsing a complete command into tag / verb / arguments (IMAP quoted strings and literals
 * included) and the default reply to each command: greetings, CAPABILITY/CAPA/EHLO, LOGIN, USER/PASS,
 * AUTH(ENTICATE) PLAIN and LOGIN, SELECT and FETCH / RETR of one message, XCLIENT, MAIL/RCPT/DATA,
 * QUIT/LOGOUT.
 * Does not own: sockets, framing, faults or recording (fake-upstream.ts).
 */
import { dotStuff } from './mailbox.js';

export type Flavour = 'imap' | 'pop3' | 'smtp';

/** A complete command as the fake backend received it. */
export interface Command {
  /** Every byte of the command (all lines, literal contents included). */
  readonly raw: Buffer;
  /** The first line without its line ending (latin1). */
  readonly line: string;
  /** IMAP tag, or null. */
  readonly tag: string | null;
  /** The command name, upper-cased. */
  readonly verb: string;
  /** IMAP: the arguments after the verb (quoted strings unquoted, literals as their bytes in latin1). POP3/SMTP: the words after the verb. */
  readonly args: readonly string[];
}

/** What a dialogue may do with a connection (FakeConnection implements it). */
export interface DialogueConn {
  readonly state: Record<string, unknown>;
  loggedIn: boolean;
  send(data: string | Buffer): void;
  close(): void;
  login(user: string, pass: string): boolean;
  afterLogin(): void;
  onNextLine(fn: (line: Buffer) => void): void;
  readData(): void;
}

export interface DialogueOptions {
  readonly flavour: Flavour;
  readonly message?: Buffer;
  readonly imapCapabilities?: string;
  readonly ehloKeywords?: readonly string[];
  readonly xclientReply?: string;
}

export interface Dialogue {
  readonly greeting: string;
  parse(raw: Buffer): Command;
  handle(cmd: Command, conn: DialogueConn): void;
  /** SMTP: called when a message after DATA is complete. */
  onDataEnd(conn: DialogueConn): void;
}

const DEFAULT_MESSAGE = Buffer.from(
  'From: fake@example.test\r\nSubject: fake upstream\r\n\r\nhello from the fake upstream\r\n',
);
const HOST = 'fake.postern.test';

function firstLine(raw: Buffer): string {
  const nl = raw.indexOf(0x0a);
  return raw
    .subarray(0, nl === -1 ? raw.length : nl)
    .toString('latin1')
    .replace(/\r$/, '');
}

/** Tokens of an IMAP command: atoms, quoted strings (unescaped) and literals (their bytes). */
export function imapTokens(raw: Buffer): string[] {
  const s = raw.toString('latin1');
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === ' ' || c === '\r' || c === '\n') {
      i++;
    } else if (c === '"') {
      let v = '';
      i++;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === '\\' && i + 1 < s.length) i++;
        v += s.charAt(i);
        i++;
      }
      i++;
      out.push(v);
    } else {
      const lit = /^\{(\d+)\+?\}\r?\n/.exec(s.slice(i, i + 32));
      if (lit) {
        const n = Number(lit[1]);
        const start = i + lit[0].length;
        out.push(s.slice(start, start + n));
        i = start + n;
      } else {
        let j = i;
        while (j < s.length && s[j] !== ' ' && s[j] !== '\r' && s[j] !== '\n') j++;
        out.push(s.slice(i, j));
        i = j;
      }
    }
  }
  return out;
}

/** PLAIN initial response → [user, pass] (RFC 4616: authzid NUL authcid NUL passwd). */
function decodePlain(b64: string): [string, string] {
  const parts = Buffer.from(b64, 'base64').toString('latin1').split('\0');
  return [parts[1] ?? '', parts[2] ?? ''];
}

function withCrlfEnd(msg: Buffer): Buffer {
  return msg.subarray(-2).equals(Buffer.from('\r\n')) ? msg : Buffer.concat([msg, Buffer.from('\r\n')]);
}

function imapDialogue(o: DialogueOptions): Dialogue {
  const caps = o.imapCapabilities ?? 'IMAP4rev1 LITERAL+ SASL-IR ID AUTH=PLAIN';
  const msg = o.message ?? DEFAULT_MESSAGE;
  const finishLogin = (conn: DialogueConn, tag: string, user: string, pass: string): void => {
    if (conn.login(user, pass)) {
      conn.send(`${tag} OK [CAPABILITY ${caps}] Logged in\r\n`);
      conn.afterLogin();
    } else {
      conn.send(`${tag} NO [AUTHENTICATIONFAILED] Authentication failed.\r\n`);
    }
  };
  const authenticate = (conn: DialogueConn, tag: string, mech: string, ir: string | undefined): void => {
    if (mech.toUpperCase() !== 'PLAIN') {
      conn.send(`${tag} NO Unsupported authentication mechanism.\r\n`);
    } else if (ir !== undefined) {
      finishLogin(conn, tag, ...decodePlain(ir));
    } else {
      conn.send('+ \r\n');
      conn.onNextLine((line) => {
        const text = line.toString('latin1');
        if (text === '*') conn.send(`${tag} BAD Authentication aborted by client.\r\n`);
        else finishLogin(conn, tag, ...decodePlain(text));
      });
    }
  };
  return {
    greeting: `* OK [CAPABILITY ${caps}] fake IMAP ready.\r\n`,
    parse: (raw) => {
      const t = imapTokens(raw);
      return {
        raw,
        line: firstLine(raw),
        tag: t[0] ?? null,
        verb: (t[1] ?? '').toUpperCase(),
        args: t.slice(2),
      };
    },
    handle: (cmd, conn) => {
      const tag = cmd.tag ?? '*';
      const a = cmd.args;
      switch (cmd.verb) {
        case 'CAPABILITY':
          conn.send(`* CAPABILITY ${caps}\r\n${tag} OK Capability completed.\r\n`);
          break;
        case 'NOOP':
          conn.send(`${tag} OK NOOP completed.\r\n`);
          break;
        case 'ID':
          conn.send(`* ID NIL\r\n${tag} OK ID completed.\r\n`);
          break;
        case 'LOGIN':
          finishLogin(conn, tag, a[0] ?? '', a[1] ?? '');
          break;
        case 'AUTHENTICATE':
          authenticate(conn, tag, a[0] ?? '', a[1]);
          break;
        case 'SELECT':
        case 'EXAMINE':
          conn.send(
            '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n* 1 EXISTS\r\n* 0 RECENT\r\n' +
              '* OK [UIDVALIDITY 1] UIDs valid\r\n* OK [UIDNEXT 2] Predicted next UID\r\n' +
              `${tag} OK [READ-WRITE] Select completed.\r\n`,
          );
          break;
        case 'FETCH':
        case 'UID':
          conn.send(
            Buffer.concat([
              Buffer.from(`* 1 FETCH (UID 1 BODY[] {${msg.length}}\r\n`),
              msg,
              Buffer.from(`)\r\n${tag} OK Fetch completed.\r\n`),
            ]),
          );
          break;
        case 'LOGOUT':
          conn.send(`* BYE Logging out\r\n${tag} OK Logout completed.\r\n`);
          conn.close();
          break;
        default:
          conn.send(`${tag} BAD Error in IMAP command ${cmd.verb}: Unknown command.\r\n`);
      }
    },
    onDataEnd: () => undefined,
  };
}

function wordsCommand(raw: Buffer): Command {
  const line = firstLine(raw);
  const words = line.split(' ');
  return { raw, line, tag: null, verb: (words[0] ?? '').toUpperCase(), args: words.slice(1) };
}

function pop3Dialogue(o: DialogueOptions): Dialogue {
  const msg = withCrlfEnd(o.message ?? DEFAULT_MESSAGE);
  const finishLogin = (conn: DialogueConn, user: string, pass: string): void => {
    if (conn.login(user, pass)) {
      conn.send('+OK Logged in.\r\n');
      conn.afterLogin();
    } else {
      conn.send('-ERR [AUTH] Authentication failed.\r\n');
    }
  };
  const auth = (conn: DialogueConn, mech: string, ir: string | undefined): void => {
    if (mech.toUpperCase() !== 'PLAIN') {
      conn.send('-ERR Unsupported authentication mechanism.\r\n');
    } else if (ir !== undefined) {
      finishLogin(conn, ...decodePlain(ir));
    } else {
      conn.send('+ \r\n');
      conn.onNextLine((line) => {
        const text = line.toString('latin1');
        if (text === '*') conn.send('-ERR Authentication aborted.\r\n');
        else finishLogin(conn, ...decodePlain(text));
      });
    }
  };
  return {
    greeting: '+OK fake POP3 ready.\r\n',
    parse: wordsCommand,
    handle: (cmd, conn) => {
      const a = cmd.args;
      switch (cmd.verb) {
        case 'CAPA':
          conn.send('+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nUSER\r\nSASL PLAIN\r\n.\r\n');
          break;
        case 'USER':
          conn.state.user = a.join(' ');
          conn.send('+OK\r\n');
          break;
        case 'PASS':
          finishLogin(conn, typeof conn.state.user === 'string' ? conn.state.user : '', a.join(' '));
          break;
        case 'AUTH':
          auth(conn, a[0] ?? '', a[1]);
          break;
        case 'STAT':
          conn.send(`+OK 1 ${msg.length}\r\n`);
          break;
        case 'LIST':
          conn.send(a.length > 0 ? `+OK 1 ${msg.length}\r\n` : `+OK 1 messages:\r\n1 ${msg.length}\r\n.\r\n`);
          break;
        case 'UIDL':
          conn.send(a.length > 0 ? '+OK 1 fake-1\r\n' : '+OK\r\n1 fake-1\r\n.\r\n');
          break;
        case 'RETR':
        case 'TOP':
          conn.send(
            Buffer.concat([Buffer.from(`+OK ${msg.length} octets\r\n`), dotStuff(msg), Buffer.from('.\r\n')]),
          );
          break;
        case 'NOOP':
        case 'RSET':
          conn.send('+OK\r\n');
          break;
        case 'DELE':
          conn.send('+OK Marked to be deleted.\r\n');
          break;
        case 'QUIT':
          conn.send('+OK Logging out.\r\n');
          conn.close();
          break;
        default:
          conn.send('-ERR Unknown command.\r\n');
      }
    },
    onDataEnd: () => undefined,
  };
}

function smtpDialogue(o: DialogueOptions): Dialogue {
  const greeting = `220 ${HOST} ESMTP fake\r\n`;
  const keywords = o.ehloKeywords ?? [
    'PIPELINING',
    'SIZE',
    'XCLIENT NAME ADDR PROTO HELO LOGIN',
    'AUTH PLAIN LOGIN',
    '8BITMIME',
    'ENHANCEDSTATUSCODES',
  ];
  const finishLogin = (conn: DialogueConn, user: string, pass: string): void => {
    if (conn.login(user, pass)) {
      conn.send('235 2.7.0 Authentication successful\r\n');
      conn.afterLogin();
    } else {
      conn.send('535 5.7.8 Error: authentication failed: authentication failure\r\n');
    }
  };
  const b64 = (b: Buffer): string => Buffer.from(b.toString('latin1'), 'base64').toString('latin1');
  const auth = (conn: DialogueConn, mech: string, ir: string | undefined): void => {
    if (mech.toUpperCase() === 'PLAIN') {
      if (ir !== undefined) {
        finishLogin(conn, ...decodePlain(ir));
        return;
      }
      conn.send('334 \r\n');
      conn.onNextLine((line) => {
        finishLogin(conn, ...decodePlain(line.toString('latin1')));
      });
    } else if (mech.toUpperCase() === 'LOGIN') {
      conn.send('334 VXNlcm5hbWU6\r\n');
      conn.onNextLine((u) => {
        conn.send('334 UGFzc3dvcmQ6\r\n');
        conn.onNextLine((p) => {
          finishLogin(conn, b64(u), b64(p));
        });
      });
    } else {
      conn.send('535 5.7.8 Error: authentication failed: Invalid authentication mechanism\r\n');
    }
  };
  let queued = 0;
  return {
    greeting,
    parse: wordsCommand,
    handle: (cmd, conn) => {
      const a = cmd.args;
      switch (cmd.verb) {
        case 'EHLO': {
          const lines = [HOST, ...keywords];
          conn.send(lines.map((l, i) => `250${i === lines.length - 1 ? ' ' : '-'}${l}\r\n`).join(''));
          break;
        }
        case 'HELO':
          conn.send(`250 ${HOST}\r\n`);
          break;
        case 'XCLIENT':
          conn.state.xclient = a.join(' ');
          conn.send(o.xclientReply ?? greeting);
          break;
        case 'AUTH':
          auth(conn, a[0] ?? '', a[1]);
          break;
        case 'MAIL':
          conn.send('250 2.1.0 Ok\r\n');
          break;
        case 'RCPT':
          conn.send('250 2.1.5 Ok\r\n');
          break;
        case 'DATA':
          conn.send('354 End data with <CR><LF>.<CR><LF>\r\n');
          conn.readData();
          break;
        case 'RSET':
        case 'NOOP':
          conn.send('250 2.0.0 Ok\r\n');
          break;
        case 'QUIT':
          conn.send('221 2.0.0 Bye\r\n');
          conn.close();
          break;
        default:
          conn.send('502 5.5.2 Error: command not recognized\r\n');
      }
    },
    onDataEnd: (conn) => {
      queued++;
      conn.send(`250 2.0.0 Ok: queued as FAKE${queued}\r\n`);
    },
  };
}

/** The dialogue for `o.flavour`. */
export function dialogueFor(o: DialogueOptions): Dialogue {
  switch (o.flavour) {
    case 'imap':
      return imapDialogue(o);
    case 'pop3':
      return pop3Dialogue(o);
    case 'smtp':
      return smtpDialogue(o);
  }
}
