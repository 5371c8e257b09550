/**
 * RFC 2971 ID parameter lists: turning what a client sent into one canonical form, and building the
 * list postern forwards to a backend. Beyond nginx, which answers `ID` with BAD (reference section 9, L3).
 *
 * Owns: the canonical text `NIL` or `("key" "value" "key2" NIL ...)` kept in the session and passed on in
 * `UpstreamLoginContext.clientId`, and the forwarding rules (reserved keys, Dovecot's limits). Does not own:
 * checking the list's syntax byte by byte (parse.ts has done that before anything here runs) or deciding
 * whether to forward at all (upstream-login.ts, `forwardId`).
 */

const SP = 0x20;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;
const LPAREN = 0x28;
const RPAREN = 0x29;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const CR = 0x0d;
const LF = 0x0a;

/** RFC 2971 section 3.3: field names are at most 30 octets, values at most 1024; at most 30 pairs. */
export const ID_KEY_MAX_BYTES = 30;
export const ID_VALUE_MAX_BYTES = 1024;
export const ID_MAX_PAIRS = 30;

/**
 * Keys a Dovecot login process reads as connection facts from a trusted proxy (imap-login-cmd-id.c's
 * handler table). A client must never be able to set them through us, so they are dropped from its list.
 */
const RESERVED_KEYS = [
  'x-originating-ip',
  'x-originating-port',
  'x-connected-ip',
  'x-connected-port',
  'x-proxy-ttl',
  'x-session-id',
  'x-session-ext-id',
  'x-multiplex',
];
const RESERVED_PREFIX = 'x-forward-';

const NIL = Buffer.from('NIL', 'latin1');

function isNilAtom(buf: Buffer, from: number, to: number): boolean {
  return (
    to - from === 3 &&
    ((buf[from] as number) | 0x20) === 0x6e &&
    ((buf[from + 1] as number) | 0x20) === 0x69 &&
    ((buf[from + 2] as number) | 0x20) === 0x6c
  );
}

/**
 * The items of an already validated list `buf[from, to)` (from `(` to just past `)`), each a Buffer or
 * null for NIL; null for the whole parameter `NIL`. Quoted strings are unescaped, literals taken as is.
 * Bounded by `to`: on bytes the parser would not have accepted it stops early instead of throwing.
 */
export function tokenizeIdList(buf: Buffer, from: number, end: number): (Buffer | null)[] | null {
  if (buf[from] !== LPAREN) return null;
  const to = Math.min(end, buf.length);
  const items: (Buffer | null)[] = [];
  let i = from + 1;
  while (i < to) {
    const c = buf[i] as number;
    if (c === SP) {
      i++;
      continue;
    }
    if (c === RPAREN) break;
    if (c === DQUOTE) {
      // First pass finds the end and the unescaped length; second pass copies.
      let j = i + 1;
      let n = 0;
      while (j < to && buf[j] !== DQUOTE) {
        if (buf[j] === BACKSLASH) j++;
        j++;
        n++;
      }
      const out = Buffer.allocUnsafe(n);
      let o = 0;
      for (let k = i + 1; k < j && o < n; k++) {
        if (buf[k] === BACKSLASH) k++;
        out[o++] = buf[k] as number;
      }
      items.push(out);
      i = j + 1;
      continue;
    }
    if (c === LBRACE) {
      let j = i + 1;
      let n = 0;
      while (j < to && (buf[j] as number) >= 0x30 && (buf[j] as number) <= 0x39) {
        n = Math.min(n * 10 + ((buf[j] as number) - 0x30), to);
        j++;
      }
      while (j < to && buf[j] !== RBRACE) j++;
      j++;
      while (j < to && buf[j] === CR) j++;
      j++; // LF
      const dataEnd = Math.min(j + n, to);
      items.push(Buffer.from(buf.subarray(Math.min(j, to), dataEnd)));
      i = dataEnd;
      continue;
    }
    let j = i;
    while (j < to && buf[j] !== SP && buf[j] !== RPAREN) j++;
    items.push(isNilAtom(buf, i, j) ? null : Buffer.from(buf.subarray(i, j)));
    i = j;
  }
  return items;
}

/** CR, LF and NUL cannot travel in a quoted string (RFC 3501 QUOTED-CHAR) nor in Dovecot's C strings. */
function quotable(b: Buffer): boolean {
  for (const c of b) if (c === CR || c === LF || c === 0) return false;
  return true;
}

