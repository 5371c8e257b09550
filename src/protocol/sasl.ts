/**
 * SASL decoding shared by IMAP AUTHENTICATE, POP3 AUTH and SMTP AUTH (reference 4.4), and the
 * APOP/CRAM-MD5 salt. Pure functions over bytes.
 *
 * Owns: nginx's lenient base64 (ngx_decode_base64), mechanism selection (ngx_mail_auth_parse) and the
 * PLAIN / LOGIN / CRAM-MD5 / EXTERNAL payload rules, with nginx's INFO log texts. Does not own the
 * continuation prefixes (`+ ` vs `334 `) or the enable/disable gates: those are per protocol.
 */

/** The mechanisms nginx knows; `*Ir` variants carry an initial response in the AUTH command itself. */
export type SaslStart =
  | { readonly mech: 'plain' } // wait for one line
  | { readonly mech: 'plainIr'; readonly ir: Buffer }
  | { readonly mech: 'login' } // send "Username:" prompt
  | { readonly mech: 'loginUsername'; readonly ir: Buffer } // Microsoft-style: skip to "Password:"
  | { readonly mech: 'cramMd5' }
  | { readonly mech: 'external' }
  | { readonly mech: 'externalIr'; readonly ir: Buffer }
  | { readonly mech: 'invalid' };

/** Credentials from a finished exchange, or the INFO log text nginx writes for bad input. */
export type SaslResult =
  | { readonly ok: true; readonly login: Buffer; readonly password: Buffer }
  /** `login`: what nginx had already taken as the login when it refused (CRAM-MD5), for log lines */
  | { readonly ok: false; readonly log: string; readonly login?: Buffer };

/** `+ VXNlcm5hbWU6` / `334 VXNlcm5hbWU6` payload: base64("Username:"). */
export const USERNAME_PROMPT = Buffer.from('VXNlcm5hbWU6', 'latin1');
/** base64("Password:") */
export const PASSWORD_PROMPT = Buffer.from('UGFzc3dvcmQ6', 'latin1');

const EMPTY = Buffer.alloc(0);

// 64 = not in the alphabet (nginx uses 77 in its table).
const DECODE = new Uint8Array(256).fill(64);
{
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < alphabet.length; i++) DECODE[alphabet.charCodeAt(i)] = i;
}

/**
 * nginx's ngx_decode_base64: decoding stops at the first `=`; padding is optional; a byte outside the
 * alphabet before it, or a length ≡ 1 (mod 4), is an error (null). So the SASL cancel `*` is an error.
 */
export function decodeBase64Lenient(src: Buffer, start = 0, end = src.length): Buffer | null {
  let len = 0;
  for (let i = start; i < end; i++) {
    const c = src[i] as number;
    if (c === 0x3d /* = */) break;
    if (DECODE[c] === 64) return null;
    len++;
  }
  if (len % 4 === 1) return null;
  const out = Buffer.allocUnsafe(Math.floor((len * 3) / 4));
  let o = 0;
  let i = start;
  const stop = start + len;
  while (stop - i >= 4) {
    const a = DECODE[src[i] as number] as number;
    const b = DECODE[src[i + 1] as number] as number;
    const c = DECODE[src[i + 2] as number] as number;
    const d = DECODE[src[i + 3] as number] as number;
    out[o++] = (a << 2) | (b >> 4);
    out[o++] = ((b << 4) | (c >> 2)) & 0xff;
    out[o++] = ((c << 6) | d) & 0xff;
    i += 4;
  }
  const rest = stop - i;
  if (rest >= 2) {
    const a = DECODE[src[i] as number] as number;
    const b = DECODE[src[i + 1] as number] as number;
    out[o++] = (a << 2) | (b >> 4);
    if (rest === 3) {
      const c = DECODE[src[i + 2] as number] as number;
      out[o++] = ((b << 4) | (c >> 2)) & 0xff;
    }
  }
  return o === out.length ? out : out.subarray(0, o);
}

