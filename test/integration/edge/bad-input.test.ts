/**
 * Bad input at the edge (issue 7): truncated, oversized and broken PROXY headers, TLS garbage, and TLS
 * handshakes that never finish (implicit and after STARTTLS). Each connection is closed — at once, or
 * when `timeout` (1 s here) runs out — with no reply, and logged with nginx's text, level and action;
 * sessions opened meanwhile on the same listeners go on.
 *
 * Every case also runs against nginx 1.22 with the same configuration. Where nginx logs differently the
 * case says so (`nginx`), and docs/tls.md lists the difference: nginx judges a PROXY header from the first
 * read (so a header split across segments is "broken"), prints a broken header's line ending raw, logs
 * `broken header: ""` for a connection closed before any byte, and closes a TLS handshake that times out
 * without a log line.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeCerts } from '../../helpers/certs.js';
import { fail, startFakeAuthHttp, type FakeAuthHttp } from '../../helpers/fake-auth-http.js';
import { connectLine, type LineClient } from '../../helpers/line-client.js';
import { startNginx, type Nginx } from '../../helpers/nginx.js';
import { freePort } from '../../helpers/ports.js';
import { parseEdgeLog, portsOf, startEdgeProxy, type EdgeProxy } from './edge-proxy.js';

interface Listens {
  /** IMAP behind a balancer: `listen … proxy_protocol` */
  readonly proxied: number;
  /** IMAP, implicit TLS */
  readonly tls: number;
  /** SMTP, STARTTLS */
  readonly starttls: number;
  /** IMAP behind a balancer with implicit TLS: `listen … ssl proxy_protocol` */
  readonly proxiedTls: number;
}

function mailConfig(cert: string, key: string, authUrl: string, l: Listens): string {
  return `server_name mail.example.test;
auth_http ${authUrl};
timeout 1s;
ssl_certificate ${cert};
ssl_certificate_key ${key};
server { listen 127.0.0.1:${l.proxied} proxy_protocol; protocol imap; set_real_ip_from 127.0.0.1; }
server { listen 127.0.0.1:${l.tls} ssl; protocol imap; }
server { listen 127.0.0.1:${l.starttls}; protocol smtp; starttls on; }
server { listen 127.0.0.1:${l.proxiedTls} ssl proxy_protocol; protocol imap; set_real_ip_from 127.0.0.1; }`;
}

/** The first bytes of a TLS 1.2/1.3 ClientHello record: handshake, version, a length of 512, type 1. */
const CLIENT_HELLO_START = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]);
/** The PROXY v2 signature. */
const V2_SIG = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');

type Target = 'postern' | 'nginx';

interface Case {
  readonly name: string;
  readonly listen: keyof Listens;
  /** what the client does; the connection must then be closed by the server */
  run(c: LineClient): Promise<void> | void;
  /** the session's log lines at their levels (the `connected to` line and postern's `session closed` left out) */
  readonly log: (port: number) => readonly string[];
  /** nginx 1.22's lines where they differ; `raw`: a line with a raw line ending, found in the log text */
  readonly nginx?: (port: number) => readonly string[] | { readonly raw: string };
}

const ctx = (port: number, starttls = false, client = '127.0.0.1'): string =>
  `client: ${client}${starttls ? ' using starttls' : ''}, server: 127.0.0.1:${port}`;

