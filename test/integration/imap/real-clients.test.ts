/**
 * Real IMAP clients through a real postern to a real Dovecot, with the scripted auth service in front:
 * curl (the LOGIN command, AUTHENTICATE PLAIN, AUTHENTICATE LOGIN) and Python's imaplib (a password
 * that needs a literal, AUTHENTICATE CRAM-MD5 with the auth service checking the digest and returning
 * the plain password, SELECT, a 10 MiB FETCH compared byte for byte, IDLE woken by a second session's
 * APPEND, LOGOUT). One Dovecot and one postern for the whole file.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDovecot, type Dovecot } from '../../helpers/dovecot.js';
import { fail, ok, pctDecode, startFakeAuthHttp, type FakeAuthHttp } from '../../helpers/fake-auth-http.js';
import { startPostern, type RunningPostern } from '../../helpers/postern-bin.js';
import { freePort } from '../../helpers/ports.js';
import { repoRoot, subDir } from '../../helpers/run-dir.js';
import { curlImapFetch } from '../../helpers/clients.js';
import { runCmd, waitFor } from '../../helpers/proc.js';
import { bigMessage, sha256 } from '../../helpers/mailbox.js';

/** needs a literal: 8-bit bytes (UTF-8), a double quote and a space */
const ALICE_PASSWORD = 'p\u00e4ss"w\u00f6rd 1';
const BOB_PASSWORD = 'bob-secret';
const PASSWORDS: Readonly<Record<string, string>> = { alice: ALICE_PASSWORD, bob: BOB_PASSWORD };
const SMALL = Buffer.from('From: carol@example.test\r\nSubject: small\r\n\r\nhello bob\r\n');
const PY = join(repoRoot(), 'test', 'integration', 'imap', 'py', 'imap_session.py');

let dovecot: Dovecot;
let auth: FakeAuthHttp;
let postern: RunningPostern;
let port = 0;
/** a server offering only AUTH=EXTERNAL */
let externalPort = 0;
let dir = '';

function log(): string {
  return readFileSync(join(dir, 'session.log'), 'utf8');
}

/** The auth service a real deployment would run: it checks passwords and CRAM-MD5 digests. */
function authScript(): Parameters<typeof startFakeAuthHttp>[0] {
  return {
    script: (req) => {
      const user = pctDecode(req.header('Auth-User') ?? '').toString('utf8');
      const known = PASSWORDS[user];
      const pass = pctDecode(req.header('Auth-Pass') ?? '');
      if (known === undefined) return fail('Invalid login or password');
      if (req.header('Auth-Method') === 'cram-md5') {
        const digest = createHmac('md5', Buffer.from(known, 'utf8'))
          .update(req.header('Auth-Salt') ?? '', 'latin1')
          .digest('hex');
        if (digest !== pass.toString('latin1')) return fail('Invalid login or password');
        // nginx needs the plain password back to log into the backend (reference 3.5)
        return ok('127.0.0.1', dovecot.imapPort, [
          ['Auth-Pass', Buffer.from(known, 'utf8').toString('latin1')],
        ]);
      }
      if (!pass.equals(Buffer.from(known, 'utf8'))) return fail('Invalid login or password');
      return ok('127.0.0.1', dovecot.imapPort);
    },
  };
}

interface PyOutcome {
  readonly ok: boolean;
  readonly error?: string;
  readonly result: Record<string, unknown>;
}

async function imaplib(
  user: string,
  password: string,
  steps: readonly string[],
  fetchFile = '',
): Promise<PyOutcome> {
  const job = { host: '127.0.0.1', port, timeout: 20, user, password, steps, fetch_file: fetchFile };
  const r = await runCmd('python3', [PY, JSON.stringify(job)], { timeoutMs: 60_000 });
  const text = r.stdout.toString('utf8').trim();
  try {
    return JSON.parse(text) as PyOutcome;
  } catch {
    throw new Error(`imap_session.py printed no JSON: ${text}\n${r.stderr.toString('utf8')}`);
  }
}

