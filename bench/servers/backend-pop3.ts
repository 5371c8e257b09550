/**
 * The fake POP3 backend's dialogue: any USER/PASS succeeds, the maildrop holds one message, RETR
 * serves it. Does not own framing (backend-conn.ts).
 */
import type { BackendConn, DialogueSession } from './backend-conn.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

export const POP3_GREETING = b('+OK fake backend ready\r\n');
const OK = b('+OK\r\n');
const LOGGED_IN = b('+OK Logged in.\r\n');
const BYE = b('+OK Logging out.\r\n');
const CAPA = b('+OK\r\nTOP\r\nUIDL\r\nUSER\r\nPIPELINING\r\n.\r\n');
const DOT = b('.\r\n');

/** The verb of a POP3 line, upper-cased, as 4 ASCII codes packed in a number (all verbs are 4 long). */
function verbCode(line: Buffer): number {
  if (line.length < 4) return 0;
  return ((line[0]! & 0xdf) << 24) | ((line[1]! & 0xdf) << 16) | ((line[2]! & 0xdf) << 8) | (line[3]! & 0xdf);
}

const code = (s: string): number => verbCode(b(s));
const USER = code('USER');
const PASS = code('PASS');
const STAT = code('STAT');
const LIST = code('LIST');
const UIDL = code('UIDL');
const RETR = code('RETR');
const QUIT = code('QUIT');
const CAPA_V = code('CAPA');

/** Builds the POP3 dialogue for a connection, serving `message` for RETR. */
export function pop3Dialogue(message: Buffer): (conn: BackendConn) => DialogueSession {
  const stat = b(`+OK 1 ${message.length}\r\n`);
  const list = b(`+OK 1 messages:\r\n1 ${message.length}\r\n.\r\n`);
  const uidl = b('+OK\r\n1 bench-1\r\n.\r\n');
  const retr = b(`+OK ${message.length} octets\r\n`);
  return (conn) => {
    conn.write(POP3_GREETING);
    return {
      line(line: Buffer): void {
        const v = verbCode(line);
        if (v === USER) conn.write(OK);
        else if (v === PASS) conn.write(LOGGED_IN);
        else if (v === STAT) conn.write(stat);
        else if (v === LIST) conn.write(list);
        else if (v === UIDL) conn.write(uidl);
        else if (v === RETR) {
          conn.socket.cork();
          conn.write(retr);
          conn.write(message);
          conn.write(DOT);
          conn.socket.uncork();
        } else if (v === QUIT) conn.end(BYE);
        else if (v === CAPA_V) conn.write(CAPA);
        else conn.write(OK);
      },
    };
  };
}