const CASES: readonly Case[] = [
  {
    name: 'a truncated PROXY v1 header times out while reading it',
    listen: 'proxied',
    run: (c) => {
      c.send('PROXY TCP4 192.0.2.7 127.0.0.1 5');
    },
    log: (port) => [`[info] client timed out (110: Connection timed out) while reading PROXY protocol, ${ctx(port)}`],
    nginx: (port) => [`[error] broken header: "PROXY TCP4 192.0.2.7 127.0.0.1 5" while reading PROXY protocol, ${ctx(port)}`],
  },
  {
    name: 'a truncated PROXY v2 header times out while reading it',
    listen: 'proxied',
    run: (c) => {
      c.send(Buffer.concat([V2_SIG, Buffer.from([0x21, 0x11, 0x00, 0x0c, 0xc0, 0x00])]));
    },
    log: (port) => [`[info] client timed out (110: Connection timed out) while reading PROXY protocol, ${ctx(port)}`],
    nginx: (port) => [`[error] header is too large while reading PROXY protocol, ${ctx(port)}`],
  },
  {
    name: 'a connection closed before any PROXY byte',
    listen: 'proxied',
    run: (c) => {
      c.end();
    },
    log: () => [],
    nginx: (port) => [`[error] broken header: "" while reading PROXY protocol, ${ctx(port)}`],
  },
  {
    name: 'an oversized PROXY v1 line is a broken header',
    listen: 'proxied',
    run: (c) => {
      c.send(`PROXY TCP4 192.0.2.7 127.0.0.1 5000 ${'1'.repeat(100)} 143\r\n`);
    },
    log: (port) => [
      // the first 107 bytes, a v1 header's longest
      `[error] broken header: "PROXY TCP4 192.0.2.7 127.0.0.1 5000 ${'1'.repeat(71)}" while reading PROXY protocol, ${ctx(port)}`,
    ],
  },
  {
    name: 'a PROXY v2 header announcing more than 4 KiB is refused',
    listen: 'proxied',
    run: (c) => {
      c.send(Buffer.concat([V2_SIG, Buffer.from([0x21, 0x11, 0x20, 0x00]), Buffer.alloc(64)]));
    },
    log: (port) => [`[error] header is too large while reading PROXY protocol, ${ctx(port)}`],
  },
  {
    name: 'a mail command instead of a PROXY header is a broken header',
    listen: 'proxied',
    run: (c) => {
      c.send('a CAPABILITY\r\n');
    },
    log: (port) => [`[error] broken header: "a CAPABILITY" while reading PROXY protocol, ${ctx(port)}`],
    nginx: (port) => ({ raw: `broken header: "a CAPABILITY\r\n" while reading PROXY protocol, ${ctx(port)}\n` }),
  },
  {
    name: 'plain text on an implicit-TLS listener fails the handshake',
    listen: 'tls',
    run: (c) => {
      c.send('a CAPABILITY\r\n');
    },
    log: (port) => [
      `[info] SSL_do_handshake() failed (SSL: error:0A00010B:SSL routines::wrong version number) while SSL handshaking, ${ctx(port)}`,
    ],
  },
  {
    name: 'an HTTP request on an implicit-TLS listener fails the handshake',
    listen: 'tls',
    run: (c) => {
      c.send('GET / HTTP/1.0\r\n\r\n');
    },
    log: (port) => [`[info] SSL_do_handshake() failed (SSL: error:0A00009C:SSL routines::http request) while SSL handshaking, ${ctx(port)}`],
  },
  {
    name: 'a handshake that never starts times out',
    listen: 'tls',
    run: () => {
      // nothing: the client says nothing at all
    },
    log: (port) => [`[info] client timed out (110: Connection timed out) while SSL handshaking, ${ctx(port)}`],
    nginx: () => [],
  },
  {
    name: 'a ClientHello that stops half-way times out',
    listen: 'tls',
    run: (c) => {
      c.send(CLIENT_HELLO_START);
    },
    log: (port) => [`[info] client timed out (110: Connection timed out) while SSL handshaking, ${ctx(port)}`],
    nginx: () => [],
  },
  {
    name: 'TLS garbage behind a trusted PROXY header is logged with the real client',
    listen: 'proxiedTls',
    run: (c) => {
      c.send('PROXY TCP4 192.0.2.7 127.0.0.1 40000 993\r\na CAPABILITY\r\n');
    },
    log: (port) => [
      `[info] SSL_do_handshake() failed (SSL: error:0A00010B:SSL routines::wrong version number) while SSL handshaking, ${ctx(port, false, '192.0.2.7')}`,
    ],
  },
  {
    name: 'a handshake that never starts behind a trusted PROXY header times out, logged with the real client',
    listen: 'proxiedTls',
    run: (c) => {
      c.send('PROXY TCP4 192.0.2.7 127.0.0.1 40000 993\r\n');
    },
    log: (port) => [`[info] client timed out (110: Connection timed out) while SSL handshaking, ${ctx(port, false, '192.0.2.7')}`],
    nginx: () => [],
  },
  {
    name: 'a STARTTLS handshake that never starts times out',
    listen: 'starttls',
    run: async (c) => {
      await c.expect('220 mail.example.test ESMTP ready\r\n');
      c.send('STARTTLS\r\n');
      await c.expect('220 2.0.0 Start TLS\r\n');
    },
    log: (port) => [`[info] client timed out (110: Connection timed out) while in starttls state, ${ctx(port, true)}`],
    nginx: () => [],
  },
  {
    name: 'plain text after STARTTLS fails the handshake',
    listen: 'starttls',
    run: async (c) => {
      await c.expect('220 mail.example.test ESMTP ready\r\n');
      c.send('STARTTLS\r\n');
      await c.expect('220 2.0.0 Start TLS\r\n');
      c.send('EHLO smuggled.example\r\n');
    },
    log: (port) => [
      `[info] SSL_do_handshake() failed (SSL: error:0A00010B:SSL routines::wrong version number) while in starttls state, ${ctx(port, true)}`,
    ],
  },
];

