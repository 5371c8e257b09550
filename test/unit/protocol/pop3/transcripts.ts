/**
 * POP3 client transcripts (reference 4.2, 4.4): what the client sends and every reply byte nginx answers
 * after the greeting, with the auth request, log lines and close reason expected. Data, so the same table
 * can drive the machine tests here and a comparison against nginx's mail module.
 */
import type { Pop3SettingsInput } from '../../../../src/protocol/pop3/index.js';
import type { LineTranscript, SettingsOver } from '../../../helpers/line-transcripts.js';

export type Over = SettingsOver<Pop3SettingsInput>;

export const GREETING = '+OK POP3 ready\r\n';
export const SALT = '<1804289383.1724230000@mx.example.com>';
export const CHALLENGE = 'PDE4MDQyODkzODMuMTcyNDIzMDAwMEBteC5leGFtcGxlLmNvbT4=';
export const ERR = '-ERR invalid command\r\n';
export const CAPA = '+OK Capability list follows\r\nTOP\r\nUSER\r\nUIDL\r\nSASL PLAIN LOGIN\r\n.\r\n';

export type Transcript = LineTranscript<Over>;

export const plainAuth = (login: string, password: string): Record<string, unknown> => ({
  method: 'plain',
  login,
  password,
  salt: null,
  smtpHelo: null,
  smtpFrom: null,
  smtpTo: null,
  upstream: { protocol: 'pop3' },
});

