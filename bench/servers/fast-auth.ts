/**
 * The fast auth_http responder: every request gets `Auth-Status: OK` with the backend for its
 * Auth-Protocol, with as little work as possible, so the bench measures the proxy, not the auth service.
 *
 * Usage: node fast-auth.js --port <p> --imap <host:port> --pop3 <host:port> --smtp <host:port> [--procs N]
 * Prints `READY <pid list>` once listening. HTTP/1.0 requests (nginx; postern with
 * `auth_http_keepalive 0`) get an HTTP/1.0 answer and the connection is closed after it; HTTP/1.1
 * requests (postern's keep-alive pool) get `Content-Length: 0` and the connection stays open for the
 * next request, pipelined or not. Answers are precomputed; a request is only scanned for its end, its
 * version and its Auth-Protocol value. Does not own any auth logic: every login is good.
 */
import { createServer, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { runClustered } from './clustered.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    imap: { type: 'string', default: '127.0.0.1:143' },
    pop3: { type: 'string', default: '127.0.0.1:110' },
    smtp: { type: 'string', default: '127.0.0.1:25' },
    procs: { type: 'string', default: '1' },
  },
});

const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');
const PROTO_HEADER = Buffer.from('\nAuth-Protocol: ', 'latin1');
const MAX_HEAD_BYTES = 16 * 1024;

function answers(target: string): { http10: Buffer; http11: Buffer } {
  const i = target.lastIndexOf(':');
  const headers = `Auth-Status: OK\r\nAuth-Server: ${target.slice(0, i)}\r\nAuth-Port: ${target.slice(i + 1)}\r\n`;
  return {
    http10: Buffer.from(`HTTP/1.0 200 OK\r\n${headers}\r\n`, 'latin1'),
    http11: Buffer.from(`HTTP/1.1 200 OK\r\n${headers}Content-Length: 0\r\n\r\n`, 'latin1'),
  };
}

const byProto = { i: answers(values.imap), p: answers(values.pop3), s: answers(values.smtp) };

/** First letter of the Auth-Protocol value (`i`map, `p`op3, `s`mtp), defaulting to IMAP. */
function protocolOf(head: Buffer, end: number): 'i' | 'p' | 's' {
  const at = head.indexOf(PROTO_HEADER);
  if (at < 0 || at >= end) return 'i';
  const c = head[at + PROTO_HEADER.length];
  return c === 0x70 ? 'p' : c === 0x73 ? 's' : 'i';
}

function serve(socket: Socket): void {
  let pending: Buffer | null = null;
  socket.setNoDelay(true);
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    let buf = pending === null ? chunk : Buffer.concat([pending, chunk]);
    pending = null;
    for (;;) {
      const end = buf.indexOf(HEAD_END);
      if (end < 0) {
        if (buf.length > MAX_HEAD_BYTES) socket.destroy();
        else pending = buf;
        return;
      }
      // `GET /auth HTTP/1.1`: the version's last digit comes right before the first CRLF.
      const cr = buf.indexOf(0x0d);
      const http11 = buf[cr - 1] === 0x31;
      const a = byProto[protocolOf(buf, end)];
      if (!http11) {
        socket.end(a.http10);
        return;
      }
      socket.write(a.http11);
      if (end + 4 === buf.length) return;
      buf = buf.subarray(end + 4);
    }
  });
}

function listen(): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer({ noDelay: true }, serve);
    server.on('error', reject);
    server.listen({ host: '127.0.0.1', port: Number(values.port), backlog: 4096 }, resolve);
  });
}

await runClustered(Math.max(1, Number(values.procs)), listen);
