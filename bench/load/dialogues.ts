/**
 * The client side of each scenario, per protocol: what a load client says and what it expects back.
 *
 * Owns: the commands (IMAP LOGIN/SELECT/FETCH/LOGOUT, POP3 USER/PASS/STAT/RETR/QUIT, SMTP
 * EHLO/AUTH PLAIN/MAIL/RCPT/DATA/QUIT, and STARTTLS/STLS), checking each reply's status, and telling
 * the caller when the login started and ended (the latency the issue asks for). Does not own sockets
 * (client-conn.ts), loops, budgets or histograms (task.ts).
 */
import type { ConnectionOptions } from 'node:tls';
import { ClientConn, LoadError } from './client-conn.js';
import type { MailProtocol } from './job.js';

export interface Credentials {
  readonly user: string;
  readonly password: string;
}

/** Timestamps a dialogue reports, from `performance.now()`. */
export interface Marks {
  greeting: number;
  loginStart: number;
  loginEnd: number;
}

/** Thrown when a reply has the wrong status; `step` names the command. */
function badReply(step: string, line: Buffer): LoadError {
  return new LoadError(
    `reply to ${step}`,
    `${step}: ${line.toString('latin1', 0, Math.min(line.length, 200))}`,
  );
}

function startsWith(line: Buffer, prefix: Buffer): boolean {
  return line.length >= prefix.length && line.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

// ---- IMAP ---------------------------------------------------------------------------------------

const IMAP_OK = b('* OK');
const TAG_OK = (tag: string): Buffer => b(`${tag} OK`);

/** `{n}` at the end of a line, or -1. */
function literalLength(line: Buffer): number {
  if (line.length < 3 || line[line.length - 1] !== 0x7d) return -1;
  const open = line.lastIndexOf(0x7b);
  if (open < 0) return -1;
  const n = Number(line.toString('latin1', open + 1, line.length - 1));
  return Number.isInteger(n) ? n : -1;
}

/** Reads untagged lines (skipping literals) up to the tagged reply; it must be OK. */
async function imapTagged(conn: ClientConn, tag: string, ok: Buffer, step: string): Promise<void> {
  const tagged = b(`${tag} `);
  for (;;) {
    const line = await conn.line();
    if (startsWith(line, tagged)) {
      if (!startsWith(line, ok)) throw badReply(step, line);
      return;
    }
    const n = literalLength(line);
    if (n >= 0) await conn.skip(n);
  }
}

export class ImapClient {
  private readonly okA = TAG_OK('A');
  private readonly okB = TAG_OK('B');
  private readonly okC = TAG_OK('C');
  private readonly okF = TAG_OK('F');
  private readonly okS = TAG_OK('S');

  async greeting(conn: ClientConn): Promise<void> {
    const line = await conn.line();
    if (!startsWith(line, IMAP_OK)) throw badReply('greeting', line);
  }

  hello(_conn: ClientConn): Promise<void> {
    return Promise.resolve();
  }

  async starttls(conn: ClientConn, tls: ConnectionOptions): Promise<void> {
    conn.write('S STARTTLS\r\n');
    await imapTagged(conn, 'S', this.okS, 'STARTTLS');
    await conn.startTls(tls);
  }

  async login(conn: ClientConn, c: Credentials, marks: Marks): Promise<void> {
    marks.loginStart = performance.now();
    conn.write(`A LOGIN ${c.user} ${c.password}\r\n`);
    await imapTagged(conn, 'A', this.okA, 'LOGIN');
    marks.loginEnd = performance.now();
  }

  async command(conn: ClientConn): Promise<void> {
    conn.write('B SELECT INBOX\r\n');
    await imapTagged(conn, 'B', this.okB, 'SELECT');
  }

  /** Before the first transfer: a real IMAP server answers FETCH only in a selected mailbox. */
  async beforeTransfers(conn: ClientConn): Promise<void> {
    await this.command(conn);
  }

  /** One download of message 1; bytes are counted by the connection. */
  async transfer(conn: ClientConn): Promise<void> {
    conn.write('F FETCH 1 BODY.PEEK[]\r\n');
    await imapTagged(conn, 'F', this.okF, 'FETCH');
  }

  async logout(conn: ClientConn): Promise<void> {
    conn.write('C LOGOUT\r\n');
    await imapTagged(conn, 'C', this.okC, 'LOGOUT');
  }
}

// ---- POP3 ---------------------------------------------------------------------------------------

const POP3_OK = b('+OK');

async function pop3Ok(conn: ClientConn, step: string): Promise<void> {
  const line = await conn.line();
  if (!startsWith(line, POP3_OK)) throw badReply(step, line);
}

export class Pop3Client {
  async greeting(conn: ClientConn): Promise<void> {
    await pop3Ok(conn, 'greeting');
  }

  hello(_conn: ClientConn): Promise<void> {
    return Promise.resolve();
  }

  async starttls(conn: ClientConn, tls: ConnectionOptions): Promise<void> {
    conn.write('STLS\r\n');
    await pop3Ok(conn, 'STLS');
    await conn.startTls(tls);
  }

  async login(conn: ClientConn, c: Credentials, marks: Marks): Promise<void> {
    marks.loginStart = performance.now();
    conn.write(`USER ${c.user}\r\n`);
    await pop3Ok(conn, 'USER');
    conn.write(`PASS ${c.password}\r\n`);
    await pop3Ok(conn, 'PASS');
    marks.loginEnd = performance.now();
  }

  async command(conn: ClientConn): Promise<void> {
    conn.write('STAT\r\n');
    await pop3Ok(conn, 'STAT');
  }

  beforeTransfers(_conn: ClientConn): Promise<void> {
    return Promise.resolve();
  }

  async transfer(conn: ClientConn): Promise<void> {
    conn.write('RETR 1\r\n');
    await pop3Ok(conn, 'RETR');
    await conn.dotBody();
  }

  async logout(conn: ClientConn): Promise<void> {
    conn.write('QUIT\r\n');
    await pop3Ok(conn, 'QUIT');
  }
}

// ---- SMTP ---------------------------------------------------------------------------------------

/** Reads a (multi-line) reply; its code must start with `want`. */
async function smtpReply(conn: ClientConn, want: number, step: string): Promise<void> {
  for (;;) {
    const line = await conn.line();
    if (line.length >= 4 && line[3] === 0x2d) continue; // `250-...`: more lines follow
    if (line[0] !== want) throw badReply(step, line);
    return;
  }
}

const C2 = 0x32;
const C3 = 0x33;

export class SmtpClient {
  private readonly data: Buffer;

  /** `messageBytes`: the DATA payload (a message of that size plus the `.` line). */
  constructor(message: Buffer) {
    this.data = Buffer.concat([message, b('.\r\n')]);
  }

  async greeting(conn: ClientConn): Promise<void> {
    await smtpReply(conn, C2, 'greeting');
  }

  async hello(conn: ClientConn): Promise<void> {
    conn.write('EHLO bench.postern.test\r\n');
    await smtpReply(conn, C2, 'EHLO');
  }

  async starttls(conn: ClientConn, tls: ConnectionOptions): Promise<void> {
    conn.write('STARTTLS\r\n');
    await smtpReply(conn, C2, 'STARTTLS');
    await conn.startTls(tls);
    conn.write('EHLO bench.postern.test\r\n');
    await smtpReply(conn, C2, 'EHLO');
  }

  async login(conn: ClientConn, c: Credentials, marks: Marks): Promise<void> {
    marks.loginStart = performance.now();
    const plain = Buffer.from(`\0${c.user}\0${c.password}`, 'latin1').toString('base64');
    conn.write(`AUTH PLAIN ${plain}\r\n`);
    await smtpReply(conn, C2, 'AUTH');
    marks.loginEnd = performance.now();
  }

  /** One message: MAIL, RCPT, DATA, the message. */
  async command(conn: ClientConn): Promise<void> {
    conn.write('MAIL FROM:<bench@postern.test>\r\n');
    await smtpReply(conn, C2, 'MAIL');
    conn.write('RCPT TO:<bench@postern.test>\r\n');
    await smtpReply(conn, C2, 'RCPT');
    conn.write('DATA\r\n');
    await smtpReply(conn, C3, 'DATA');
    await conn.writeDrained(this.data);
    await smtpReply(conn, C2, 'end of DATA');
  }

  beforeTransfers(_conn: ClientConn): Promise<void> {
    return Promise.resolve();
  }

  async transfer(conn: ClientConn): Promise<void> {
    await this.command(conn);
  }

  async logout(conn: ClientConn): Promise<void> {
    conn.write('QUIT\r\n');
    await smtpReply(conn, C2, 'QUIT');
  }
}

export type MailClient = ImapClient | Pop3Client | SmtpClient;

export function mailClient(protocol: MailProtocol, message: Buffer): MailClient {
  switch (protocol) {
    case 'imap':
      return new ImapClient();
    case 'pop3':
      return new Pop3Client();
    case 'smtp':
      return new SmtpClient(message);
  }
}
