/**
 * Deterministic test messages and the byte transforms needed to compare them after a trip through a
 * mail server.
 *
 * Owns: `makeMessage` (exact size, seeded content, CRLF / LF / mixed bare-LF line endings, optional
 * lines that start with "." to exercise dot-stuffing), a cached 10 MiB message with its hash, sha256,
 * CRLF<->LF conversion, dot-stuffing, and stripping the trace headers a server prepends on delivery.
 * Does not own: reading or writing mailboxes (maildir.ts) or sending messages (clients.ts).
 *
 * The content avoids '%' (swaks tokens), never starts a line with "From " (mbox From_ lines), and
 * uses only printable ASCII, so every client and server passes it through unchanged apart from line
 * endings.
 */
import { createHash } from 'node:crypto';

export type LineEnding = 'crlf' | 'lf' | 'mixed';

export interface MessageOptions {
  /** Exact total size of the message in bytes, headers included. */
  readonly sizeBytes: number;
  /** Different seeds give different content; same seed and options give the same bytes. */
  readonly seed?: string;
  readonly from?: string;
  readonly to?: string;
  readonly subject?: string;
  /** `crlf` (default); `lf`: every line ends with a bare LF; `mixed`: CRLF, but every 7th body line ends with a bare LF. */
  readonly lineEnding?: LineEnding;
  /** Every 16th body line starts with "." (default true), so dot-stuffing is exercised. */
  readonly dotLines?: boolean;
  /** Body line length without the line ending (default 76). */
  readonly lineLength?: number;
}

const ALPHABET = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 ,-_=+:;()');

function seedToState(seed: string): number {
  const h = createHash('sha256').update(seed).digest();
  return h.readUInt32LE(0) || 0x9e3779b9;
}