export const TRANSCRIPTS: readonly Transcript[] = [
  // CAPA and AUTH listings (reference 4.2)
  { name: 'CAPA lists the default capabilities and the SASL line', input: 'CAPA\r\n', out: CAPA },
  {
    name: 'CAPA with starttls on adds STLS before the dot',
    over: { starttls: 'on' },
    input: 'CAPA\r\n',
    out: '+OK Capability list follows\r\nTOP\r\nUSER\r\nUIDL\r\nSASL PLAIN LOGIN\r\nSTLS\r\n.\r\n',
  },
  {
    name: 'CAPA with starttls only drops USER and SASL and lists STLS',
    over: { starttls: 'only' },
    input: 'CAPA\r\n',
    out: '+OK Capability list follows\r\nTOP\r\nUIDL\r\nSTLS\r\n.\r\n',
  },
  { name: 'CAPA on a TLS connection is the normal list', over: { starttls: 'on' }, tls: true, input: 'CAPA\r\n', out: CAPA },
  {
    name: 'CAPA in the user state never lists STLS (Q-12)',
    over: { starttls: 'on' },
    input: 'USER a\r\nCAPA\r\n',
    out: `+OK\r\n${CAPA}`,
  },
  {
    name: 'CAPA lists configured capabilities and every enabled mechanism in nginx order',
    over: { capabilities: ['TOP', 'PIPELINING'], auth: { cramMd5: true, external: true, apop: true } },
    input: 'CAPA\r\n',
    out: '+OK Capability list follows\r\nTOP\r\nPIPELINING\r\nSASL PLAIN LOGIN CRAM-MD5 EXTERNAL\r\n.\r\n',
  },
  {
    name: 'CAPA keeps a bare SASL line when only apop is enabled',
    over: { auth: { plain: false, apop: true } },
    input: 'CAPA\r\n',
    out: '+OK Capability list follows\r\nTOP\r\nUSER\r\nUIDL\r\nSASL\r\n.\r\n',
  },
  { name: 'AUTH without arguments lists the mechanisms', input: 'AUTH\r\n', out: '+OK methods supported:\r\nPLAIN\r\nLOGIN\r\n.\r\n' },
  {
    name: 'AUTH without arguments lists nothing when only apop is enabled',
    over: { auth: { plain: false, apop: true } },
    input: 'AUTH\r\n',
    out: '+OK methods supported:\r\n.\r\n',
  },
  { name: 'NOOP answers +OK', input: 'NOOP\r\n', out: '+OK\r\n' },
  { name: 'verbs are case-insensitive and bare LF ends a line', input: 'noop\ncApA\n', out: `+OK\r\n${CAPA}` },
  { name: 'QUIT answers +OK and closes', input: 'QUIT\r\nNOOP\r\n', out: '+OK\r\n', close: 'quit' },
  { name: 'QUIT with arguments still quits', input: 'quit now please\r\n', out: '+OK\r\n', close: 'quit' },

  // USER / PASS
  { name: 'USER then PASS asks the auth service', input: 'USER alice\r\nPASS secret\r\n', out: '+OK\r\n', auth: plainAuth('alice', 'secret') },
  {
    name: 'USER and PASS keep inner and trailing spaces, leading ones are skipped',
    input: 'USER  a b \r\nPASS  p w \r\n',
    out: '+OK\r\n',
    auth: plainAuth('a b ', 'p w '),
  },
  { name: 'USER without a name is refused', input: 'USER\r\nUSER \r\n', out: ERR + ERR, auth: null },
  { name: 'PASS before USER is refused', input: 'PASS secret\r\n', out: ERR, auth: null },
  {
    name: 'a second USER in the user state is refused and returns to the start state',
    input: 'USER a\r\nUSER b\r\nPASS x\r\n',
    out: `+OK\r\n${ERR}${ERR}`,
    auth: null,
  },
  { name: 'NOOP keeps the user state', input: 'USER a\r\nNOOP\r\nPASS x\r\n', out: '+OK\r\n+OK\r\n', auth: plainAuth('a', 'x') },
  {
    name: 'STLS, AUTH and APOP in the user state are refused',
    over: { starttls: 'on', auth: { apop: true } },
    input: 'USER a\r\nSTLS\r\nUSER a\r\nAUTH\r\nUSER a\r\nAPOP a b\r\n',
    out: `+OK\r\n${ERR}+OK\r\n${ERR}+OK\r\n${ERR}`,
    auth: null,
  },
  { name: 'QUIT in the user state closes', input: 'USER a\r\nQUIT\r\n', out: '+OK\r\n+OK\r\n', close: 'quit' },

  // starttls only
  {
    name: 'starttls only refuses USER, APOP and AUTH (even without arguments) before TLS',
    over: { starttls: 'only', auth: { apop: true } },
    input: 'USER a\r\nAPOP a b\r\nAUTH\r\nAUTH PLAIN AGEAYg==\r\nNOOP\r\n',
    out: `${ERR}${ERR}${ERR}${ERR}+OK\r\n`,
    auth: null,
    close: null,
  },
  {
    name: 'starttls only allows USER once the connection is TLS',
    over: { starttls: 'only' },
    tls: true,
    input: 'USER a\r\nPASS b\r\n',
    out: '+OK\r\n',
    auth: plainAuth('a', 'b'),
  },

  // APOP
  {
    name: 'APOP asks the auth service with the greeting salt',
    over: { auth: { apop: true } },
    input: 'APOP alice 0123456789abcdef0123456789abcdef\r\n',
    out: '',
    auth: {
      method: 'apop',
      login: 'alice',
      password: '0123456789abcdef0123456789abcdef',
      salt: `${SALT}\r\n`,
      smtpHelo: null,
      smtpFrom: null,
      smtpTo: null,
      upstream: { protocol: 'pop3' },
    },
  },
  { name: 'APOP is refused when apop is not enabled', input: 'APOP alice digest\r\n', out: ERR, auth: null },
  { name: 'APOP needs exactly two arguments', over: { auth: { apop: true } }, input: 'APOP alice\r\nAPOP a b c\r\n', out: ERR + ERR },

  // AUTH (reference 4.4)
  { name: 'AUTH PLAIN sends an empty continuation, then decodes the line', input: 'AUTH PLAIN\r\nAGFsaWNlAHNlY3JldA==\r\n', out: '+ \r\n', auth: plainAuth('alice', 'secret') },
  { name: 'AUTH PLAIN takes an initial response', input: 'auth plain AGFsaWNlAHNlY3JldA==\r\n', out: '', auth: plainAuth('alice', 'secret') },
  {
    name: 'AUTH PLAIN uses only the first token of a continuation line',
    input: 'AUTH PLAIN\r\nAGFsaWNlAHNlY3JldA== trailing junk\r\n',
    out: '+ \r\n',
    auth: plainAuth('alice', 'secret'),
  },
  {
    name: 'AUTH PLAIN cancelled with * is invalid base64 and ends the exchange',
    input: 'AUTH PLAIN\r\n*\r\nNOOP\r\n',
    out: `+ \r\n${ERR}+OK\r\n`,
    logs: ['info: client sent invalid base64 encoding in AUTH PLAIN command'],
    auth: null,
  },
  {
    name: 'AUTH PLAIN without NULs logs the invalid login',
    input: 'AUTH PLAIN YWxpY2U=\r\n',
    out: ERR,
    logs: ['info: client sent invalid login in AUTH PLAIN command'],
  },
  {
    name: 'AUTH PLAIN without a password NUL logs the invalid password',
    input: 'AUTH PLAIN AGFsaWNl\r\n',
    out: ERR,
    logs: ['info: client sent invalid password in AUTH PLAIN command'],
  },
  {
    name: 'AUTH LOGIN prompts for the user name and the password',
    input: 'AUTH LOGIN\r\nYWxpY2U=\r\nc2VjcmV0\r\n',
    out: '+ VXNlcm5hbWU6\r\n+ UGFzc3dvcmQ6\r\n',
    auth: plainAuth('alice', 'secret'),
  },
  {
    name: 'AUTH LOGIN with a user name skips to the password prompt',
    input: 'AUTH LOGIN YWxpY2U=\r\nc2VjcmV0\r\n',
    out: '+ UGFzc3dvcmQ6\r\n',
    auth: plainAuth('alice', 'secret'),
  },
  {
    name: 'AUTH LOGIN accepts empty lines as empty user name and password',
    input: 'AUTH LOGIN\r\n\r\n\r\n',
    out: '+ VXNlcm5hbWU6\r\n+ UGFzc3dvcmQ6\r\n',
    auth: plainAuth('', ''),
  },
  {
    name: 'AUTH LOGIN with bad base64 is refused and the state returns to start',
    input: 'AUTH LOGIN\r\n!!!!\r\nNOOP\r\n',
    out: `+ VXNlcm5hbWU6\r\n${ERR}+OK\r\n`,
    logs: ['info: client sent invalid base64 encoding in AUTH LOGIN command'],
    auth: null,
  },
  { name: 'AUTH LOGIN with two initial arguments is refused', input: 'AUTH LOGIN a b\r\n', out: ERR },
  {
    name: 'AUTH CRAM-MD5 sends the greeting salt as challenge and asks the auth service',
    over: { auth: { cramMd5: true } },
    input: 'AUTH CRAM-MD5\r\nYWxpY2UgMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\r\n',
    out: `+ ${CHALLENGE}\r\n`,
    auth: {
      method: 'cram-md5',
      login: 'alice',
      password: '0123456789abcdef0123456789abcdef',
      salt: `${SALT}\r\n`,
      smtpHelo: null,
      smtpFrom: null,
      smtpTo: null,
      upstream: { protocol: 'pop3' },
    },
  },
  {
    name: 'AUTH CRAM-MD5 with a short digest logs the invalid hash',
    over: { auth: { cramMd5: true } },
    input: 'AUTH CRAM-MD5\r\nYWxpY2UgMDEy\r\n',
    out: `+ ${CHALLENGE}\r\n${ERR}`,
    logs: ['info: client sent invalid CRAM-MD5 hash in AUTH CRAM-MD5 command'],
  },
  { name: 'AUTH CRAM-MD5 is refused when not enabled', input: 'AUTH CRAM-MD5\r\n', out: ERR },
  { name: 'AUTH CRAM-MD5 with an initial response is refused', over: { auth: { cramMd5: true } }, input: 'AUTH CRAM-MD5 eA==\r\n', out: ERR },
  {
    name: 'AUTH EXTERNAL prompts for the identity and accepts an empty one',
    over: { auth: { external: true } },
    input: 'AUTH EXTERNAL\r\n=\r\n',
    out: '+ VXNlcm5hbWU6\r\n',
    auth: { method: 'external', login: '', password: '', salt: null, smtpHelo: null, smtpFrom: null, smtpTo: null, upstream: { protocol: 'pop3' } },
  },
  {
    name: 'AUTH EXTERNAL with an initial response when enabled asks the auth service',
    over: { auth: { external: true } },
    input: 'AUTH EXTERNAL YWxpY2U=\r\n',
    out: '',
    auth: { method: 'external', login: 'alice', password: '', salt: null, smtpHelo: null, smtpFrom: null, smtpTo: null, upstream: { protocol: 'pop3' } },
  },
  { name: 'AUTH EXTERNAL is refused when not enabled', input: 'AUTH EXTERNAL\r\n', out: ERR, auth: null },
  { name: 'AUTH EXTERNAL with an initial response is refused when not enabled (Q-4 fixed)', input: 'AUTH EXTERNAL YWxpY2U=\r\n', out: ERR, auth: null },
  { name: 'AUTH with an unknown mechanism is refused', input: 'AUTH XOAUTH9\r\nAUTH PLAIN a b\r\n', out: ERR + ERR },
  {
    name: 'a SASL line that is not CRLF-terminated properly is a counted parse error',
    over: { maxErrors: 1 },
    input: 'AUTH PLAIN\r\nabc\rdef\r\n',
    out: `+ \r\n${ERR}`,
    logs: ['info: client sent too many invalid commands'],
    close: 'tooManyErrors',
  },

  // CR, LF and NUL never reach the auth service or the backend
  {
    name: 'a decoded login with CR LF is refused before the auth service (Q-15)',
    input: 'AUTH LOGIN YWxpY2UNClFVSVQ=\r\nc2VjcmV0\r\n',
    out: `+ UGFzc3dvcmQ6\r\n${ERR}`,
    logs: ['info: client sent login or password with CR, LF or NUL'],
    auth: null,
  },
  {
    name: 'a PLAIN login with LF is refused (Q-15)',
    input: 'AUTH PLAIN AGEKYgBw\r\n',
    out: ERR,
    logs: ['info: client sent login or password with CR, LF or NUL'],
    auth: null,
  },
  {
    name: 'a PLAIN password with NUL is refused (Q-15)',
    input: 'AUTH PLAIN AGJvYgBwAHc=\r\n',
    out: ERR,
    logs: ['info: client sent login or password with CR, LF or NUL'],
    auth: null,
  },
  {
    name: 'a USER name with NUL is refused (Q-15)',
    input: 'USER a\u0000b\r\n',
    out: ERR,
    logs: ['info: client sent login or password with CR, LF or NUL'],
  },
  { name: 'a PASS with NUL is refused (Q-15)', input: 'USER a\r\nPASS p\u0000w\r\n', out: `+OK\r\n${ERR}`, auth: null },

  // Parse errors and max_errors (reference 4.0.4)
  {
    name: 'unknown verbs count toward max_errors and the fifth closes',
    input: 'STAT\r\nLIST\r\nRETR 1\r\nDELE 1\r\nTOP 1 1\r\nNOOP\r\n',
    out: ERR.repeat(5),
    logs: ['info: client sent too many invalid commands'],
    close: 'tooManyErrors',
  },
  {
    name: 'handler rejections do not count toward max_errors',
    input: 'PASS a\r\nPASS a\r\nPASS a\r\nPASS a\r\nPASS a\r\nPASS a\r\nNOOP\r\n',
    out: `${ERR.repeat(6)}+OK\r\n`,
    close: null,
  },
  { name: 'max_errors 1 closes on the first parse error', over: { maxErrors: 1 }, input: 'XYZ\r\n', out: ERR, close: 'tooManyErrors' },
  {
    name: 'an empty line, a leading space, a five-letter verb and a stray CR are parse errors',
    input: '\r\n NOOP\r\nNOOPS\r\nNO1P\r\nNOOP\rX\r\n',
    out: ERR.repeat(5),
    close: 'tooManyErrors',
  },
  {
    name: 'a fourth argument is a parse error',
    input: 'CAPA a b c\r\nCAPA a b c d\r\n',
    out: `${CAPA}${ERR}`,
    close: null,
  },

  // Line length (reference 4.0.3) and the configurable buffer
  {
    name: 'a command longer than the 128-byte buffer is refused and the session closes',
    input: `USER ${'a'.repeat(130)}\r\n`,
    out: ERR,
    logs: [`info: client sent too long command "USER ${'a'.repeat(123)}"`],
    close: 'tooLong',
  },
  {
    name: 'a too long PASS is logged without the password',
    input: `USER a\r\nPASS ${'p'.repeat(130)}\r\n`,
    out: `+OK\r\n${ERR}`,
    logs: ['info: client sent too long command "PASS ***"'],
    close: 'tooLong',
  },
  {
    name: 'a too long SASL line is logged masked',
    input: `AUTH PLAIN\r\n${'A'.repeat(200)}\r\n`,
    out: `+ \r\n${ERR}`,
    logs: ['info: client sent too long command "***"'],
    close: 'tooLong',
  },
  {
    name: 'a larger client buffer accepts long user names and tokens',
    over: { clientBufferBytes: 1024 },
    input: `USER ${'a'.repeat(300)}\r\nPASS ${'p'.repeat(600)}\r\n`,
    out: '+OK\r\n',
    auth: plainAuth('a'.repeat(300), 'p'.repeat(600)),
  },
  {
    name: 'pipelined commands that together exceed the buffer are fine (Q-9 fixed)',
    input: `NOOP\r\nUSER ${'a'.repeat(118)}\r\n`,
    out: '+OK\r\n+OK\r\n',
    close: null,
  },

  // Pipelining: one command per feed, the rest left buffered while the auth request is out
  {
    name: 'pipelined commands get ordered replies and input after PASS stays buffered',
    input: 'CAPA\r\nNOOP\r\nUSER a\r\nPASS b\r\nSTAT\r\nLIST\r\n',
    out: `${CAPA}+OK\r\n+OK\r\n`,
    auth: plainAuth('a', 'b'),
    buffered: 'STAT\r\nLIST\r\n',
  },
];
