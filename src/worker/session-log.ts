/**
 * Text helpers for a session's log lines: untrusted bytes made safe for a log line, and our one
 * `session closed` record (nginx has no per-session summary; operators asked for one).
 */

/**
 * A login (or any client-supplied text) for a log line: bytes outside printable ASCII and the quote and
 * backslash are shown as `\xHH`, so a client cannot forge log lines or break a parser's quoting.
 * nginx prints the login raw; escaping only changes lines that would otherwise be corrupt.
 */
export function loginForLog(bytes: Buffer): string {
  let plain = true;
  for (const c of bytes) {
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) {
      plain = false;
      break;
    }
  }
  if (plain) return bytes.toString('latin1');
  let out = '';
  for (const c of bytes) {
    out += c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c ? `\\x${c.toString(16).padStart(2, '0')}` : String.fromCharCode(c);
  }
  return out;
}

export interface SessionSummary {
  readonly protocol: string;
  readonly reason: string;
  readonly durationMs: number;
  readonly bytesFromClient: number;
  readonly bytesToClient: number;
  readonly method: string | null;
  readonly tls: string | null;
}

/**
 * `session closed (protocol: imap, reason: proxied, duration: 1.234s, in: 120, out: 10485906, method: plain,
 * tls: TLSv1.3)`; client, server, login and upstream follow in nginx's context suffix.
 */
export function sessionClosedMessage(s: SessionSummary): string {
  let m = `session closed (protocol: ${s.protocol}, reason: ${s.reason}, duration: ${(s.durationMs / 1000).toFixed(3)}s, in: ${String(
    s.bytesFromClient,
  )}, out: ${String(s.bytesToClient)}`;
  if (s.method !== null) m += `, method: ${s.method}`;
  if (s.tls !== null) m += `, tls: ${s.tls}`;
  return m + ')';
}