function ieq(buf: Buffer, upper: string): boolean {
  if (buf.length !== upper.length) return false;
  for (let i = 0; i < buf.length; i++) {
    let c = buf[i] as number;
    if (c >= 0x61 && c <= 0x7a) c -= 0x20;
    if (c !== upper.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * nginx's ngx_mail_auth_parse: `args` are the AUTH/AUTHENTICATE arguments (mechanism first).
 * Mechanism names are case-insensitive; a wrong argument count is invalid.
 */
export function parseSaslStart(args: readonly Buffer[]): SaslStart {
  const mech = args[0];
  if (mech === undefined) return { mech: 'invalid' };
  const ir = args[1];
  if (ieq(mech, 'LOGIN')) {
    if (args.length === 1) return { mech: 'login' };
    if (args.length === 2 && ir) return { mech: 'loginUsername', ir };
    return { mech: 'invalid' };
  }
  if (ieq(mech, 'PLAIN')) {
    if (args.length === 1) return { mech: 'plain' };
    if (args.length === 2 && ir) return { mech: 'plainIr', ir };
    return { mech: 'invalid' };
  }
  if (ieq(mech, 'CRAM-MD5')) {
    return args.length === 1 ? { mech: 'cramMd5' } : { mech: 'invalid' };
  }
  if (ieq(mech, 'EXTERNAL')) {
    if (args.length === 1) return { mech: 'external' };
    if (args.length === 2 && ir) return { mech: 'externalIr', ir };
    return { mech: 'invalid' };
  }
  return { mech: 'invalid' };
}

/** nginx's ngx_mail_auth_plain: `authzid NUL authcid NUL passwd`; the authzid is dropped. */
export function decodePlain(b64: Buffer): SaslResult {
  const plain = decodeBase64Lenient(b64);
  if (plain === null) return { ok: false, log: 'client sent invalid base64 encoding in AUTH PLAIN command' };
  const first = plain.indexOf(0);
  if (first === -1 || first === plain.length - 1) {
    return { ok: false, log: 'client sent invalid login in AUTH PLAIN command' };
  }
  const second = plain.indexOf(0, first + 1);
  if (second === -1) return { ok: false, log: 'client sent invalid password in AUTH PLAIN command' };
  return { ok: true, login: plain.subarray(first + 1, second), password: plain.subarray(second + 1) };
}

/** One step of AUTH LOGIN (the user name, or the password). */
export function decodeLoginStep(b64: Buffer): Buffer | { readonly log: string } {
  const v = decodeBase64Lenient(b64);
  return v ?? { log: 'client sent invalid base64 encoding in AUTH LOGIN command' };
}

/**
 * nginx's ngx_mail_auth_cram_md5: base64 of `user SP digest`, split at the first space; the digest must
 * be exactly 32 bytes (not checked to be hex). Returns login and the digest as the "password".
 */
export function decodeCramMd5(b64: Buffer): SaslResult {
  const v = decodeBase64Lenient(b64);
  if (v === null) return { ok: false, log: 'client sent invalid base64 encoding in AUTH CRAM-MD5 command' };
  const sp = v.indexOf(0x20);
  if (sp === -1 || v.length - sp - 1 !== 32) {
    // nginx set s->login before checking the digest: the whole answer, or the part before the space
    return {
      ok: false,
      log: 'client sent invalid CRAM-MD5 hash in AUTH CRAM-MD5 command',
      login: sp === -1 ? v : v.subarray(0, sp),
    };
  }
  return { ok: true, login: v.subarray(0, sp), password: v.subarray(sp + 1) };
}

/** nginx's ngx_mail_auth_external: the identity (possibly empty, `=`), with an empty password. */
export function decodeExternal(b64: Buffer): SaslResult {
  const v = decodeBase64Lenient(b64);
  if (v === null) return { ok: false, log: 'client sent invalid base64 encoding in AUTH EXTERNAL command' };
  return { ok: true, login: v, password: EMPTY };
}

/**
 * nginx's ngx_mail_salt: `<random.time@server_name>` CRLF. The CRLF is part of the salt: it is sent in
 * Auth-Salt as is, and stripped for the POP3 greeting and the CRAM-MD5 challenge.
 */
export function makeSalt(random: number, unixTime: number, serverName: string): Buffer {
  return Buffer.from(`<${String(random >>> 0)}.${String(Math.floor(unixTime))}@${serverName}>\r\n`, 'latin1');
}

/** The CRAM-MD5 challenge payload: base64 of the salt without its CRLF. */
export function cramMd5Challenge(salt: Buffer): Buffer {
  return Buffer.from(salt.subarray(0, salt.length - 2).toString('base64'), 'latin1');
}
