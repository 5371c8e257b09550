/**
 * The message the fake backend serves (IMAP FETCH, POP3 RETR) and the load clients send (SMTP DATA).
 *
 * Owns: building a valid RFC 5322 message of exactly the requested size, CRLF lines of at most 78
 * octets, no line starting with `.` (so POP3 and SMTP need no dot-stuffing and the byte count on the
 * wire is the size), and ending with CRLF. Does not own transport.
 */

const HEADER =
  'From: bench <bench@postern.test>\r\nTo: bench <bench@postern.test>\r\nSubject: postern bench\r\n' +
  'Message-ID: <bench@postern.test>\r\nDate: Thu, 01 Jan 2026 00:00:00 +0000\r\n\r\n';

/** The smallest size `benchMessage` can build (the header block plus one body line). */
export const MIN_MESSAGE_BYTES = HEADER.length + 2;

/** A message of exactly `bytes` octets (at least MIN_MESSAGE_BYTES). */
export function benchMessage(bytes: number): Buffer {
  const size = Math.max(bytes, MIN_MESSAGE_BYTES);
  const out = Buffer.allocUnsafe(size);
  let at = out.write(HEADER, 0, 'latin1');
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  let k = 0;
  while (at < size) {
    const left = size - at;
    // A line of up to 76 characters plus CRLF; the last line takes whatever is left (at least CRLF).
    const len = left - 2 <= 76 ? left - 2 : Math.min(76, left - 2 - 3);
    for (let i = 0; i < len; i++) out[at + i] = alphabet.charCodeAt((k + i) % alphabet.length);
    k++;
    at += len;
    out[at++] = 0x0d;
    out[at++] = 0x0a;
  }
  return out;
}

/** Parses `8m`, `64k`, `1g`, `2048` (powers of 1024) into bytes; throws on anything else. */
export function parseSize(text: string): number {
  const m = /^(\d+)([kKmMgG]?)$/.exec(text.trim());
  if (!m) throw new Error(`not a size: "${text}" (use e.g. 2048, 64k, 8m)`);
  const unit = (m[2] ?? '').toLowerCase();
  const mult = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1;
  return Number(m[1]) * mult;
}
