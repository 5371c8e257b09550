/**
 * SMTP client transcripts (reference 4.3, 4.4): what the client sends and every reply byte nginx answers
 * after the greeting, with the auth request, log lines and close reason expected. Data, so the same table
 * can drive the machine tests here and a comparison against nginx's mail module.
 */
import type { SmtpSettingsInput } from '../../../../src/protocol/smtp/index.js';
import type { LineTranscript, SettingsOver } from '../../../helpers/line-transcripts.js';

export type Over = SettingsOver<SmtpSettingsInput>;

export const GREETING = '220 mx.example.com ESMTP ready\r\n';
export const OK = '250 2.0.0 OK\r\n';
export const INVALID = '500 5.5.1 Invalid command\r\n';
export const BAD_ARG = '501 5.5.4 Invalid argument\r\n';
export const BAD_SEQ = '503 5.5.1 Bad sequence of commands\r\n';
export const EHLO = '250-mx.example.com\r\n250 AUTH PLAIN LOGIN\r\n';
export const SALT = '<1804289383.1724230000@mx.example.com>';
export const CHALLENGE = 'PDE4MDQyODkzODMuMTcyNDIzMDAwMEBteC5leGFtcGxlLmNvbT4=';

export type Transcript = LineTranscript<Over>;

const ctx = (helo = '', esmtp = false, mailFrom: string | null = null, rcptTo: string | null = null): Record<string, unknown> => ({
  protocol: 'smtp',
  helo,
  esmtp,
  mailFrom,
  rcptTo,
});

export const saslAuth = (
  method: string,
  login: string,
  password: string,
  upstream: Record<string, unknown> = ctx(),
  salt: string | null = null,
): Record<string, unknown> => ({
  method,
  login,
  password,
  salt,
  smtpHelo: null,
  smtpFrom: null,
  smtpTo: null,
  upstream,
});

export const noneAuth = (helo: string, from: string, to: string, esmtp = true): Record<string, unknown> => ({
  method: 'none',
  login: '',
  password: '',
  salt: null,
  smtpHelo: helo,
  smtpFrom: from,
  smtpTo: to,
  upstream: ctx(helo, esmtp, from, to),
});

const NONE = { auth: { plain: false, login: false, none: true } } as const;

