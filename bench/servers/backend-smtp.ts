/**
 * The fake SMTP backend's dialogue: EHLO advertises XCLIENT, XCLIENT answers with a new greeting (as
 * Postfix does), AUTH succeeds, MAIL/RCPT are accepted and DATA is read to CRLF.CRLF and dropped.
 * Does not own framing (backend-conn.ts).
 */
import type { BackendConn, DialogueSession } from './backend-conn.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

export const SMTP_GREETING = b('220 fake.postern.test ESMTP\r\n');
const EHLO = b(
  '250-fake.postern.test\r\n250-PIPELINING\r\n250-SIZE 1073741824\r\n250-8BITMIME\r\n' +
    '250-XCLIENT ADDR LOGIN NAME PROTO HELO\r\n250 AUTH PLAIN LOGIN\r\n',
);
const HELO = b('250 fake.postern.test\r\n');
const MAIL = b('250 2.1.0 Ok\r\n');
const RCPT = b('250 2.1.5 Ok\r\n');
const DATA = b('354 End data with <CR><LF>.<CR><LF>\r\n');
const QUEUED = b('250 2.0.0 Ok: queued as BENCH\r\n');
const OK = b('250 2.0.0 Ok\r\n');
const AUTH_OK = b('235 2.7.0 Authentication successful\r\n');
const BYE = b('221 2.0.0 Bye\r\n');

function upper4(line: Buffer): string {
  return line.toString('latin1', 0, Math.min(4, line.length)).toUpperCase();
}

/** Builds the SMTP dialogue for a connection. */
export function smtpDialogue(): (conn: BackendConn) => DialogueSession {
  return (conn) => {
    conn.write(SMTP_GREETING);
    return {
      line(line: Buffer): void {
        switch (upper4(line)) {
          case 'EHLO':
            conn.write(EHLO);
            return;
          case 'HELO':
            conn.write(HELO);
            return;
          case 'XCLI':
            conn.write(SMTP_GREETING);
            return;
          case 'MAIL':
            conn.write(MAIL);
            return;
          case 'RCPT':
            conn.write(RCPT);
            return;
          case 'DATA':
            conn.write(DATA);
            conn.enterData();
            return;
          case 'AUTH':
            conn.write(AUTH_OK);
            return;
          case 'QUIT':
            conn.end(BYE);
            return;
          default:
            conn.write(OK);
        }
      },
      dataEnd(): void {
        conn.write(QUEUED);
      },
    };
  };
}
