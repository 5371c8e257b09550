/**
 * The request builder against the real thing: Debian's nginx (mail module) logs in through the fake auth
 * service, and for every request it sends we build ours from the same inputs and compare the bytes.
 * Needs `nginx` and /usr/lib/nginx/modules/ngx_mail_module.so (installed by .ci/run).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuthRequest } from '../../../src/protocol/types.js';
import type { AuthProtocolName } from '../../../src/auth/types.js';
import { buildAuthRequest, prepareAuthTarget } from '../../../src/auth/request.js';
import {
  fail,
  pctDecode,
  startFakeAuthHttp,
  type FakeAuthHttp,
  type FakeAuthRequest,
} from '../../helpers/fake-auth-http.js';

const MAIL_MODULE = '/usr/lib/nginx/modules/ngx_mail_module.so';
const EXTRA: readonly (readonly [string, string])[] = [['X-Auth-Key', 's3 cret']];

let dir = '';
let nginx: ChildProcess | null = null;
let auth: FakeAuthHttp;
const ports = { imap: 0, pop3: 0, smtp: 0, smtpNone: 0 };

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => {
    srv.close(() => {
      r();
    });
  });
  return port;
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => {
        resolve(false);
      });
    });
    if (up) return;
    if (Date.now() > deadline) throw new Error(`nginx did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A minimal line client: send lines, read until a pattern shows up. */
