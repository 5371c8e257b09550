/**
 * The PROXY protocol, versions 1 and 2 (haproxy's proxy-protocol.txt): parsing the header a balancer puts
 * in front of a client connection (`listen … proxy_protocol`, reference 6.4) and building the header we
 * send to a backend (`proxy_protocol on|v2`, reference 6.5).
 *
 * Owns: `parseProxyHeader` — pure and resumable: call it with every byte received so far (at most
 * PROXY_PROTOCOL_MAX_HEADER) and it answers `incomplete`, `header` (with how many bytes it took) or
 * `invalid` (with nginx's log text); it never throws and its answer does not depend on how the bytes were
 * split. `buildProxyV1` / `buildProxyV2` (with the PP2_TYPE_SSL TLV for TLS clients). Does not own: socket
 * reads (proxy-protocol-reader.ts), the deadline (the session's), or trusting the addresses (realip.ts).
 *
 * Deliberate differences from nginx (src/core/ngx_proxy_protocol.c), each documented in docs/tls.md:
 * - nginx decides on whatever one MSG_PEEK returned, so a header split across TCP segments is "broken";
 *   here the parser waits for more bytes (the session's `timeout` still bounds the wait).
 * - a v1 line is judged once its end is known (the first CR or LF, or 107 bytes without one), so the
 *   logged text is the same however the bytes arrived.
 * - v1 addresses must be valid addresses of the announced family (nginx accepts any run of hex digits,
 *   dots and colons and passes it on in Proxy-Protocol-Addr).
 * - bytes outside printable ASCII in `broken header: "…"` are written as `\xHH`, not raw.
 * - a v2 CRC32c TLV is verified (nginx ignores it).
 */
import { PROXY_PROTOCOL_MAX_HEADER } from '../limits.js';
import { inetNtop, mapIpv4, parseIp, unmapIpv4, type IpBytes } from './inet-text.js';

/** The 12-byte v2 signature. */
export const PP2_SIGNATURE: Buffer = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

/** A v1 line, CRLF included, is at most this long (proxy-protocol.txt 2.1; nginx NGX_PROXY_PROTOCOL_V1_MAX_HEADER). */
export const PROXY_V1_MAX_HEADER = 107;

/** v2 TLV types (proxy-protocol.txt 2.2). */
export const PP2_TYPE = {
  ALPN: 0x01,
  AUTHORITY: 0x02,
  CRC32C: 0x03,
  NOOP: 0x04,
  UNIQUE_ID: 0x05,
  SSL: 0x20,
  SSL_VERSION: 0x21,
  SSL_CN: 0x22,
  SSL_CIPHER: 0x23,
  SSL_SIG_ALG: 0x24,
  SSL_KEY_ALG: 0x25,
  NETNS: 0x30,
} as const;

/** Bits of the `client` field of PP2_TYPE_SSL (proxy-protocol.txt 2.2.6). */
export const PP2_CLIENT = { SSL: 0x01, CERT_CONN: 0x02, CERT_SESS: 0x04 } as const;

/** Addresses a header carried (the Proxy-Protocol-* auth_http headers are made from these). */
export interface ProxyAddresses {
  readonly family: 4 | 6;
  /** v1: the text as sent; v2: nginx's text for the bytes (ngx_sock_ntop) */
  readonly srcAddr: string;
  readonly srcPort: number;
  readonly dstAddr: string;
  readonly dstPort: number;
}

export interface ProxyTlv {
  readonly type: number;
  readonly value: Buffer;
}

export interface ProxyHeader {
  readonly version: 1 | 2;
  /**
   * null when the header carries no usable addresses: v1 `UNKNOWN`, v2 `LOCAL`, or a v2 family/transport
   * other than TCP over IPv4/IPv6. The connection then keeps its real peer, as in nginx.
   */
  readonly addresses: ProxyAddresses | null;
  /** v2 TLVs after the addresses (empty for v1 and when `addresses` is null) */
  readonly tlvs: readonly ProxyTlv[];
}

export type ProxyParseResult =
  | { readonly type: 'incomplete' }
  | { readonly type: 'header'; readonly header: ProxyHeader; readonly consumed: number }
  /** `log` is the error_log message (level error, action `reading PROXY protocol`) */
  | { readonly type: 'invalid'; readonly log: string };

