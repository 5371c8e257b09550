/**
 * A tiny scripted DNS server on 127.0.0.1 (UDP) for resolver tests: each query is answered by a test
 * function with records, an rcode, or silence (to make the client time out).
 *
 * Owns: just enough of RFC 1035 to parse one question and build an answer with PTR/A/AAAA records.
 * Deliberately does not own recursion, TCP, EDNS or name compression in answers (names are written
 * uncompressed, which every resolver accepts).
 */
import dgram from 'node:dgram';
import net from 'node:net';

export const DNS_TYPE = { A: 1, PTR: 12, AAAA: 28 } as const;

/** rcodes the tests use (RFC 1035 4.1.1). */
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

export interface DnsQuestion {
  /** lowercase dotted name without the trailing dot, e.g. `7.2.0.192.in-addr.arpa` */
  readonly name: string;
  readonly type: number;
}

/** What to answer; `drop` sends nothing at all. PTR names are raw bytes per label so tests can craft bad names. */
export type DnsAnswer =
  | { readonly drop: true }
  | {
      readonly rcode?: number;
      /** each PTR target as dotted text, or as a list of raw labels */
      readonly ptr?: readonly (string | readonly Buffer[])[];
      readonly a?: readonly string[];
      readonly aaaa?: readonly string[];
    };

export type DnsScript = (q: DnsQuestion) => DnsAnswer;

export interface FakeDns {
  /** `127.0.0.1:<port>`, the form a resolver address list takes */
  readonly address: string;
  readonly port: number;
  /** every question received, in order */
  readonly questions: DnsQuestion[];
  close(): Promise<void>;
}

function encodeName(name: string | readonly Buffer[]): Buffer {
  const labels = typeof name === 'string' ? name.split('.').filter((l) => l.length > 0).map((l) => Buffer.from(l, 'latin1')) : name;
  const parts: Buffer[] = [];
  for (const l of labels) parts.push(Buffer.from([l.length]), l);
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

function rr(owner: Buffer, type: number, rdata: Buffer): Buffer {
  const head = Buffer.alloc(10);
  head.writeUInt16BE(type, 0);
  head.writeUInt16BE(1, 2); // class IN
  head.writeUInt32BE(60, 4); // TTL
  head.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([owner, head, rdata]);
}

function ipv6Bytes(text: string): Buffer {
  const out = Buffer.alloc(16);
  const [headText = '', tailText] = text.split('::');
  const head = headText === '' ? [] : headText.split(':');
  const tail = tailText === undefined || tailText === '' ? [] : tailText.split(':');
  const groups = tailText === undefined ? head : [...head, ...new Array<string>(8 - head.length - tail.length).fill('0'), ...tail];
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** Parse the first question; null when the packet is too broken to answer. */
function parseQuestion(msg: Buffer): { id: number; question: DnsQuestion; qEnd: number } | null {
  if (msg.length < 12) return null;
  let p = 12;
  const labels: string[] = [];
  for (let guard = 0; guard < 128; guard++) {
    const len = msg[p];
    if (len === undefined) return null;
    p++;
    if (len === 0) break;
    labels.push(msg.toString('latin1', p, p + len).toLowerCase());
    p += len;
  }
  if (p + 4 > msg.length) return null;
  return { id: msg.readUInt16BE(0), question: { name: labels.join('.'), type: msg.readUInt16BE(p) }, qEnd: p + 4 };
}

export async function startFakeDns(script: DnsScript): Promise<FakeDns> {
  const sock = dgram.createSocket('udp4');
  const questions: DnsQuestion[] = [];
  sock.on('message', (msg, rinfo) => {
    const q = parseQuestion(msg);
    if (q === null) return;
    questions.push(q.question);
    const answer = script(q.question);
    if ('drop' in answer) return;
    const owner = msg.subarray(12, q.qEnd - 4);
    const records: Buffer[] = [];
    if (q.question.type === DNS_TYPE.PTR) for (const t of answer.ptr ?? []) records.push(rr(owner, DNS_TYPE.PTR, encodeName(t)));
    if (q.question.type === DNS_TYPE.A) {
      for (const a of answer.a ?? []) records.push(rr(owner, DNS_TYPE.A, Buffer.from(a.split('.').map(Number))));
    }
    if (q.question.type === DNS_TYPE.AAAA) {
      for (const a of answer.aaaa ?? []) records.push(rr(owner, DNS_TYPE.AAAA, ipv6Bytes(a)));
    }
    const head = Buffer.alloc(12);
    head.writeUInt16BE(q.id, 0);
    // QR=1, opcode 0, AA=1, RD copied, RA=1, rcode
    head[2] = 0x84 | ((msg[2] as number) & 0x01);
    head[3] = 0x80 | ((answer.rcode ?? RCODE.NOERROR) & 0x0f);
    head.writeUInt16BE(1, 4);
    head.writeUInt16BE(records.length, 6);
    sock.send(Buffer.concat([head, msg.subarray(12, q.qEnd), ...records]), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(0, '127.0.0.1', () => {
      sock.off('error', reject);
      resolve();
    });
  });
  const port = sock.address().port;
  return {
    address: `127.0.0.1:${String(port)}`,
    port,
    questions,
    close: () =>
      new Promise<void>((resolve) => {
        sock.close(() => {
          resolve();
        });
      }),
  };
}

/** The reverse-lookup name of an address, as the tests script it (`in-addr.arpa` / `ip6.arpa`). */
export function reverseName(addr: string): string {
  if (net.isIPv4(addr)) return `${addr.split('.').reverse().join('.')}.in-addr.arpa`;
  const hex = ipv6Bytes(addr).toString('hex');
  return `${hex.split('').reverse().join('.')}.ip6.arpa`;
}