describe('real IMAP clients through postern to Dovecot', () => {
  before(async () => {
    dovecot = await startDovecot({
      users: [
        { user: 'alice', password: ALICE_PASSWORD },
        { user: 'bob', password: BOB_PASSWORD },
      ],
      pop3: false,
    });
    dovecot.deliver('alice', bigMessage().bytes);
    dovecot.deliver('bob', SMALL);
    auth = await startFakeAuthHttp(authScript());
    dir = subDir('imap-real');
    mkdirSync(join(dir, 'logs'), { recursive: true });
    port = await freePort();
    externalPort = await freePort();
    const conf = join(dir, 'postern.conf');
    writeFileSync(
      conf,
      `worker_processes 1;\ndaemon off;\npid ${dir}/postern.pid;\nerror_log ${dir}/main.log info;\nevents {}\n` +
        `mail {\n  server_name mail.example.test;\n  auth_http ${auth.url};\n` +
        `  server {\n    listen 127.0.0.1:${port};\n    protocol imap;\n    imap_auth plain login cram-md5;\n` +
        `    error_log ${dir}/session.log info;\n  }\n` +
        `  server {\n    listen 127.0.0.1:${externalPort};\n    protocol imap;\n    imap_auth external;\n` +
        `    error_log ${dir}/session.log info;\n  }\n}\n`,
    );
    postern = await startPostern(['-p', `${dir}/`, '-c', conf], join(dir, 'postern.pid'));
  });
  after(async () => {
    await postern.kill();
    await auth.close();
    await dovecot.stop();
  });

  // curl 7.88 has no option for the LOGIN command (`AUTH=+LOGIN` came later): it uses LOGIN when the
  // server offers no SASL mechanism it can use with a password, as the `imap_auth external` server does.
  for (const [name, loginOptions, command] of [
    ['the LOGIN command', null, /^> A\d+ LOGIN bob bob-secret\r?$/m],
    ['AUTHENTICATE PLAIN', 'AUTH=PLAIN', /^> A\d+ AUTHENTICATE PLAIN/m],
    ['AUTHENTICATE LOGIN', 'AUTH=LOGIN', /^> A\d+ AUTHENTICATE LOGIN/m],
  ] as const) {
    test(`curl fetches a message byte for byte after logging in with ${name}`, async () => {
      const before = auth.requests.length;
      const r = await curlImapFetch({
        port: loginOptions === null ? externalPort : port,
        user: 'bob',
        password: BOB_PASSWORD,
        uid: 1,
        ...(loginOptions === null ? {} : { loginOptions }),
        extraArgs: ['-v'],
      });
      const trace = r.stderr;
      assert.equal(r.code, 0, trace);
      assert.ok(command.test(trace), `curl did not use ${name}:\n${trace}`);
      assert.deepEqual(r.stdout, SMALL);
      assert.equal(auth.requests.length, before + 1);
      const req = auth.requests.at(-1);
      assert.ok(req !== undefined);
      assert.equal(req.header('Auth-Method'), 'plain');
      assert.equal(req.header('Auth-User'), 'bob');
      assert.equal(req.header('Auth-Pass'), 'bob-secret');
    });
  }

  test('imaplib logs in with a password sent as a literal, FETCHes 10 MiB unchanged, IDLEs and logs out', async () => {
    const fetchFile = join(dir, 'fetched.eml');
    const r = await imaplib(
      'alice',
      ALICE_PASSWORD,
      ['login_literal', 'select', 'fetch', 'idle', 'logout'],
      fetchFile,
    );
    assert.equal(r.ok, true, r.error);
    assert.equal(r.result.greeting, '* OK IMAP4 ready');
    assert.deepEqual(r.result.capabilities, [
      'AUTH=CRAM-MD5',
      'AUTH=LOGIN',
      'AUTH=PLAIN',
      'IMAP4',
      'IMAP4REV1',
      'UIDPLUS',
    ]);
    assert.equal(r.result.exists, 1);
    const big = bigMessage();
    assert.equal(r.result.fetch_len, big.bytes.length);
    assert.equal(r.result.fetch_sha256, big.sha256);
    assert.equal(sha256(readFileSync(fetchFile)), big.sha256);
    const idle = r.result.idle_lines as string[];
    assert.match(idle[0] ?? '', /^\+ /);
    assert.ok(idle.includes('* 2 EXISTS\r\n'), JSON.stringify(idle));
    assert.match(idle.at(-1) ?? '', /^[A-Z]+\d+ OK Idle completed/);
    assert.equal((r.result.logout as string[])[0], 'BYE');
    // The auth service saw the literal's bytes, escaped as nginx escapes them (space → %20, UTF-8 raw).
    const escaped = Buffer.from(ALICE_PASSWORD, 'utf8').toString('latin1').replace(' ', '%20');
    assert.ok(
      auth.requests.some((q) => q.header('Auth-User') === 'alice' && q.header('Auth-Pass') === escaped),
    );
    // The session's end is logged with the bytes sent to the client: the 10 MiB message and more.
    await waitFor(
      () =>
        log()
          .split('\n')
          .some((l) => {
            const m =
              /session closed \(protocol: imap, reason: proxied, duration: [\d.]+s, in: \d+, out: (\d+), method: plain\), .*login: "alice"/.exec(
                l,
              );
            return m !== null && Number(m[1]) > big.bytes.length;
          }),
      { what: 'the session closed line of the FETCH session' },
    );
  });

  test('imaplib logs in with AUTHENTICATE CRAM-MD5; the auth service checks the digest and returns the password', async () => {
    const fetchFile = join(dir, 'fetched-bob.eml');
    const r = await imaplib('bob', BOB_PASSWORD, ['cram_md5', 'select', 'fetch', 'logout'], fetchFile);
    assert.equal(r.ok, true, r.error);
    assert.equal((r.result.login as string[])[0], 'OK');
    assert.deepEqual(readFileSync(fetchFile), SMALL);
    const req = auth.requests.findLast((q) => q.header('Auth-Method') === 'cram-md5');
    assert.ok(req !== undefined);
    assert.equal(req.header('Auth-User'), 'bob');
    assert.match(req.header('Auth-Salt') ?? '', /^<\d+\.\d+@mail\.example\.test>$/);
    assert.match(req.header('Auth-Pass') ?? '', /^[0-9a-f]{32}$/);
    await waitFor(
      () =>
        log().includes(
          `client logged in, client: 127.0.0.1, server: 127.0.0.1:${port}, login: "bob", upstream: 127.0.0.1:${dovecot.imapPort}`,
        ),
      { what: 'the login line' },
    );
  });

  test('imaplib with a wrong password gets the auth service text as a tagged NO', async () => {
    const r = await imaplib('bob', 'wrong', ['login']);
    assert.equal(r.ok, false);
    assert.match(r.error ?? '', /Invalid login or password/);
    await waitFor(
      () =>
        log().includes(
          `client login failed: "Invalid login or password" while in http auth state, client: 127.0.0.1, server: 127.0.0.1:${port}, login: "bob"`,
        ),
      { what: 'the login failed line' },
    );
  });
});
