/**
 * The auth service sees exactly nginx's request: the same logins go through a real postern and through
 * Debian's nginx 1.22.1, both pointed at one fake auth service, and the raw requests are compared byte
 * for byte (only CRAM-MD5's salt, random per session, is masked). Covers LOGIN with atoms and with
 * literals full of bytes that need escaping, AUTHENTICATE PLAIN / LOGIN / CRAM-MD5 / EXTERNAL, the
 * auth_http_header lines, and Auth-Login-Attempt after an Auth-Wait retry.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fail, startFakeAuthHttp, type FakeAuthHttp } from '../../helpers/fake-auth-http.js';
import { connectLine, type LineClient } from '../../helpers/line-client.js';
import { startNginx, type Nginx } from '../../helpers/nginx.js';
import { startPostern, type RunningPostern } from '../../helpers/postern-bin.js';
import { freePort } from '../../helpers/ports.js';
import { subDir } from '../../helpers/run-dir.js';

const SERVER_DIRECTIVES =
  'protocol imap; imap_auth plain login cram-md5 external; ' +
  'auth_http_header X-Auth-Key "s3 cret"; auth_http_header X-Realm example;';

let auth: FakeAuthHttp;
let nginx: Nginx;
let postern: RunningPostern;
const ports = { postern: 0, nginx: 0 };

interface Dialogue {
  readonly name: string;
  run(c: LineClient): Promise<void>;
}

const b64 = (s: string | Buffer): string => Buffer.from(s as string).toString('base64');

const DIALOGUES: readonly Dialogue[] = [
  {
    name: 'LOGIN with atoms',
    run: async (c) => {
      c.send('a1 LOGIN alice secret\r\n');
      await c.expect('a1 NO Nope\r\n');
    },
  },
  {
    name: 'LOGIN with literals holding a space, %, control bytes, DEL and UTF-8',
    run: async (c) => {
      c.send('a1 LOGIN {7}\r\n');
      await c.expect('+ OK\r\n');
      c.send('al ice% {9}\r\n');
      await c.expect('+ OK\r\n');
      c.send(
        Buffer.concat([
          Buffer.from([0x01, 0x7f, 0xc3, 0xa4, 0x20, 0x22, 0x25, 0x0d, 0x09]),
          Buffer.from('\r\n'),
        ]),
      );
      await c.expect('a1 NO Nope\r\n');
    },
  },
  {
    name: 'AUTHENTICATE PLAIN with an authorization identity',
    run: async (c) => {
      c.send(`a1 AUTHENTICATE PLAIN ${b64('admin\0alice\0s3cr\u00e9t')}\r\n`);
      await c.expect('a1 NO Nope\r\n');
    },
  },
  {
    name: 'AUTHENTICATE LOGIN',
    run: async (c) => {
      c.send('a1 AUTHENTICATE LOGIN\r\n');
      await c.expect('+ VXNlcm5hbWU6\r\n');
      c.send(`${b64('alice@example.test')}\r\n`);
      await c.expect('+ UGFzc3dvcmQ6\r\n');
      c.send(`${b64('pass word')}\r\n`);
      await c.expect('a1 NO Nope\r\n');
    },
  },
  {
    name: 'AUTHENTICATE CRAM-MD5',
    run: async (c) => {
      c.send('a1 AUTHENTICATE CRAM-MD5\r\n');
      await c.expect(/^\+ [A-Za-z0-9+/]+=*\r\n$/);
      c.send(`${b64('alice 0123456789abcdef0123456789abcdef')}\r\n`);
      await c.expect('a1 NO Nope\r\n');
    },
  },
  {
    name: 'AUTHENTICATE EXTERNAL',
    run: async (c) => {
      c.send('a1 AUTHENTICATE EXTERNAL\r\n');
      await c.expect('+ VXNlcm5hbWU6\r\n');
      c.send(`${b64('alice')}\r\n`);
      await c.expect('a1 NO Nope\r\n');
    },
  },
  {
    name: 'a second LOGIN after an Auth-Wait refusal',
    run: async (c) => {
      c.send('a1 LOGIN retry one\r\n');
      await c.expect('a1 NO Try again\r\n');
      c.send('a2 LOGIN retry two\r\n');
      await c.expect('a2 NO Nope\r\n');
    },
  },
];

/** Plays a dialogue on one server; returns the raw requests the auth service got meanwhile. */
async function requestsOf(port: number, d: Dialogue): Promise<string[]> {
  const first = auth.requests.length;
  const c = await connectLine({ port });
  try {
    await c.expect('* OK IMAP4 ready\r\n');
    await d.run(c);
    await c.waitClosed();
  } finally {
    c.destroy();
  }
  return auth.requests.slice(first).map((r) =>
    // the CRAM-MD5 salt is random per session: compare its form, not its value
    r.raw
      .toString('latin1')
      .replace(/^Auth-Salt: <\d+\.\d+@mail\.example\.test>\r\n/m, 'Auth-Salt: <SALT>\r\n'),
  );
}

describe('the auth service gets the same request bytes from postern as from nginx', () => {
  before(async () => {
    auth = await startFakeAuthHttp({
      script: (req) =>
        req.header('Auth-User') === 'retry' && req.header('Auth-Login-Attempt') === '1'
          ? fail('Try again', { wait: 1 })
          : fail('Nope'),
    });
    ports.postern = await freePort();
    ports.nginx = await freePort();
    const mail = (port: number): string =>
      `server_name mail.example.test;\nauth_http ${auth.url};\nserver { listen 127.0.0.1:${port}; ${SERVER_DIRECTIVES} }\n`;
    nginx = await startNginx({ mailConfig: mail(ports.nginx) });
    const dir = subDir('auth-headers');
    mkdirSync(join(dir, 'logs'));
    const conf = join(dir, 'postern.conf');
    writeFileSync(
      conf,
      `worker_processes 1;\ndaemon off;\npid ${dir}/postern.pid;\nerror_log ${dir}/error.log info;\nevents {}\n` +
        `mail {\n${mail(ports.postern)}}\n`,
    );
    postern = await startPostern(['-p', `${dir}/`, '-c', conf], join(dir, 'postern.pid'));
  });
  after(async () => {
    await postern.kill();
    await nginx.stop();
    await auth.close();
  });

  test('a LOGIN request is the header block nginx documents, in its order', async () => {
    const [req] = await requestsOf(ports.postern, DIALOGUES[0] as Dialogue);
    assert.equal(
      req,
      'GET /auth HTTP/1.0\r\nHost: 127.0.0.1\r\nAuth-Method: plain\r\nAuth-User: alice\r\nAuth-Pass: secret\r\n' +
        'Auth-Protocol: imap\r\nAuth-Login-Attempt: 1\r\nClient-IP: 127.0.0.1\r\n' +
        'X-Auth-Key: s3 cret\r\nX-Realm: example\r\n\r\n',
    );
  });

  for (const d of DIALOGUES) {
    test(`${d.name}: postern's request is nginx's, byte for byte`, async () => {
      const ours = await requestsOf(ports.postern, d);
      const theirs = await requestsOf(ports.nginx, d);
      assert.ok(theirs.length > 0, 'nginx sent no request');
      assert.deepEqual(ours, theirs);
    });
  }
});