/** The header block `makeMessage` writes (with the chosen line ending), before the body. */
function headerBlock(o: Required<Omit<MessageOptions, 'dotLines' | 'lineLength'>>): string {
  const eol = o.lineEnding === 'lf' ? '\n' : '\r\n';
  return [
    `From: ${o.from}`,
    `To: ${o.to}`,
    `Subject: ${o.subject}`,
    'Date: Thu, 01 Jan 2026 00:00:00 +0000',
    `Message-ID: <${o.seed}.${o.sizeBytes}@postern.test>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    '',
  ].join(eol);
}

/**
 * A message of exactly `sizeBytes` bytes: fixed headers (From, To, Subject, Date, Message-ID with the
 * seed and size) and a body of seeded printable lines. Throws if `sizeBytes` cannot hold the headers.
 */
export function makeMessage(opts: MessageOptions): Buffer {
  const o = {
    seed: opts.seed ?? 'postern',
    from: opts.from ?? 'sender@example.test',
    to: opts.to ?? 'rcpt@example.test',
    subject: opts.subject ?? `postern test message ${opts.seed ?? 'postern'} ${opts.sizeBytes}`,
    lineEnding: opts.lineEnding ?? 'crlf',
    sizeBytes: opts.sizeBytes,
  } as const;
  const dotLines = opts.dotLines ?? true;
  const lineLength = opts.lineLength ?? 76;
  if (!Number.isInteger(lineLength) || lineLength < 2)
    throw new Error('makeMessage: lineLength must be an integer >= 2');
  const head = Buffer.from(headerBlock(o), 'latin1');
  if (!Number.isInteger(o.sizeBytes) || o.sizeBytes < head.length) {
    throw new Error(`makeMessage: sizeBytes must be an integer >= ${head.length} (the headers)`);
  }
  const out = Buffer.allocUnsafe(o.sizeBytes);
  head.copy(out, 0);
  let pos = head.length;
  let state = seedToState(o.seed);
  const nextChar = (): number => {
    // xorshift32: fast, deterministic, good enough to make every line differ.
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return ALPHABET[state % ALPHABET.length]!;
  };
  const eolFor = (line: number): 1 | 2 =>
    o.lineEnding === 'lf' || (o.lineEnding === 'mixed' && line % 7 === 3) ? 1 : 2;
  let line = 0;
  while (pos < o.sizeBytes) {
    const eolLen = eolFor(line);
    const left = o.sizeBytes - pos;
    let textLen: number;
    if (left >= lineLength + eolLen + lineLength + 2) textLen = lineLength;
    else if (left <= lineLength + eolLen) textLen = Math.max(0, left - eolLen);
    else textLen = Math.floor((left - eolLen - 2) / 2); // split what is left over two lines
    if (left < eolLen) {
      // Only one byte is left and this line wanted CRLF: end the message with a bare "x".
      out[pos] = 0x78;
      break;
    }
    for (let i = 0; i < textLen; i++) out[pos + i] = nextChar();
    if (textLen > 0) {
      // Never a line starting with "F" (so never "From "), " " or "." unless it is a deliberate dot line.
      if (out[pos] === 0x2e || out[pos] === 0x20 || out[pos] === 0x46) out[pos] = 0x41;
      if (dotLines && line % 16 === 5) out[pos] = 0x2e;
    }
    pos += textLen;
    if (eolLen === 2) out[pos++] = 0x0d;
    out[pos++] = 0x0a;
    line++;
  }
  return out;
}

export interface BigMessage {
  readonly bytes: Buffer;
  /** sha256 of `bytes`, hex. */
  readonly sha256: string;
}

const bigCache = new Map<number, BigMessage>();

/** A cached CRLF message of `sizeBytes` (default 10 MiB) with its sha256, for large-transfer tests. */
export function bigMessage(sizeBytes = 10 * 1024 * 1024): BigMessage {
  let m = bigCache.get(sizeBytes);
  if (!m) {
    const bytes = makeMessage({ sizeBytes, seed: `big-${sizeBytes}` });
    m = { bytes, sha256: sha256(bytes) };
    bigCache.set(sizeBytes, m);
  }
  return m;
}

/** sha256 of the bytes, lowercase hex. */
export function sha256(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Every CRLF becomes LF (how Postfix and fetchmail store/hand over a message). */
export function crlfToLf(bytes: Buffer): Buffer {
  const out = Buffer.allocUnsafe(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x0d && bytes[i + 1] === 0x0a) continue;
    out[n++] = b;
  }
  return out.subarray(0, n);
}

/** Every bare LF becomes CRLF (existing CRLFs are kept). */
export function lfToCrlf(bytes: Buffer): Buffer {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x0a && (i === 0 || bytes[i - 1] !== 0x0d)) {
      parts.push(bytes.subarray(start, i), Buffer.from('\r\n'));
      start = i + 1;
    }
  }
  parts.push(bytes.subarray(start));
  return Buffer.concat(parts);
}

/** Doubles a "." at the start of every line (RFC 5321 4.5.2, RFC 1939 3), for hand-written transcripts. */
export function dotStuff(bytes: Buffer): Buffer {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x2e && (i === 0 || bytes[i - 1] === 0x0a)) {
      parts.push(bytes.subarray(start, i), Buffer.from('.'));
      start = i;
    }
  }
  parts.push(bytes.subarray(start));
  return Buffer.concat(parts);
}

/** Removes one leading "." from every line that starts with one (the reverse of `dotStuff`). */
export function dotUnstuff(bytes: Buffer): Buffer {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x2e && (i === 0 || bytes[i - 1] === 0x0a)) {
      parts.push(bytes.subarray(start, i));
      start = i + 1;
    }
  }
  parts.push(bytes.subarray(start));
  return Buffer.concat(parts);
}

/** Header fields a delivering server prepends (Postfix smtpd/cleanup/virtual). */
export const TRACE_HEADERS = ['return-path', 'x-original-to', 'delivered-to', 'received'] as const;

/**
 * Drops the trace header fields (with their folded continuation lines) that precede the first other
 * header field, so a delivered message can be compared with what was sent.
 */
export function stripTraceHeaders(bytes: Buffer, names: readonly string[] = TRACE_HEADERS): Buffer {
  let pos = 0;
  let dropping = false;
  while (pos < bytes.length) {
    const nl = bytes.indexOf(0x0a, pos);
    const end = nl === -1 ? bytes.length : nl + 1;
    const first = bytes[pos];
    if (first === 0x20 || first === 0x09) {
      if (!dropping) break;
    } else {
      const colon = bytes.indexOf(0x3a, pos);
      const name =
        colon === -1 || colon > end ? '' : bytes.subarray(pos, colon).toString('latin1').toLowerCase();
      if (!names.includes(name)) break;
      dropping = true;
    }
    pos = end;
  }
  return bytes.subarray(pos);
}