const INCOMPLETE: ProxyParseResult = { type: 'incomplete' };
const CR = 0x0d;
const LF = 0x0a;
const V2_HEADER = 16;
const PROXY_UNKNOWN = Buffer.from('PROXY UNKNOWN');

/**
 * nginx: ngx_proxy_protocol_read. `buf` holds every byte received so far from the start of the connection.
 * Never throws.
 */
export function parseProxyHeader(buf: Uint8Array): ProxyParseResult {
  if (buf.length === 0) return INCOMPLETE;
  if (buf[0] === CR) {
    const n = Math.min(buf.length, PP2_SIGNATURE.length);
    if (Buffer.compare(Buffer.from(buf.buffer, buf.byteOffset, n), PP2_SIGNATURE.subarray(0, n)) === 0) {
      return buf.length < V2_HEADER ? INCOMPLETE : parseV2(buf);
    }
  }
  return parseV1(buf);
}

// ---- v1 -------------------------------------------------------------------------------------------

function parseV1(buf: Uint8Array): ProxyParseResult {
  const limit = Math.min(buf.length, PROXY_V1_MAX_HEADER);
  if (startsWith(buf, PROXY_UNKNOWN)) {
    // nginx skips whatever follows UNKNOWN up to the first CRLF (proxy-protocol.txt: "must ignore").
    for (let i = PROXY_UNKNOWN.length; i + 1 < limit; i++) {
      if (buf[i] === CR && buf[i + 1] === LF) return { type: 'header', header: UNKNOWN_V1, consumed: i + 2 };
    }
    return buf.length >= PROXY_V1_MAX_HEADER ? brokenHeader(buf) : INCOMPLETE;
  }
  let end = -1;
  for (let i = 0; i < limit; i++) {
    if (buf[i] === CR || buf[i] === LF) {
      end = i;
      break;
    }
  }
  if (end === -1) return buf.length >= PROXY_V1_MAX_HEADER ? brokenHeader(buf) : INCOMPLETE;
  if (buf[end] === CR && end + 1 >= buf.length) {
    // the LF that must follow is not here yet, unless it could not fit in the line anyway
    return end + 1 >= PROXY_V1_MAX_HEADER ? brokenHeader(buf) : INCOMPLETE;
  }
  if (buf[end] !== CR || buf[end + 1] !== LF) return brokenHeader(buf);
  const addresses = parseV1Line(Buffer.from(buf.buffer, buf.byteOffset, end).toString('latin1'));
  if (addresses === null) return brokenHeader(buf);
  return { type: 'header', header: { version: 1, addresses, tlvs: [] }, consumed: end + 2 };
}

const UNKNOWN_V1: ProxyHeader = { version: 1, addresses: null, tlvs: [] };

/** `PROXY TCP4|TCP6 <src> <dst> <sport> <dport>` without the CRLF; null when it is not exactly that. */
function parseV1Line(line: string): ProxyAddresses | null {
  if (!line.startsWith('PROXY TCP4 ') && !line.startsWith('PROXY TCP6 ')) return null;
  const family = line[9] === '4' ? 4 : 6;
  const fields = line.slice(11).split(' ');
  if (fields.length !== 4) return null;
  const [srcAddr = '', dstAddr = '', sport = '', dport = ''] = fields;
  const srcPort = port(sport);
  const dstPort = port(dport);
  if (srcPort === null || dstPort === null) return null;
  if (!addressOf(srcAddr, family) || !addressOf(dstAddr, family)) return null;
  return { family, srcAddr, srcPort, dstAddr, dstPort };
}

/** nginx: ngx_proxy_protocol_read_port — decimal digits (leading zeros allowed), at most 65535. */
function port(text: string): number | null {
  if (!/^[0-9]{1,5}$/.test(text)) return null;
  const n = Number(text);
  return n > 65535 ? null : n;
}

/** nginx's character check (ngx_proxy_protocol_read_addr), then a valid address of the family. */
function addressOf(text: string, family: 4 | 6): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return false;
  const ip = parseIp(text);
  return ip !== null && ip.family === family;
}