class Dialog {
  private buf = '';
  private waiting: (() => void) | null = null;
  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.buf += d;
      this.waiting?.();
    });
    socket.on('error', () => {
      /* nginx closes after a failed login */
    });
  }

  static async open(port: number): Promise<Dialog> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new Dialog(socket);
  }

  async expect(re: RegExp, timeoutMs = 5000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = re.exec(this.buf);
      if (m !== null) {
        this.buf = this.buf.slice(m.index + m[0].length);
        return m;
      }
      if (Date.now() > deadline) throw new Error(`expected ${String(re)}, have ${JSON.stringify(this.buf)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.waiting = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  send(line: string | Buffer): void {
    this.socket.write(
      Buffer.concat([typeof line === 'string' ? Buffer.from(line, 'latin1') : line, Buffer.from('\r\n')]),
    );
  }

  close(): void {
    this.socket.destroy();
  }
}

const b64 = (b: Buffer): string => b.toString('base64');

function ours(over: Partial<AuthRequest>, protocol: AuthProtocolName, clientHost: string | null): Buffer {
  const request: AuthRequest = {
    method: 'plain',
    login: Buffer.alloc(0),
    password: Buffer.alloc(0),
    salt: null,
    smtpHelo: null,
    smtpFrom: null,
    smtpTo: null,
    ...over,
  };
  const target = prepareAuthTarget({
    uri: '/auth',
    hostHeader: '127.0.0.1',
    headers: EXTRA,
    passClientCert: false,
    keepalive: false,
  });
  return buildAuthRequest(target, {
    request,
    protocol,
    attempt: 1,
    clientIp: '127.0.0.1',
    clientHost,
    proxyProtocol: null,
    tls: null,
  });
}

async function lastRequest(count: number): Promise<FakeAuthRequest> {
  await auth.waitForRequests(count);
  return auth.requests[count - 1]!;
}

describe('auth_http request parity with nginx 1.22.1', () => {
  before(async () => {
    auth = await startFakeAuthHttp({ script: [fail('Invalid login')] });
    dir = mkdtempSync(join(tmpdir(), 'postern-nginx-auth-'));
    ports.imap = await freePort();
    ports.pop3 = await freePort();
    ports.smtp = await freePort();
    ports.smtpNone = await freePort();
    writeFileSync(
      join(dir, 'nginx.conf'),
      `daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 64; }
mail {
  server_name mx.test;
  auth_http 127.0.0.1:${auth.port}/auth;
  auth_http_header X-Auth-Key "s3 cret";
  server { listen 127.0.0.1:${ports.imap}; protocol imap; imap_auth plain login cram-md5; }
  server { listen 127.0.0.1:${ports.pop3}; protocol pop3; pop3_auth plain apop cram-md5; }
  server { listen 127.0.0.1:${ports.smtp}; protocol smtp; smtp_auth login plain cram-md5; }
  server { listen 127.0.0.1:${ports.smtpNone}; protocol smtp; smtp_auth none; }
}
`,
    );
    nginx = spawn(
      'nginx',
      [
        '-e',
        join(dir, 'error.log'),
        '-g',
        `load_module ${MAIL_MODULE};`,
        '-p',
        `${dir}/`,
        '-c',
        join(dir, 'nginx.conf'),
      ],
      {
        stdio: 'ignore',
      },
    );
    await Promise.all(Object.values(ports).map((p) => waitForPort(p, 10_000)));
  });

  after(async () => {
    if (nginx !== null && nginx.exitCode === null) {
      const exited = new Promise<void>((r) =>
        nginx?.once('exit', () => {
          r();
        }),
      );
      nginx.kill('SIGTERM');
      const t = setTimeout(() => nginx?.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    }
    await auth.close();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('IMAP LOGIN with quoted strings that need escaping', async () => {
    const n = auth.requests.length + 1;
    const d = await Dialog.open(ports.imap);
    await d.expect(/^\* OK.*\r\n/);
    d.send('a1 LOGIN "al ice%" "p\\"w d"');
    await d.expect(/a1 NO Invalid login\r\n/);
    d.close();
    const got = await lastRequest(n);
    assert.equal(
      got.raw.toString('latin1'),
      ours({ login: Buffer.from('al ice%'), password: Buffer.from('p"w d') }, 'imap', null).toString(
        'latin1',
      ),
    );
  });

  it('IMAP AUTHENTICATE PLAIN with control bytes, % and UTF-8 in the credentials', async () => {
    const n = auth.requests.length + 1;
    const login = Buffer.concat([
      Buffer.from('j\u00fcrgen', 'utf8'),
      Buffer.from([0x01, 0x7f]),
      Buffer.from(' %x'),
    ]);
    const password = Buffer.from('tab\there\r\nnl', 'latin1');
    const d = await Dialog.open(ports.imap);
    await d.expect(/^\* OK.*\r\n/);
    d.send(
      `a2 AUTHENTICATE PLAIN ${b64(Buffer.concat([Buffer.from([0]), login, Buffer.from([0]), password]))}`,
    );
    await d.expect(/a2 NO Invalid login\r\n/);
    d.close();
    const got = await lastRequest(n);
    assert.deepEqual(got.raw, ours({ login, password }, 'imap', null));
    assert.deepEqual(pctDecode(got.header('Auth-User') ?? ''), login);
  });

  it('IMAP AUTHENTICATE CRAM-MD5 with its salt', async () => {
    const n = auth.requests.length + 1;
    const d = await Dialog.open(ports.imap);
    await d.expect(/^\* OK.*\r\n/);
    d.send('a3 AUTHENTICATE CRAM-MD5');
    const [, challenge] = await d.expect(/^\+ (\S+)\r\n/);
    const salt = Buffer.from(challenge ?? '', 'base64');
    const digest = createHmac('md5', 'pw').update(salt).digest('hex');
    d.send(b64(Buffer.from(`bob ${digest}`)));
    await d.expect(/a3 NO Invalid login\r\n/);
    d.close();
    const got = await lastRequest(n);
    const expected = ours(
      {
        method: 'cram-md5',
        login: Buffer.from('bob'),
        password: Buffer.from(digest),
        salt: Buffer.concat([salt, Buffer.from('\r\n')]),
      },
      'imap',
      null,
    );
    assert.equal(got.raw.toString('latin1'), expected.toString('latin1'));
  });

  it('POP3 USER/PASS and APOP', async () => {
    let n = auth.requests.length + 1;
    let d = await Dialog.open(ports.pop3);
    await d.expect(/^\+OK.*\r\n/);
    d.send('USER carol');
    await d.expect(/^\+OK\r\n/);
    d.send('PASS x y');
    await d.expect(/-ERR Invalid login\r\n/);
    d.close();
    assert.equal(
      (await lastRequest(n)).raw.toString('latin1'),
      ours({ login: Buffer.from('carol'), password: Buffer.from('x y') }, 'pop3', null).toString('latin1'),
    );

    n++;
    d = await Dialog.open(ports.pop3);
    const [, salt] = await d.expect(/^\+OK .*(<[^>]+>)\r\n/);
    const digest = createHash('md5')
      .update(`${salt ?? ''}secret`)
      .digest('hex');
    d.send(`APOP dave ${digest}`);
    await d.expect(/-ERR Invalid login\r\n/);
    d.close();
    const expected = ours(
      {
        method: 'apop',
        login: Buffer.from('dave'),
        password: Buffer.from(digest),
        salt: Buffer.from(`${salt ?? ''}\r\n`),
      },
      'pop3',
      null,
    );
    assert.equal((await lastRequest(n)).raw.toString('latin1'), expected.toString('latin1'));
  });

  it('SMTP AUTH LOGIN reports plain and sends Client-Host', async () => {
    const n = auth.requests.length + 1;
    const d = await Dialog.open(ports.smtp);
    await d.expect(/^220 .*\r\n/);
    d.send('EHLO client.example');
    await d.expect(/250 .*\r\n(?!250-)/);
    d.send('AUTH LOGIN');
    await d.expect(/^334 VXNlcm5hbWU6\r\n/m);
    d.send(b64(Buffer.from('erin')));
    await d.expect(/^334 UGFzc3dvcmQ6\r\n/m);
    d.send(b64(Buffer.from('pass word')));
    await d.expect(/535 5\.7\.0 Invalid login\r\n/);
    d.close();
    const expected = ours(
      { login: Buffer.from('erin'), password: Buffer.from('pass word') },
      'smtp',
      '[UNAVAILABLE]',
    );
    assert.equal((await lastRequest(n)).raw.toString('latin1'), expected.toString('latin1'));
  });

  it('SMTP with smtp_auth none sends the envelope unescaped', async () => {
    const n = auth.requests.length + 1;
    const d = await Dialog.open(ports.smtpNone);
    await d.expect(/^220 .*\r\n/);
    d.send('EHLO client.example');
    await d.expect(/250 .*\r\n(?!250-)/);
    d.send('MAIL FROM:<a@b> SIZE=100');
    await d.expect(/250 2\.0\.0 OK\r\n/);
    d.send('RCPT TO:<c d@e>');
    await d.expect(/535 5\.7\.0 Invalid login\r\n/);
    d.close();
    const expected = ours(
      {
        method: 'none',
        smtpHelo: Buffer.from('client.example'),
        smtpFrom: Buffer.from('MAIL FROM:<a@b> SIZE=100'),
        smtpTo: Buffer.from('RCPT TO:<c d@e>'),
      },
      'smtp',
      '[UNAVAILABLE]',
    );
    assert.equal((await lastRequest(n)).raw.toString('latin1'), expected.toString('latin1'));
  });
});
