/**
 * Byte-exact IMAP replies of nginx's mail module before authentication (reference 4.1, 3.6), as
 * precomputed Buffers, and the few helpers that glue a client tag in front of them.
 *
 * Owns: every fixed reply string and how a tagged line is assembled. Does not own: the CAPABILITY lines
 * (built per server in settings.ts) or when a reply is sent (machine.ts).
 */

const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');

/** nginx: imap_greeting. It never changes with the configuration. */
export const GREETING = latin1('* OK IMAP4 ready\r\n');
/** Stands in for the tag when none could be parsed (nginx: imap_star). */
export const STAR_TAG = latin1('* ');
/** Tagged completion body (nginx: imap_ok); the tag, with its space, goes in front. */
export const OK_COMPLETED = latin1('OK completed\r\n');
/** Continuation for a synchronising literal (nginx: imap_next). */
export const LITERAL_NEXT = latin1('+ OK\r\n');
/** AUTHENTICATE PLAIN without an initial response (nginx: imap_plain_next). */
export const PLAIN_NEXT = latin1('+ \r\n');
/** AUTHENTICATE LOGIN and EXTERNAL: base64("Username:") (nginx: imap_username). */
export const USERNAME_NEXT = latin1('+ VXNlcm5hbWU6\r\n');
/** AUTHENTICATE LOGIN second step: base64("Password:") (nginx: imap_password). */
export const PASSWORD_NEXT = latin1('+ UGFzc3dvcmQ6\r\n');
/** Untagged line before LOGOUT's tagged OK (nginx: imap_bye). */
export const BYE = latin1('* BYE\r\n');
/** Body of every rejected command (nginx: imap_invalid_command). */
export const INVALID_COMMAND = latin1('BAD invalid command\r\n');
/** Ours (RFC 2971 section 3.1: a server may answer NIL): the untagged answer to ID. */
export const ID_NIL = latin1('* ID NIL\r\n');
/** Prefix of an auth failure body: `<tag> NO <Auth-Status text>` (nginx: ngx_mail_auth_http_process_headers). */
export const NO_PREFIX = latin1('NO ');
export const CRLF = latin1('\r\n');

/** nginx: ngx_mail_imap_protocol's canned replies (reference 3.6); each is followed by a close. */
export const INTERNAL_SERVER_ERROR = latin1('* BAD internal server error\r\n');
export const CERTIFICATE_ERROR = latin1('* BYE SSL certificate error\r\n');
export const NO_CERTIFICATE = latin1('* BYE No required SSL certificate\r\n');

/** `<tag>` + body, or `* ` + body when no tag was parsed. `tag` keeps its trailing space, as nginx does. */
export function tagged(tag: Buffer | null, body: Buffer): Buffer {
  const t = tag ?? STAR_TAG;
  const out = Buffer.allocUnsafe(t.length + body.length);
  t.copy(out, 0);
  body.copy(out, t.length);
  return out;
}

/** An untagged line followed by the tagged completion, as one write (CAPABILITY, LOGOUT, ID). */
export function untaggedThenOk(untagged: Buffer, tag: Buffer | null): Buffer {
  const t = tag ?? STAR_TAG;
  const out = Buffer.allocUnsafe(untagged.length + t.length + OK_COMPLETED.length);
  untagged.copy(out, 0);
  t.copy(out, untagged.length);
  OK_COMPLETED.copy(out, untagged.length + t.length);
  return out;
}

/** `<tag> NO <text>` CRLF: the client-side face of an auth_http refusal (reference 3.5). */
export function authFailedReply(tag: Buffer | null, text: Buffer): Buffer {
  const t = tag ?? STAR_TAG;
  const out = Buffer.allocUnsafe(t.length + NO_PREFIX.length + text.length + CRLF.length);
  let o = t.copy(out, 0);
  o += NO_PREFIX.copy(out, o);
  o += text.copy(out, o);
  CRLF.copy(out, o);
  return out;
}