function quotedLength(b: Buffer): number {
  let n = 2 + b.length;
  for (const c of b) if (c === DQUOTE || c === BACKSLASH) n++;
  return n;
}

function writeQuoted(out: Buffer, o: number, b: Buffer): number {
  out[o++] = DQUOTE;
  for (const c of b) {
    if (c === DQUOTE || c === BACKSLASH) out[o++] = BACKSLASH;
    out[o++] = c;
  }
  out[o++] = DQUOTE;
  return o;
}

type Pair = readonly [Buffer, Buffer | null];

function serialize(pairs: readonly Pair[]): Buffer {
  if (pairs.length === 0) return NIL;
  let len = 1;
  for (const [k, v] of pairs) len += quotedLength(k) + 1 + (v === null ? 3 : quotedLength(v)) + 1;
  const out = Buffer.allocUnsafe(len);
  let o = 0;
  out[o++] = LPAREN;
  for (let p = 0; p < pairs.length; p++) {
    const [k, v] = pairs[p] as Pair;
    if (p > 0) out[o++] = SP;
    o = writeQuoted(out, o, k);
    out[o++] = SP;
    o = v === null ? o + NIL.copy(out, o) : writeQuoted(out, o, v);
  }
  out[o++] = RPAREN;
  return out.subarray(0, o);
}

function pairsOf(items: readonly (Buffer | null)[]): Pair[] {
  const pairs: Pair[] = [];
  for (let k = 0; k + 1 < items.length; k += 2) {
    const key = items[k];
    const value = items[k + 1] ?? null;
    if (key === null || key === undefined) continue; // the parser refuses NIL keys; be safe anyway
    pairs.push([key, value]);
  }
  return pairs;
}

/**
 * The canonical form of a validated ID parameter `buf[from, to)`: `NIL`, or a list of quoted strings and
 * NILs separated by single spaces. Pairs holding CR, LF or NUL (possible only through literals) are
 * dropped, because the canonical form has no literals; a list left empty becomes `NIL`.
 */
export function normalizeIdParams(buf: Buffer, from: number, to: number): Buffer {
  const items = tokenizeIdList(buf, from, to);
  if (items === null) return NIL;
  const kept = pairsOf(items).filter(([k, v]) => quotable(k) && (v === null || quotable(v)));
  return serialize(kept);
}

/** What postern knows about the connection and adds to a forwarded ID (Dovecot's parameter forwarding). */
export interface IdConnectionFields {
  readonly clientAddr: string;
  readonly clientPort?: number | undefined;
  readonly localAddr?: string | undefined;
  readonly localPort?: number | undefined;
}

function isReserved(key: Buffer): boolean {
  const k = key.toString('latin1').toLowerCase();
  return RESERVED_KEYS.includes(k) || k.startsWith(RESERVED_PREFIX);
}

/**
 * The list to send in `ID (...)` to a backend: the client's pairs (from its canonical `clientId`), minus
 * keys a backend would trust as connection facts and pairs over RFC 2971's sizes (Dovecot aborts the
 * connection on a value over 1024 bytes), then `x-originating-ip`, `x-originating-port`,
 * `x-connected-ip`, `x-connected-port` for the values known. At most 30 pairs in all; ours are kept.
 */
export function buildForwardedIdParams(clientId: Buffer | null, conn: IdConnectionFields): Buffer {
  const ours: Pair[] = [[Buffer.from('x-originating-ip'), Buffer.from(conn.clientAddr, 'latin1')]];
  if (conn.clientPort !== undefined) ours.push([Buffer.from('x-originating-port'), Buffer.from(String(conn.clientPort))]);
  if (conn.localAddr !== undefined) ours.push([Buffer.from('x-connected-ip'), Buffer.from(conn.localAddr, 'latin1')]);
  if (conn.localPort !== undefined) ours.push([Buffer.from('x-connected-port'), Buffer.from(String(conn.localPort))]);
  const items = clientId === null ? null : tokenizeIdList(clientId, 0, clientId.length);
  const theirs = items === null ? [] : pairsOf(items);
  const kept: Pair[] = [];
  for (const pair of theirs) {
    const [k, v] = pair;
    if (kept.length + ours.length >= ID_MAX_PAIRS) break;
    if (isReserved(k) || k.length > ID_KEY_MAX_BYTES || (v !== null && v.length > ID_VALUE_MAX_BYTES)) continue;
    kept.push(pair);
  }
  return serialize([...kept, ...ours]);
}