export const TRANSCRIPTS: readonly Transcript[] = [
  // EHLO / HELO (reference 4.3.3)
  { name: 'EHLO lists the server name and the AUTH line', input: 'EHLO client.example\r\n', out: EHLO },
  {
    name: 'EHLO with starttls on ends with 250 STARTTLS',
    over: { starttls: 'on' },
    input: 'EHLO c\r\n',
    out: '250-mx.example.com\r\n250-AUTH PLAIN LOGIN\r\n250 STARTTLS\r\n',
  },
  {
    name: 'EHLO with starttls only drops the AUTH line',
    over: { starttls: 'only' },
    input: 'EHLO c\r\n',
    out: '250-mx.example.com\r\n250 STARTTLS\r\n',
  },
  { name: 'EHLO on a TLS connection is the normal list', over: { starttls: 'on' }, tls: true, input: 'EHLO c\r\n', out: EHLO },
  {
    name: 'EHLO carries capabilities verbatim and no AUTH line when only none is enabled',
    over: { ...NONE, capabilities: ['SIZE 10485760', '8BITMIME'] },
    input: 'EHLO c\r\n',
    out: '250-mx.example.com\r\n250-SIZE 10485760\r\n250 8BITMIME\r\n',
  },
  {
    name: 'EHLO is a single line with only none and no capabilities',
    over: NONE,
    input: 'EHLO c\r\n',
    out: '250 mx.example.com\r\n',
  },
  {
    name: 'EHLO with starttls only and capabilities keeps them before STARTTLS',
    over: { ...NONE, capabilities: ['PIPELINING'], starttls: 'only' },
    input: 'EHLO c\r\n',
    out: '250-mx.example.com\r\n250-PIPELINING\r\n250 STARTTLS\r\n',
  },
  {
    name: 'EHLO lists every enabled mechanism in nginx order',
    over: { auth: { cramMd5: true, external: true, none: true } },
    input: 'ehlo c\r\n',
    out: '250-mx.example.com\r\n250 AUTH PLAIN LOGIN CRAM-MD5 EXTERNAL\r\n',
  },
  { name: 'HELO answers 250 and the server name', input: 'HELO c\r\n', out: '250 mx.example.com\r\n' },
  { name: 'HELO and EHLO need exactly one argument', input: 'EHLO\r\nHELO a b\r\nEHLO  \r\n', out: BAD_ARG.repeat(3), close: null },
  { name: 'NOOP and RSET answer 250 2.0.0 OK, with or without arguments', input: 'NOOP\r\nRSET x\r\nnoop y\n', out: OK.repeat(3) },
  { name: 'QUIT answers 221 and closes', input: 'QUIT\r\nNOOP\r\n', out: '221 2.0.0 Bye\r\n', close: 'quit' },

  // Refusals and max_errors (reference 4.0.4)
  {
    name: 'VRFY, EXPN and HELP are refused without counting',
    input: 'VRFY a\r\nEXPN b\r\nHELP\r\nVRFY a\r\nEXPN b\r\nHELP\r\nNOOP\r\n',
    out: `${INVALID.repeat(6)}${OK}`,
    close: null,
  },
  {
    name: 'DATA, XCLIENT and unknown verbs count toward max_errors',
    input: 'DATA\r\nXCLIENT ADDR=1.2.3.4\r\nBDAT 1\r\nSTARTTLSX\r\nFOO\r\nNOOP\r\n',
    out: INVALID.repeat(5),
    logs: ['info: client sent too many invalid commands'],
    close: 'tooManyErrors',
  },
  {
    name: 'a twelfth argument is a parse error',
    input: 'NOOP 1 2 3 4 5 6 7 8 9 10 11\r\nNOOP 1 2 3 4 5 6 7 8 9 10 11 12\r\n',
    out: `${OK}${INVALID}`,
    close: null,
  },
  {
    name: 'an empty line, a leading space and a stray CR are parse errors',
    over: { maxErrors: 3 },
    input: '\r\n NOOP\r\nNOOP\rx\r\n',
    out: INVALID.repeat(3),
    close: 'tooManyErrors',
  },
  { name: 'STARTTLS with starttls off is refused without counting', over: { maxErrors: 1 }, input: 'STARTTLS\r\nNOOP\r\n', out: `${INVALID}${OK}` },

  // AUTH (reference 4.4)
  { name: 'AUTH without arguments is an invalid argument', input: 'AUTH\r\n', out: BAD_ARG },
  {
    name: 'AUTH PLAIN sends 334 and decodes the next line',
    input: 'AUTH PLAIN\r\nAGFsaWNlAHNlY3JldA==\r\n',
    out: '334 \r\n',
    auth: saslAuth('plain', 'alice', 'secret'),
  },
  { name: 'AUTH PLAIN takes an initial response', input: 'AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n', out: '', auth: saslAuth('plain', 'alice', 'secret') },
  {
    name: 'AUTH PLAIN is accepted when only none is enabled',
    over: NONE,
    input: 'AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n',
    out: '',
    auth: saslAuth('plain', 'alice', 'secret'),
  },
  {
    name: 'AUTH LOGIN prompts for user name and password',
    input: 'EHLO c.example\r\nAUTH LOGIN\r\nYWxpY2U=\r\nc2VjcmV0\r\n',
    out: `${EHLO}334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n`,
    auth: saslAuth('plain', 'alice', 'secret', ctx('c.example', true)),
  },
  {
    name: 'AUTH LOGIN with a user name skips to the password prompt',
    input: 'HELO c\r\nAUTH LOGIN YWxpY2U=\r\nc2VjcmV0\r\n',
    out: '250 mx.example.com\r\n334 UGFzc3dvcmQ6\r\n',
    auth: saslAuth('plain', 'alice', 'secret', ctx('c', false)),
  },
  {
    name: 'AUTH LOGIN cancelled with * ends the exchange with a log line',
    input: 'AUTH LOGIN\r\n*\r\nNOOP\r\n',
    out: `334 VXNlcm5hbWU6\r\n${INVALID}${OK}`,
    logs: ['info: client sent invalid base64 encoding in AUTH LOGIN command'],
    auth: null,
  },
  {
    name: 'AUTH CRAM-MD5 challenges with the salt and asks the auth service',
    over: { auth: { cramMd5: true } },
    input: 'AUTH CRAM-MD5\r\nYWxpY2UgMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\r\n',
    out: `334 ${CHALLENGE}\r\n`,
    auth: saslAuth('cram-md5', 'alice', '0123456789abcdef0123456789abcdef', ctx(), `${SALT}\r\n`),
  },
  { name: 'AUTH CRAM-MD5 is refused when not enabled', input: 'AUTH CRAM-MD5\r\n', out: INVALID, auth: null },
  {
    name: 'AUTH EXTERNAL prompts for the identity',
    over: { auth: { external: true } },
    input: 'AUTH EXTERNAL\r\nYWxpY2U=\r\n',
    out: '334 VXNlcm5hbWU6\r\n',
    auth: saslAuth('external', 'alice', ''),
  },
  { name: 'AUTH EXTERNAL is refused when not enabled', input: 'AUTH EXTERNAL\r\n', out: INVALID },
  { name: 'AUTH EXTERNAL with an initial response is refused when not enabled (Q-4 fixed)', input: 'AUTH EXTERNAL YWxpY2U=\r\n', out: INVALID, auth: null },
  {
    name: 'AUTH with an unknown mechanism or extra arguments is refused without counting',
    over: { maxErrors: 1 },
    input: 'AUTH GSSAPI\r\nAUTH PLAIN a b\r\nAUTH LOGIN a b\r\nNOOP\r\n',
    out: `${INVALID.repeat(3)}${OK}`,
    close: null,
  },
  {
    name: 'AUTH PLAIN with bad base64 logs and returns to the start state',
    input: 'AUTH PLAIN\r\n%%%%\r\nNOOP\r\n',
    out: `334 \r\n${INVALID}${OK}`,
    logs: ['info: client sent invalid base64 encoding in AUTH PLAIN command'],
  },
  {
    name: 'starttls only refuses AUTH before TLS',
    over: { starttls: 'only' },
    input: 'AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\nAUTH\r\nNOOP\r\n',
    out: `${INVALID}${INVALID}${OK}`,
    auth: null,
  },

  // MAIL and RCPT (reference 4.3.3)
  {
    name: 'MAIL without smtp_auth none is refused with the buffered input logged',
    input: 'MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n',
    out: `530 5.7.1 Authentication required\r\n${BAD_SEQ}`,
    logs: ['info: client was rejected: "MAIL FROM:<a@b>__RCPT TO:<c@d>__"'],
    close: null,
  },
  {
    name: 'the rejected-input log stops at an AUTH line',
    input: 'MAIL FROM:<a@b>\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n',
    out: '530 5.7.1 Authentication required\r\n',
    logs: ['info: client was rejected: "MAIL FROM:<a@b>__AUTH ***"'],
    auth: saslAuth('plain', 'alice', 'secret'),
  },
  {
    name: 'smtp_auth none: MAIL is stored and RCPT asks the auth service with helo, from and to',
    over: NONE,
    input: 'EHLO  c.example\r\nMAIL FROM:<a@b>  SIZE=100   \r\nRCPT  TO:<c@d> NOTIFY=NEVER \r\n',
    out: `250 mx.example.com\r\n${OK}`,
    auth: noneAuth('c.example', 'MAIL FROM:<a@b>  SIZE=100', 'RCPT  TO:<c@d> NOTIFY=NEVER'),
  },
  {
    name: 'smtp_auth none without HELO sends an empty helo',
    over: NONE,
    input: 'mail from:<a@b>\r\nrcpt to:<c@d>\r\n',
    out: OK,
    auth: noneAuth('', 'mail from:<a@b>', 'rcpt to:<c@d>', false),
  },
  {
    name: 'smtp_auth none: a second MAIL is a bad sequence and arguments are required',
    over: NONE,
    input: 'MAIL\r\nRCPT TO:<c@d>\r\nMAIL FROM:<a@b>\r\nMAIL FROM:<x@y>\r\nRCPT\r\n',
    out: `${BAD_ARG}${BAD_SEQ}${OK}${BAD_SEQ}${BAD_ARG}`,
    auth: null,
  },
  {
    name: 'smtp_auth none: RSET and HELO forget the MAIL',
    over: NONE,
    input: 'MAIL FROM:<a@b>\r\nRSET\r\nRCPT TO:<c@d>\r\nMAIL FROM:<a@b>\r\nHELO c\r\nRCPT TO:<c@d>\r\n',
    out: `${OK}${OK}${BAD_SEQ}${OK}250 mx.example.com\r\n${BAD_SEQ}`,
    auth: null,
  },
  {
    name: 'HELO after EHLO keeps the EHLO flag, as nginx does',
    over: NONE,
    input: 'EHLO a\r\nHELO b\r\nMAIL FROM:<>\r\nRCPT TO:<c@d>\r\n',
    out: `250 mx.example.com\r\n250 mx.example.com\r\n${OK}`,
    auth: noneAuth('b', 'MAIL FROM:<>', 'RCPT TO:<c@d>', true),
  },
  {
    name: 'starttls only refuses MAIL under smtp_auth none before TLS (Q-13 fixed)',
    over: { ...NONE, starttls: 'only' },
    input: 'EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n',
    out: `250-mx.example.com\r\n250 STARTTLS\r\n530 5.7.0 Must issue a STARTTLS command first\r\n${BAD_SEQ}`,
    auth: null,
  },
  {
    name: 'starttls only allows MAIL under smtp_auth none on a TLS connection',
    over: { ...NONE, starttls: 'only' },
    tls: true,
    input: 'MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n',
    out: OK,
    auth: noneAuth('', 'MAIL FROM:<a@b>', 'RCPT TO:<c@d>', false),
  },

  // Line length and the client buffer
  {
    name: 'a command longer than smtp_client_buffer is refused and the session closes',
    over: { clientBufferBytes: 64 },
    input: `EHLO ${'h'.repeat(70)}\r\n`,
    out: INVALID,
    logs: [`info: client sent too long command "EHLO ${'h'.repeat(59)}"`],
    close: 'tooLong',
  },
  {
    name: 'a too long AUTH line is logged without its arguments',
    over: { clientBufferBytes: 64 },
    input: `AUTH PLAIN ${'A'.repeat(70)}\r\n`,
    out: INVALID,
    logs: ['info: client sent too long command "AUTH ***"'],
    close: 'tooLong',
  },
  {
    name: 'pipelined commands that together exceed the buffer are fine (Q-9 fixed)',
    over: { clientBufferBytes: 64 },
    input: `NOOP\r\nHELO ${'h'.repeat(50)}\r\nNOOP\r\n`,
    out: `${OK}250 mx.example.com\r\n${OK}`,
  },

  // Pipelining (RFC 2920): ordered replies, input after the auth trigger stays buffered
  {
    name: 'pipelined commands get ordered replies and the DATA after RCPT stays buffered',
    over: NONE,
    input: 'EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nSubject: x\r\n',
    out: `250 mx.example.com\r\n${OK}`,
    auth: noneAuth('c', 'MAIL FROM:<a@b>', 'RCPT TO:<c@d>'),
    buffered: 'DATA\r\nSubject: x\r\n',
  },
];
