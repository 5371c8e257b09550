/**
 * POP3 reply bytes nginx sends on its own (ngx_mail_pop3_handler.c, ngx_mail_pop3_module.c).
 *
 * Owns: the fixed replies, as Buffers built once. Does not own the configuration-dependent ones (CAPA
 * variants, the AUTH listing, the greeting with its salt): `settings.ts` and `machine.ts` build those.
 */

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

export const POP3_REPLY = {
  greeting: b('+OK POP3 ready\r\n'),
  /** the greeting without its CRLF and with the space that precedes the APOP/CRAM-MD5 salt */
  greetingSaltPrefix: b('+OK POP3 ready '),
  ok: b('+OK\r\n'),
  /** PLAIN without an initial response: an empty continuation */
  next: b('+ \r\n'),
  /** base64("Username:"), AUTH LOGIN and AUTH EXTERNAL */
  username: b('+ VXNlcm5hbWU6\r\n'),
  /** base64("Password:") */
  password: b('+ UGFzc3dvcmQ6\r\n'),
  invalidCommand: b('-ERR invalid command\r\n'),
  internalError: b('-ERR internal server error\r\n'),
  certificateError: b('-ERR SSL certificate error\r\n'),
  noCertificate: b('-ERR No required SSL certificate\r\n'),
  /** prefix of an auth failure: `-ERR <Auth-Status text>` */
  errPrefix: b('-ERR '),
  /** prefix of the CRAM-MD5 challenge */
  continuationPrefix: b('+ '),
  crlf: b('\r\n'),
} as const;
