/**
 * SMTP reply bytes nginx sends on its own (ngx_mail_smtp_handler.c, ngx_mail_smtp_module.c,
 * ngx_mail_proxy_module.c).
 *
 * Owns: the fixed replies, as Buffers built once. Does not own the configuration-dependent ones (the
 * greeting, HELO and EHLO replies): `settings.ts` builds those.
 */

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

export const SMTP_REPLY = {
  ok: b('250 2.0.0 OK\r\n'),
  bye: b('221 2.0.0 Bye\r\n'),
  starttls: b('220 2.0.0 Start TLS\r\n'),
  /** PLAIN without an initial response: an empty continuation */
  next: b('334 \r\n'),
  /** base64("Username:"), AUTH LOGIN and AUTH EXTERNAL */
  username: b('334 VXNlcm5hbWU6\r\n'),
  /** base64("Password:") */
  password: b('334 UGFzc3dvcmQ6\r\n'),
  invalidCommand: b('500 5.5.1 Invalid command\r\n'),
  invalidPipelining: b('503 5.5.0 Improper use of SMTP command pipelining\r\n'),
  invalidArgument: b('501 5.5.4 Invalid argument\r\n'),
  authRequired: b('530 5.7.1 Authentication required\r\n'),
  /** Ours: MAIL under `smtp_auth none` before TLS with `starttls only` (Postfix's wording). */
  starttlsRequired: b('530 5.7.0 Must issue a STARTTLS command first\r\n'),
  badSequence: b('503 5.5.1 Bad sequence of commands\r\n'),
  internalError: b('451 4.3.2 Internal server error\r\n'),
  certificateError: b('421 4.7.1 SSL certificate error\r\n'),
  noCertificate: b('421 4.7.1 No required SSL certificate\r\n'),
  /** the Auth-Error-Code used when the auth service sends none */
  defaultAuthErrorCode: b('535 5.7.0'),
  /** the client's success reply for AUTH logins, written by the proxy (ngx_mail_proxy_smtp_handler) */
  authOk: b('235 2.0.0 OK\r\n'),
  continuationPrefix: b('334 '),
  space: b(' '),
  crlf: b('\r\n'),
} as const;
