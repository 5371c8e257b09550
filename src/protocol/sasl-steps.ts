/**
 * The SASL exchange decisions IMAP AUTHENTICATE, POP3 AUTH and SMTP AUTH share (nginx: ngx_mail_auth_parse
 * and the ngx_mail_auth_{login_username,plain,cram_md5,external} steps each protocol's auth state runs).
 *
 * Owns: given the AUTH arguments, or one continuation line and the exchange it belongs to, what happens
 * next — another line in some exchange (the protocol sends that exchange's prompt), the credentials for
 * the auth request, or a refusal with nginx's INFO log text when it writes one; and which prompt asks
 * for which exchange's next line. Pure.
 * Does not own the reply bytes (`+ `, `334 `, tags: each protocol's replies.ts), the gates before the
 * mechanism (`starttls only`, POP3's mechanism listing, SMTP's 501, IMAP's argument counts), the CRAM-MD5
 * salt, or the state types: each machine maps a step onto its own state and replies. Decoding is ./sasl.ts.
 */
import {
  cramMd5Challenge,
  decodeCramMd5,
  decodeExternal,
  decodeLoginStep,
  decodePlain,
  parseSaslStart,
  type SaslResult,
} from './sasl.js';

/** The exchange a continuation line belongs to; the three machines name these states alike. */
export type SaslExchange = 'authLoginUsername' | 'authLoginPassword' | 'authPlain' | 'authCramMd5' | 'authExternal';

export type SaslStep =
  /**
   * The client sends another line, in `exchange`. `login`: the user name AUTH LOGIN has just taken
   * (waiting for the password; nginx knows the login from here on), else null.
   */
  | { readonly kind: 'continue'; readonly exchange: SaslExchange; readonly login: Buffer | null }
  /** The exchange is finished: ask the auth service. */
  | {
      readonly kind: 'credentials';
      readonly method: 'plain' | 'cram-md5' | 'external';
      readonly login: Buffer;
      readonly password: Buffer;
    }
  /**
   * The protocol's "invalid command" reply and back to the start. `log`: nginx's INFO text, or null when
   * it logs nothing; `login`: what nginx had already taken as the login (a bad CRAM-MD5 answer), or null.
   */
  | { readonly kind: 'refused'; readonly log: string | null; readonly login: Buffer | null };

export function isSaslExchange(state: string): state is SaslExchange {
  return (
    state === 'authLoginUsername' ||
    state === 'authLoginPassword' ||
    state === 'authPlain' ||
    state === 'authCramMd5' ||
    state === 'authExternal'
  );
}

const EMPTY = Buffer.alloc(0);

// The steps that carry nothing per session, made once.
const REFUSED: SaslStep = Object.freeze({ kind: 'refused', log: null, login: null });
const ASK_USERNAME: SaslStep = Object.freeze({ kind: 'continue', exchange: 'authLoginUsername', login: null });
const ASK_PLAIN: SaslStep = Object.freeze({ kind: 'continue', exchange: 'authPlain', login: null });
const ASK_CRAM_MD5: SaslStep = Object.freeze({ kind: 'continue', exchange: 'authCramMd5', login: null });
const ASK_EXTERNAL: SaslStep = Object.freeze({ kind: 'continue', exchange: 'authExternal', login: null });

/**
 * The AUTH/AUTHENTICATE arguments (mechanism first, at least one). PLAIN and LOGIN are always accepted,
 * as nginx accepts them whatever `*_auth` lists; CRAM-MD5 and EXTERNAL only when enabled.
 */
export function saslBegin(args: readonly Buffer[], cramMd5Enabled: boolean, externalEnabled: boolean): SaslStep {
  const start = parseSaslStart(args);
  switch (start.mech) {
    case 'login':
      return ASK_USERNAME;
    case 'loginUsername':
      // Microsoft-style initial response: the user name, then straight to the password prompt.
      return step('authLoginUsername', start.ir, null);
    case 'plain':
      return ASK_PLAIN;
    case 'plainIr':
      return step('authPlain', start.ir, null);
    case 'cramMd5':
      return cramMd5Enabled ? ASK_CRAM_MD5 : REFUSED;
    case 'external':
      return externalEnabled ? ASK_EXTERNAL : REFUSED;
    case 'externalIr':
      // Ours (Q-4 fixed): nginx lets the initial-response form through even when EXTERNAL is disabled.
      return externalEnabled ? step('authExternal', start.ir, null) : REFUSED;
    case 'invalid':
      return REFUSED;
  }
}

/**
 * One continuation line in `exchange`, as the parser split it: nginx uses only its first argument.
 * `login` is the user name an AUTH LOGIN exchange took before its password.
 */
export function saslContinue(exchange: SaslExchange, args: readonly Buffer[], login: Buffer | null): SaslStep {
  return step(exchange, args[0] ?? EMPTY, login);
}

/** One base64 answer in `exchange` (a continuation line's first argument, or an initial response). */
function step(exchange: SaslExchange, line: Buffer, login: Buffer | null): SaslStep {
  switch (exchange) {
    case 'authLoginUsername': {
      const user = decodeLoginStep(line);
      if (!Buffer.isBuffer(user)) return { kind: 'refused', log: user.log, login: null };
      return { kind: 'continue', exchange: 'authLoginPassword', login: user };
    }
    case 'authLoginPassword': {
      const password = decodeLoginStep(line);
      if (!Buffer.isBuffer(password)) return { kind: 'refused', log: password.log, login: null };
      return { kind: 'credentials', method: 'plain', login: login ?? EMPTY, password };
    }
    case 'authPlain':
      return finished('plain', decodePlain(line));
    case 'authCramMd5':
      return finished('cram-md5', decodeCramMd5(line));
    case 'authExternal':
      return finished('external', decodeExternal(line));
  }
}

/** A protocol's continuation replies, each whole (prefix and CRLF): `+ …` for IMAP and POP3, `334 …` for SMTP. */
export interface SaslPrompts {
  /** base64("Username:"): AUTH LOGIN's first prompt, and EXTERNAL's */
  readonly username: Buffer;
  /** base64("Password:") */
  readonly password: Buffer;
  /** PLAIN without an initial response: an empty continuation */
  readonly next: Buffer;
  /** what precedes the CRAM-MD5 challenge, which ends with `crlf` */
  readonly continuationPrefix: Buffer;
  readonly crlf: Buffer;
}

/**
 * The reply asking for the next line of `exchange`. CRAM-MD5 challenges with the session's salt (nginx:
 * ngx_mail_auth_cram_md5_salt, base64 of the salt without its CRLF); null when there is none.
 */
export function saslPrompt(prompts: SaslPrompts, exchange: SaslExchange, salt: Buffer | null): Buffer | null {
  switch (exchange) {
    case 'authLoginUsername':
    case 'authExternal':
      return prompts.username;
    case 'authLoginPassword':
      return prompts.password;
    case 'authPlain':
      return prompts.next;
    case 'authCramMd5':
      if (salt === null) return null;
      return Buffer.concat([prompts.continuationPrefix, cramMd5Challenge(salt), prompts.crlf]);
  }
}

function finished(method: 'plain' | 'cram-md5' | 'external', r: SaslResult): SaslStep {
  if (!r.ok) return { kind: 'refused', log: r.log, login: r.login ?? null };
  return { kind: 'credentials', method, login: r.login, password: r.password };
}
