/**
 * A pure parser for one HTTP/1.x request head, as auth_http clients send it (reference 3.2: `GET`,
 * header lines, a blank line, no body). Used by the node:net transport, which exists because the
 * uWebSockets.js build we ship never answers HTTP/1.0 (see raw-server.ts).
 *
 * Owns: finding the end of the head (CRLF CRLF, or bare LF as lenient clients send), the request
 * line, header lines (token names, values trimmed of spaces and tabs; folded lines refused), limits on
 * size and count, and refusing duplicates of the headers the service reads (two Auth-User lines would
 * let one part of a chain see a different user than another). Never throws; bytes are kept as latin1
 * so every byte survives.
 */

export interface RequestHead {
  readonly method: string;
  readonly target: string;
  readonly version: '1.0' | '1.1';
  /** lowercase name → value (latin1, trimmed) */
  readonly headers: ReadonlyMap<string, string>;
  /** bytes of the head including the blank line */
  readonly length: number;
}

export type HeadResult =
  | { readonly type: 'head'; readonly head: RequestHead }
  | { readonly type: 'incomplete' }
  | { readonly type: 'invalid'; readonly reason: string; readonly length: number };

/** Headers whose duplicates are refused (the ones query.ts reads). */
const SINGLE: ReadonlySet<string> = new Set([
  'auth-method', 'auth-user', 'auth-pass', 'auth-salt', 'auth-protocol', 'auth-login-attempt', 'client-ip',
  'auth-ssl-verify', 'auth-ssl-subject', 'auth-ssl-fingerprint', 'auth-smtp-to', 'content-length',
  'transfer-encoding', 'connection',
]);

// RFC 9110 section 5.6.2 token characters
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Where the head ends in `buf[0, end)`: the index just past the blank line, or -1. */
export function headEnd(buf: Buffer, end: number): number {
  for (let i = buf.indexOf(0x0a); i >= 0 && i < end; i = buf.indexOf(0x0a, i + 1)) {
    if (i + 1 < end && buf[i + 1] === 0x0a) return i + 2;
    if (i + 2 < end && buf[i + 1] === 0x0d && buf[i + 2] === 0x0a) return i + 3;
  }
  return -1;
}

export function parseHead(buf: Buffer, end: number, limits: { maxBytes: number; maxHeaders: number }): HeadResult {
  const stop = headEnd(buf, Math.min(end, limits.maxBytes + 3));
  if (stop < 0) {
    if (end > limits.maxBytes) return { type: 'invalid', reason: 'request head too large', length: end };
    return { type: 'incomplete' };
  }
  if (stop > limits.maxBytes + 2) return { type: 'invalid', reason: 'request head too large', length: stop };
  const bad = (reason: string): HeadResult => ({ type: 'invalid', reason, length: stop });
  const lines = buf.toString('latin1', 0, stop).split('\n');
  const first = (lines[0] ?? '').replace(/\r$/, '');
  const m = /^([A-Z]+) (\S+) HTTP\/1\.([01])$/.exec(first);
  if (m === null) return bad('bad request line');
  const headers = new Map<string, string>();
  let count = 0;
  for (let i = 1; i < lines.length; i++) {
    const line = (lines[i] as string).replace(/\r$/, '');
    if (line === '') break;
    if (line.includes('\r')) return bad('bare CR in header line');
    if (line.startsWith(' ') || line.startsWith('\t')) return bad('folded header line');
    if (++count > limits.maxHeaders) return bad('too many header lines');
    const colon = line.indexOf(':');
    if (colon <= 0) return bad('header line without a name');
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) return bad('bad header name');
    const key = name.toLowerCase();
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (headers.has(key)) {
      if (SINGLE.has(key)) return bad(`duplicate ${name} header`);
      continue;
    }
    headers.set(key, value);
  }
  return {
    type: 'head',
    head: { method: m[1] as string, target: m[2] as string, version: m[3] === '0' ? '1.0' : '1.1', headers, length: stop },
  };
}