describe('bad input at the edge is closed and logged as nginx does', () => {
  let auth: FakeAuthHttp;
  let proxy: EdgeProxy;
  let nginx: Nginx;
  const listens: Record<Target, Listens> = {
    postern: { proxied: 0, tls: 0, starttls: 0, proxiedTls: 0 },
    nginx: { proxied: 0, tls: 0, starttls: 0, proxiedTls: 0 },
  };

  before(async () => {
    const certs = await makeCerts();
    auth = await startFakeAuthHttp({ script: [fail('Invalid login or password')] });
    for (const t of ['postern', 'nginx'] as const) {
      listens[t] = { proxied: await freePort(), tls: await freePort(), starttls: await freePort(), proxiedTls: await freePort() };
    }
    const conf = (l: Listens): string => mailConfig(certs.serverEcdsa.cert, certs.serverEcdsa.key, auth.url, l);
    proxy = await startEdgeProxy({ mail: conf(listens.postern) }, portsOf(listens.postern));
    nginx = await startNginx({ mailConfig: conf(listens.nginx) });
  });

  after(async () => {
    await nginx.stop();
    await proxy.stop();
    await auth.close();
  });

  const logText = (t: Target): string => (t === 'postern' ? proxy.logText() : nginx.errorLog());

  /**
   * The session lines of the connection from local port `clientPort`, the `connected to` line and
   * postern's `session closed` record left out. Call once the server closed the connection: nginx has
   * written its lines by then; postern's session is over once its `session closed` record is written.
   */
  const sessionLines = async (t: Target, since: number, clientPort: number): Promise<string[]> => {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const lines = parseEdgeLog(logText(t).slice(since));
      const cid = lines.find((l) => l.text.startsWith(`client 127.0.0.1:${clientPort} connected to `))?.cid;
      const own = cid === undefined ? [] : lines.filter((l) => l.cid === cid);
      const ended = cid !== undefined && (t === 'nginx' || own.some((l) => l.text.startsWith('session closed')));
      if (ended) {
        return own
          .filter((l) => !l.text.includes(' connected to ') && !l.text.startsWith('session closed'))
          .map((l) => `[${l.level}] ${l.text}`);
      }
      if (Date.now() > deadline) assert.fail(`${t}: no end of the session from port ${clientPort}:\n${logText(t).slice(since)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  it('postern answers a command sent in the same segment as the PROXY header (nginx 1.22 leaves it unread until more comes)', async () => {
    const c = await connectLine({ port: listens.postern.proxied });
    c.send('PROXY TCP4 192.0.2.8 127.0.0.1 40001 143\r\na NOOP\r\n');
    await c.expect('* OK IMAP4 ready\r\na OK completed\r\n');
    c.destroy();
  });

  for (const target of ['postern', 'nginx'] as const) {
    describe(target, () => {
      for (const k of CASES) {
        it(`${k.name}: closed without a reply and logged`, async () => {
          const port = listens[target][k.listen];
          const since = logText(target).length;
          const c = await connectLine({ port, timeoutMs: 8_000 });
          const clientPort = c.socket.localPort ?? 0;
          await k.run(c);
          const rest = await c.waitClosed({ timeoutMs: 8_000 });
          assert.equal(rest.length, 0, `the server answered: ${rest.toString('latin1')}`);
          const lines = await sessionLines(target, since, clientPort);
          const want = target === 'nginx' && k.nginx !== undefined ? k.nginx(port) : k.log(port);
          if ('raw' in want) {
            assert.ok(logText(target).slice(since).includes(want.raw), logText(target).slice(since));
          } else {
            assert.deepEqual(lines, want);
          }
        });
      }

      it('sessions started while bad ones hang are served on every listener', async () => {
        const l = listens[target];
        // three connections that will only time out
        const stuck = [
          await connectLine({ port: l.proxied }),
          await connectLine({ port: l.tls }),
          await connectLine({ port: l.starttls }),
        ];
        stuck[0]?.send('PROXY TCP4 192.0.2');
        stuck[1]?.send(CLIENT_HELLO_START);
        try {
          const proxied = await connectLine({ port: l.proxied });
          proxied.send('PROXY TCP4 192.0.2.7 127.0.0.1 40000 143\r\n');
          await proxied.expect('* OK IMAP4 ready\r\n');
          proxied.send('a NOOP\r\n');
          await proxied.expect('a OK completed\r\n');
          proxied.send('b LOGIN alice x\r\n');
          await proxied.expect('b NO Invalid login or password\r\n');
          proxied.destroy();
          assert.equal(auth.requests.at(-1)?.header('Client-IP'), '192.0.2.7');
          const tls = await connectLine({ port: l.tls, tls: true });
          await tls.expect('* OK IMAP4 ready\r\n');
          tls.destroy();
          const st = await connectLine({ port: l.starttls });
          await st.expect('220 mail.example.test ESMTP ready\r\n');
          st.send('STARTTLS\r\n');
          await st.expect('220 2.0.0 Start TLS\r\n');
          await st.starttls();
          st.send('EHLO x\r\n');
          await st.expect('250-mail.example.test\r\n250 AUTH PLAIN LOGIN\r\n');
          st.destroy();
        } finally {
          for (const s of stuck) s.destroy();
        }
      });
    });
  }
});