/** nginx logs the bytes up to the first CR or LF. */
function brokenHeader(buf: Uint8Array): ProxyParseResult {
  const limit = Math.min(buf.length, PROXY_V1_MAX_HEADER);
  let end = 0;
  while (end < limit && buf[end] !== CR && buf[end] !== LF) end++;
  return { type: 'invalid', log: `broken header: "${printable(buf, end)}"` };
}

function printable(buf: Uint8Array, end: number): string {
  let s = '';
  for (let i = 0; i < end; i++) {
    const b = buf[i] ?? 0;
    s += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return s;
}

function startsWith(buf: Uint8Array, prefix: Buffer): boolean {
  if (buf.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (buf[i] !== prefix[i]) return false;
  return true;
}

// ---- v2 -------------------------------------------------------------------------------------------

/** nginx: ngx_proxy_protocol_v2_read. `buf` starts with the signature and holds at least 16 bytes. */
function parseV2(buf: Uint8Array): ProxyParseResult {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  const versionCommand = b[12] ?? 0;
  const version = versionCommand >> 4;
  if (version !== 2) return { type: 'invalid', log: `unknown PROXY protocol version: ${String(version)}` };
  const total = V2_HEADER + b.readUInt16BE(14);
  if (total > PROXY_PROTOCOL_MAX_HEADER) return { type: 'invalid', log: 'header is too large' };
  if (b.length < total) return INCOMPLETE;
  const command = versionCommand & 0x0f;
  const familyTransport = b[13] ?? 0;
  const family = familyTransport >> 4;
  const transport = familyTransport & 0x0f;
  // nginx accepts any command other than PROXY, and any family or transport it does not know, as a
  // header without addresses (LOCAL, health checks, UNIX sockets, UDP)
  if (command !== 1 || transport !== 1 || (family !== 1 && family !== 2)) {
    return { type: 'header', header: { version: 2, addresses: null, tlvs: [] }, consumed: total };
  }
  const addrLen = family === 1 ? 12 : 36;
  if (total - V2_HEADER < addrLen) {
    // nginx closes such a connection without a log line; we say why
    return { type: 'invalid', log: 'PROXY protocol v2 header is too short for its addresses' };
  }
  const a = V2_HEADER;
  const w = family === 1 ? 4 : 16;
  const src = Uint8Array.from(b.subarray(a, a + w));
  const dst = Uint8Array.from(b.subarray(a + w, a + 2 * w));
  const addresses: ProxyAddresses = {
    family: family === 1 ? 4 : 6,
    srcAddr: inetNtop(src),
    dstAddr: inetNtop(dst),
    srcPort: b.readUInt16BE(a + 2 * w),
    dstPort: b.readUInt16BE(a + 2 * w + 2),
  };
  const tlvStart = a + addrLen;
  const tlvs = parseTlvs(b.subarray(tlvStart, total));
  let at = tlvStart;
  for (const t of tlvs) {
    if (t.type === PP2_TYPE.CRC32C && !crcMatches(b.subarray(0, total), at + 3, t.value)) {
      return { type: 'invalid', log: 'PROXY protocol v2 CRC32c checksum mismatch' };
    }
    at += 3 + t.value.length;
  }
  return { type: 'header', header: { version: 2, addresses, tlvs }, consumed: total };
}

/** TLVs that fit completely; a truncated tail is ignored, as nginx stores the bytes without checking. */
function parseTlvs(body: Buffer): ProxyTlv[] {
  const out: ProxyTlv[] = [];
  let p = 0;
  while (p + 3 <= body.length) {
    const type = body[p] ?? 0;
    const len = body.readUInt16BE(p + 1);
    if (p + 3 + len > body.length) break;
    out.push({ type, value: Buffer.from(body.subarray(p + 3, p + 3 + len)) });
    p += 3 + len;
  }
  return out;
}

/** The checksum covers the whole header with its own value field (at `valueAt`) zeroed. */
function crcMatches(header: Buffer, valueAt: number, value: Buffer): boolean {
  if (value.length !== 4) return false;
  const copy = Buffer.from(header);
  copy.fill(0, valueAt, valueAt + 4);
  return crc32c(copy) === value.readUInt32BE(0);
}

let CRC32C_TABLE: Uint32Array | null = null;

/** CRC32c (Castagnoli), RFC 4960 appendix B, as proxy-protocol.txt 2.2.3 asks. */
export function crc32c(data: Uint8Array): number {
  if (CRC32C_TABLE === null) {
    CRC32C_TABLE = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
      CRC32C_TABLE[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const byte of data) crc = (CRC32C_TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** The PP2_TYPE_SSL value split into its fields (proxy-protocol.txt 2.2.6); null when malformed. */
export function decodeSslTlv(value: Buffer): { client: number; verify: number; subTlvs: ProxyTlv[] } | null {
  if (value.length < 5) return null;
  return { client: value[0] ?? 0, verify: value.readUInt32BE(1), subTlvs: parseTlvs(value.subarray(5)) };
}

// ---- building ---------------------------------------------------------------------------------------

/** One end of a connection: IP text as Node reports it (IPv4, IPv6, or `::ffff:a.b.c.d`) and a port. */
export interface ProxyEndpoint {
  readonly address: string;
  readonly port: number;
}

/** TLS facts for PP2_TYPE_SSL, from the client connection. */
export interface ProxyV2Ssl {
  /** e.g. `TLSv1.3` (OpenSSL's SSL_get_version) */
  readonly version: string;
  /** OpenSSL's cipher name */
  readonly cipher: string;
  /** where the client's certificate came from: this handshake, a resumed session, or nowhere */
  readonly clientCert: 'none' | 'connection' | 'session';
  /** the certificate was presented and verified (the `verify` field is then 0, otherwise 1) */
  readonly verified: boolean;
  /** the certificate's subject CN, for PP2_SUBTYPE_SSL_CN; omitted when absent */
  readonly commonName?: string | null;
}

export interface ProxyV2Extras {
  readonly ssl?: ProxyV2Ssl | null;
  /** the ALPN protocol negotiated with the client (PP2_TYPE_ALPN) */
  readonly alpn?: string | null;
  /** the SNI name the client sent (PP2_TYPE_AUTHORITY) */
  readonly authority?: string | null;
}

type Pair = { readonly src: IpBytes; readonly dst: IpBytes } | null;

/**
 * Both ends in one family: a mapped address is turned back into IPv4 when the other end is IPv4, and
 * IPv4 is promoted to `::ffff:a.b.c.d` when the other end is real IPv6 (nginx's v2 writer does the same;
 * for v1 nginx would print the two families as they are, which the spec does not allow).
 */
function sameFamily(src: ProxyEndpoint | null, dst: ProxyEndpoint | null): Pair {
  const s = src === null ? null : parseIp(src.address);
  const d = dst === null ? null : parseIp(dst.address);
  if (s === null || d === null) return null;
  if (s.family === d.family) return { src: s, dst: d };
  const s4 = s.family === 4 ? s : unmapIpv4(s);
  const d4 = d.family === 4 ? d : unmapIpv4(d);
  if (s4 !== null && d4 !== null) return { src: s4, dst: d4 };
  return { src: mapIpv4(s), dst: mapIpv4(d) };
}

/**
 * nginx: ngx_proxy_protocol_write. `src` is the client (after realip), `dst` the local address it
 * connected to; either is null for a UNIX socket, which gives `PROXY UNKNOWN\r\n`.
 */
export function buildProxyV1(src: ProxyEndpoint | null, dst: ProxyEndpoint | null): Buffer {
  const pair = sameFamily(src, dst);
  if (pair === null || src === null || dst === null) return Buffer.from('PROXY UNKNOWN\r\n', 'latin1');
  const proto = pair.src.family === 4 ? 'TCP4' : 'TCP6';
  return Buffer.from(
    `PROXY ${proto} ${inetNtop(pair.src.bytes)} ${inetNtop(pair.dst.bytes)} ${String(src.port)} ${String(dst.port)}\r\n`,
    'latin1',
  );
}

/**
 * The binary header (nginx 1.31.4's ngx_proxy_protocol_v2_write): command PROXY over TCP; AF_INET when
 * both ends are IPv4 (or both IPv4-mapped), AF_INET6 otherwise; an unknown end (UNIX socket) becomes
 * 127.0.0.1 or ::1 port 0 when the other end is known, and AF_UNSPEC with no addresses when neither is.
 * TLVs: ALPN, AUTHORITY, then PP2_TYPE_SSL with SSL_VERSION, SSL_CN (when given) and SSL_CIPHER.
 */
export function buildProxyV2(src: ProxyEndpoint | null, dst: ProxyEndpoint | null, extras: ProxyV2Extras = {}): Buffer {
  const s = src === null ? null : parseIp(src.address);
  const d = dst === null ? null : parseIp(dst.address);
  let family = 0;
  let addr: Buffer = Buffer.alloc(0);
  if (s !== null || d !== null) {
    const known = (s ?? d) as IpBytes;
    const placeholder = (f: 4 | 6): IpBytes =>
      f === 4 ? { family: 4, bytes: Uint8Array.of(127, 0, 0, 1) } : { family: 6, bytes: Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1) };
    const srcIp = s ?? placeholder(known.family);
    const dstIp = d ?? placeholder(known.family);
    let pair = sameFamily(
      { address: inetNtop(srcIp.bytes), port: 0 },
      { address: inetNtop(dstIp.bytes), port: 0 },
    ) as NonNullable<Pair>;
    const s4 = unmapIpv4(pair.src);
    const d4 = unmapIpv4(pair.dst);
    // nginx: both ends IPv4-mapped are written as AF_INET
    if (s4 !== null && d4 !== null) pair = { src: s4, dst: d4 };
    family = pair.src.family === 4 ? 0x1 : 0x2;
    const w = pair.src.family === 4 ? 4 : 16;
    addr = Buffer.alloc(2 * w + 4);
    addr.set(pair.src.bytes, 0);
    addr.set(pair.dst.bytes, w);
    addr.writeUInt16BE(s === null || src === null ? 0 : src.port, 2 * w);
    addr.writeUInt16BE(d === null || dst === null ? 0 : dst.port, 2 * w + 2);
  }
  const tlvs: Buffer[] = [];
  if (extras.alpn) tlvs.push(tlv(PP2_TYPE.ALPN, Buffer.from(extras.alpn, 'latin1')));
  if (extras.authority) tlvs.push(tlv(PP2_TYPE.AUTHORITY, Buffer.from(extras.authority, 'utf8')));
  if (extras.ssl) tlvs.push(sslTlv(extras.ssl));
  const body = Buffer.concat([addr, ...tlvs]);
  const head = Buffer.alloc(V2_HEADER);
  PP2_SIGNATURE.copy(head, 0);
  head[12] = 0x21; // version 2, command PROXY
  head[13] = (family << 4) | (family === 0 ? 0 : 0x1); // STREAM
  head.writeUInt16BE(body.length, 14);
  return Buffer.concat([head, body]);
}

function tlv(type: number, value: Buffer): Buffer {
  const out = Buffer.alloc(3 + value.length);
  out[0] = type;
  out.writeUInt16BE(value.length, 1);
  value.copy(out, 3);
  return out;
}

function sslTlv(ssl: ProxyV2Ssl): Buffer {
  let client: number = PP2_CLIENT.SSL;
  if (ssl.clientCert === 'connection') client |= PP2_CLIENT.CERT_CONN | PP2_CLIENT.CERT_SESS;
  else if (ssl.clientCert === 'session') client |= PP2_CLIENT.CERT_SESS;
  const head = Buffer.alloc(5);
  head[0] = client;
  // proxy-protocol.txt 2.2.6: zero only when a certificate was presented and verified
  head.writeUInt32BE(ssl.clientCert !== 'none' && ssl.verified ? 0 : 1, 1);
  const subs = [tlv(PP2_TYPE.SSL_VERSION, Buffer.from(ssl.version, 'latin1'))];
  if (ssl.commonName) subs.push(tlv(PP2_TYPE.SSL_CN, Buffer.from(ssl.commonName, 'utf8')));
  subs.push(tlv(PP2_TYPE.SSL_CIPHER, Buffer.from(ssl.cipher, 'latin1')));
  return tlv(PP2_TYPE.SSL, Buffer.concat([head, ...subs]));
}
