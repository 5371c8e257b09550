import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { imapProtocol, makeImapSettings, type ImapSettings, type ImapSettingsInput } from '../../../../src/protocol/imap/index.js';
import type { AuthFailure } from '../../../../src/protocol/types.js';
import { bytewise, drive, type DriveOptions } from './imap-driver.js';

const BASE: ImapSettingsInput = {
  capabilities: ['IMAP4', 'IMAP4rev1', 'UIDPLUS'],
  auth: { plain: true, login: false, cramMd5: false, external: false },
  clientBufferBytes: 4096,
  maxErrors: 5,
  starttls: 'off',
  serverName: 'mail.example.com',
};
const ALL_AUTH = { plain: true, login: true, cramMd5: true, external: true };
const settings = (over: Partial<ImapSettingsInput> = {}): ImapSettings => makeImapSettings({ ...BASE, ...over });

const b64 = (s: string): string => Buffer.from(s, 'latin1').toString('base64');
const R = (s: string): string => `reply ${JSON.stringify(s)}`;
const GREETING = R('* OK IMAP4 ready\r\n');
const CAPS = '* CAPABILITY IMAP4 IMAP4rev1 UIDPLUS AUTH=PLAIN\r\n';
const LOG = (m: string): string => `log info ${m}`;
/** the session learns the login before the auth request (nginx shows it in later log lines) */
const LOGIN = (l: string): string => `login ${JSON.stringify(l)}`;
const CLOSE = (r: string): string => `close ${r}`;
const q = (s: string | null): string => (s === null ? 'null' : JSON.stringify(s));
const AUTH = (method: string, login: string, password: string, tag: string, extra: { salt?: string | null; id?: string | null } = {}): string =>
  `authenticate ${method} login=${q(login)} password=${q(password)} salt=${q(extra.salt ?? null)} tag=${q(tag)} id=${q(extra.id ?? null)}`;
const REFUSE: AuthFailure = { text: Buffer.from('Invalid login or password'), smtpErrorCode: null, retry: false };
const RETRY: AuthFailure = { text: Buffer.from('[UNAVAILABLE] try later'), smtpErrorCode: null, retry: true };

interface Case {
  readonly name: string;
  readonly settings?: Partial<ImapSettingsInput>;
  readonly opts?: DriveOptions;
  readonly chunks: readonly string[];
  readonly events: readonly string[];
}

/** Runs a transcript case whole-chunked and byte at a time; both must give exactly `events`. */
function check(c: Case): void {
  const s = settings(c.settings);
  const r = drive(s, c.chunks, c.opts);
  assert.deepEqual(r.events, c.events);
  if (c.opts?.onStartTls === undefined && !c.events.includes('startTls')) {
    const one = drive(s, bytewise(Buffer.from(c.chunks.join(''), 'latin1')), c.opts);
    assert.deepEqual(one.events, c.events, 'byte at a time');
  }
}

function table(title: string, cases: readonly Case[]): void {
  describe(title, () => {
    for (const c of cases) it(c.name, () => { check(c); });
  });
}

table('IMAP machine: greeting, CAPABILITY, NOOP, LOGOUT (reference 4.1)', [
  { name: 'greets with * OK IMAP4 ready and nothing else', chunks: [], events: [GREETING] },
  {
    name: 'answers CAPABILITY with the capability line and the tagged OK in one write',
    chunks: ['a1 CAPABILITY\r\n'],
    events: [GREETING, R(`${CAPS}a1 OK completed\r\n`)],
  },
  {
    name: 'lists every enabled AUTH= method in nginx order',
    settings: { auth: ALL_AUTH },
    chunks: ['a1 capability\r\n'],
    events: [GREETING, R('* CAPABILITY IMAP4 IMAP4rev1 UIDPLUS AUTH=PLAIN AUTH=LOGIN AUTH=CRAM-MD5 AUTH=EXTERNAL\r\na1 OK completed\r\n')],
  },
  {
    name: 'ignores arguments to CAPABILITY and NOOP',
    chunks: ['a1 CAPABILITY x y z\r\na2 NOOP "a b" {1+}\r\nc\r\n'],
    events: [GREETING, R(`${CAPS}a1 OK completed\r\n`), R('a2 OK completed\r\n')],
  },
  { name: 'answers NOOP with OK completed', chunks: ['A.1 noop\r\n'], events: [GREETING, R('A.1 OK completed\r\n')] },
  {
    name: 'answers LOGOUT with BYE and OK completed, then closes and reads nothing more',
    chunks: ['a1 LOGOUT\r\na2 NOOP\r\n'],
    events: [GREETING, R('* BYE\r\na1 OK completed\r\n'), CLOSE('quit')],
  },
  {
    name: 'answers pipelined commands one at a time in order',
    chunks: ['a1 NOOP\r\na2 CAPABILITY\r\na3 NOOP\r\n'],
    events: [GREETING, R('a1 OK completed\r\n'), R(`${CAPS}a2 OK completed\r\n`), R('a3 OK completed\r\n')],
  },
]);

table('IMAP machine: STARTTLS and starttls only (reference 4.1, 6.2)', [
  {
    name: 'refuses STARTTLS when starttls is off',
    chunks: ['a1 STARTTLS\r\n'],
    events: [GREETING, R('a1 BAD invalid command\r\n')],
  },
  {
    name: 'appends STARTTLS to the capability line under starttls on before TLS',
    settings: { starttls: 'on' },
    chunks: ['a1 CAPABILITY\r\n'],
    events: [GREETING, R('* CAPABILITY IMAP4 IMAP4rev1 UIDPLUS AUTH=PLAIN STARTTLS\r\na1 OK completed\r\n')],
  },
  {
    name: 'shows STARTTLS LOGINDISABLED and no AUTH= under starttls only before TLS',
    settings: { starttls: 'only', auth: ALL_AUTH },
    chunks: ['a1 CAPABILITY\r\n'],
    events: [GREETING, R('* CAPABILITY IMAP4 IMAP4rev1 UIDPLUS STARTTLS LOGINDISABLED\r\na1 OK completed\r\n')],
  },
  {
    name: 'shows the normal line on a connection that is TLS from the start, and refuses STARTTLS there',
    settings: { starttls: 'only' },
    opts: { env: { tls: true } },
    chunks: ['a1 CAPABILITY\r\na2 STARTTLS\r\n'],
    events: [GREETING, R(`${CAPS}a1 OK completed\r\n`), R('a2 BAD invalid command\r\n')],
  },
  {
    name: 'upgrades on STARTTLS, drops pipelined plaintext, sends no new greeting, then shows the normal line',
    settings: { starttls: 'on' },
    chunks: ['a1 STARTTLS\r\na2 LOGIN evil injected\r\n', 'b1 CAPABILITY\r\n', 'b2 STARTTLS\r\n'],
    events: [GREETING, R('a1 OK completed\r\n'), 'startTls', R(`${CAPS}b1 OK completed\r\n`), R('b2 BAD invalid command\r\n')],
  },
  {
    name: 'refuses LOGIN and AUTHENTICATE under starttls only before TLS without counting them',
    settings: { starttls: 'only', maxErrors: 1 },
    chunks: ['a1 LOGIN alice secret\r\na2 AUTHENTICATE PLAIN\r\na3 NOOP\r\na4 LOGOUT\r\n'],
    events: [GREETING, R('a1 BAD invalid command\r\n'), R('a2 BAD invalid command\r\n'), R('a3 OK completed\r\n'), R('* BYE\r\na4 OK completed\r\n'), CLOSE('quit')],
  },
  {
    name: 'accepts LOGIN under starttls only after the upgrade',
    settings: { starttls: 'only' },
    chunks: ['a1 STARTTLS\r\n', 'a2 LOGIN alice secret\r\n'],
    events: [GREETING, R('a1 OK completed\r\n'), 'startTls', AUTH('plain', 'alice', 'secret', 'a2 '), R('a2 NO Go away\r\n')],
  },
  {
    name: 'accepts STARTTLS with arguments, as nginx does',
    settings: { starttls: 'on' },
    opts: { onStartTls: 'stop' },
    chunks: ['a1 STARTTLS now\r\n'],
    events: [GREETING, R('a1 OK completed\r\n'), 'startTls'],
  },
]);

table('IMAP machine: LOGIN (reference 4.1)', [
  {
    name: 'asks auth_http with Auth-Method plain for atoms',
    opts: { auth: () => REFUSE },
    chunks: ['a1 LOGIN alice s3cret\r\n'],
    events: [GREETING, AUTH('plain', 'alice', 's3cret', 'a1 '), R('a1 NO Invalid login or password\r\n'), CLOSE('authFailed')],
  },
  {
    name: 'unescapes quoted strings',
    opts: { auth: () => 'accept' },
    chunks: ['a1 LOGIN "al ice" "p\\"w\\\\d"\r\n'],
    events: [GREETING, AUTH('plain', 'al ice', 'p"w\\d', 'a1 ')],
  },
  {
    name: 'sends + OK for each synchronising literal',
    opts: { auth: () => 'accept' },
    chunks: ['a1 LOGIN {5}\r\n', 'alice {8}\r\n', 'pa ss\r\nw\r\n'],
    events: [GREETING, R('+ OK\r\n'), R('+ OK\r\n'), AUTH('plain', 'alice', 'pa ss\r\nw', 'a1 ')],
  },
  {
    name: 'reads non-synchronising literals without a continuation',
    opts: { auth: () => 'accept' },
    chunks: ['a1 LOGIN {5+}\r\nalice {6+}\r\nsecret\r\n'],
    events: [GREETING, AUTH('plain', 'alice', 'secret', 'a1 ')],
  },
  {
    name: 'takes {0} as an empty password (Q-11 fixed)',
    opts: { auth: () => 'accept' },
    chunks: ['a1 LOGIN alice {0}\r\n\r\n'],
    events: [GREETING, R('+ OK\r\n'), AUTH('plain', 'alice', '', 'a1 ')],
  },
  {
    name: 'refuses a wrong argument count and an empty user name without counting them',
    settings: { maxErrors: 1 },
    chunks: ['a1 LOGIN alice\r\na2 LOGIN a b c\r\na3 LOGIN "" pw\r\na4 LOGIN\r\na5 NOOP\r\n'],
    events: [GREETING, R('a1 BAD invalid command\r\n'), R('a2 BAD invalid command\r\n'), R('a3 BAD invalid command\r\n'), R('a4 BAD invalid command\r\n'), R('a5 OK completed\r\n')],
  },
  {
    name: 'replies NO with the Auth-Status text and goes back to the start state on Auth-Wait',
    opts: { auth: () => RETRY },
    chunks: ['a1 LOGIN alice bad\r\na2 NOOP\r\n'],
    events: [GREETING, AUTH('plain', 'alice', 'bad', 'a1 '), R('a1 NO [UNAVAILABLE] try later\r\n'), R('a2 OK completed\r\n')],
  },
  {
    name: 'leaves bytes pipelined after the login command for the backend',
    opts: { auth: () => 'accept' },
    chunks: ['a1 LOGIN alice pw\r\na2 SELECT INBOX\r\n'],
    events: [GREETING, AUTH('plain', 'alice', 'pw', 'a1 ')],
  },
]);

const CRAM_CHALLENGE = `+ ${b64('<1804289383.1724230000@mail.example.com>')}\r\n`;
const CRAM_SALT = '<1804289383.1724230000@mail.example.com>\r\n';
const DIGEST = '0123456789abcdef0123456789abcdef';

table('IMAP machine: AUTHENTICATE (reference 4.4)', [
  {
    name: 'PLAIN without an initial response sends + and reads one line',
    opts: { auth: () => 'accept' },
    chunks: ['a1 AUTHENTICATE PLAIN\r\n', `${b64('\0alice\0secret')}\r\n`],
    events: [GREETING, R('+ \r\n'), AUTH('plain', 'alice', 'secret', 'a1 ')],
  },
  {
    name: 'PLAIN with an initial response asks auth_http at once',
    opts: { auth: () => 'accept' },
    chunks: [`a1 authenticate plain ${b64('admin\0alice\0secret')}\r\n`],
    events: [GREETING, AUTH('plain', 'alice', 'secret', 'a1 ')],
  },
  {
    name: 'LOGIN prompts for the user name and the password',
    opts: { auth: () => 'accept' },
    chunks: ['a1 AUTHENTICATE LOGIN\r\n', `${b64('alice')}\r\n`, `${b64('secret')}\r\n`],
    events: [GREETING, R('+ VXNlcm5hbWU6\r\n'), LOGIN('alice'), R('+ UGFzc3dvcmQ6\r\n'), AUTH('plain', 'alice', 'secret', 'a1 ')],
  },
  {
    name: 'LOGIN with an initial user name goes straight to the password prompt',
    opts: { auth: () => 'accept' },
    chunks: [`a1 AUTHENTICATE LOGIN ${b64('alice')}\r\n`, `${b64('secret')}\r\n`],
    events: [GREETING, LOGIN('alice'), R('+ UGFzc3dvcmQ6\r\n'), AUTH('plain', 'alice', 'secret', 'a1 ')],
  },
  {
    name: 'CRAM-MD5 is refused when not enabled',
    chunks: ['a1 AUTHENTICATE CRAM-MD5\r\n'],
    events: [GREETING, R('a1 BAD invalid command\r\n')],
  },
  {
    name: 'CRAM-MD5 sends the salt challenge and passes the digest with Auth-Salt',
    settings: { auth: ALL_AUTH },
    opts: { auth: () => 'accept' },
    chunks: ['a1 AUTHENTICATE CRAM-MD5\r\n', `${b64(`alice ${DIGEST}`)}\r\n`],
    events: [GREETING, R(CRAM_CHALLENGE), AUTH('cram-md5', 'alice', DIGEST, 'a1 ', { salt: CRAM_SALT })],
  },
  {
    name: 'CRAM-MD5 keeps the same salt for a retry on the same connection',
    settings: { auth: ALL_AUTH },
    opts: { auth: () => RETRY },
    chunks: ['a1 AUTHENTICATE CRAM-MD5\r\n', `${b64(`alice ${DIGEST}`)}\r\n`, 'a2 AUTHENTICATE CRAM-MD5\r\n'],
    events: [
      GREETING,
      R(CRAM_CHALLENGE),
      AUTH('cram-md5', 'alice', DIGEST, 'a1 ', { salt: CRAM_SALT }),
      R('a1 NO [UNAVAILABLE] try later\r\n'),
      R(CRAM_CHALLENGE),
    ],
  },
  {
    name: 'CRAM-MD5 with an initial response is invalid',
    settings: { auth: ALL_AUTH },
    chunks: ['a1 AUTHENTICATE CRAM-MD5 abc\r\n'],
    events: [GREETING, R('a1 BAD invalid command\r\n')],
  },
  {
    name: 'EXTERNAL is refused when not enabled, with or without an initial response (Q-4 fixed)',
    chunks: ['a1 AUTHENTICATE EXTERNAL\r\n', `a2 AUTHENTICATE EXTERNAL ${b64('alice')}\r\n`],
    events: [GREETING, R('a1 BAD invalid command\r\n'), R('a2 BAD invalid command\r\n')],
  },
  {
    name: 'EXTERNAL prompts with Username: and accepts = as the empty identity',
    settings: { auth: ALL_AUTH },
    opts: { auth: () => 'accept' },
    chunks: ['a1 AUTHENTICATE EXTERNAL\r\n', '=\r\n'],
    events: [GREETING, R('+ VXNlcm5hbWU6\r\n'), AUTH('external', '', '', 'a1 ')],
  },
  {
    name: 'EXTERNAL with an initial response asks auth_http at once when enabled',
    settings: { auth: ALL_AUTH },
    opts: { auth: () => 'accept' },
    chunks: [`a1 AUTHENTICATE EXTERNAL ${b64('alice')}\r\n`],
    events: [GREETING, AUTH('external', 'alice', '', 'a1 ')],
  },
  {
    name: 'refuses unknown mechanisms, no mechanism and too many arguments without counting them',
    settings: { maxErrors: 1 },
    chunks: ['a1 AUTHENTICATE XOAUTH2 abc\r\na2 AUTHENTICATE\r\na3 AUTHENTICATE PLAIN a b\r\na4 NOOP\r\n'],
    events: [GREETING, R('a1 BAD invalid command\r\n'), R('a2 BAD invalid command\r\n'), R('a3 BAD invalid command\r\n'), R('a4 OK completed\r\n')],
  },
  {
    name: 'uses only the first token of a SASL line',
    opts: { auth: () => 'accept' },
    chunks: ['a1 AUTHENTICATE PLAIN\r\n', `${b64('\0alice\0pw')} ignored too\r\n`],
    events: [GREETING, R('+ \r\n'), AUTH('plain', 'alice', 'pw', 'a1 ')],
  },
]);

table('IMAP machine: SASL cancellation and bad SASL data (reference 4.0.6, 4.4)', [
  {
    name: 'ends a PLAIN exchange on the cancel * with the invalid base64 log and a tagged BAD',
    settings: { maxErrors: 1 },
    chunks: ['a1 AUTHENTICATE PLAIN\r\n', '*\r\n', 'a2 NOOP\r\n'],
    events: [GREETING, R('+ \r\n'), LOG('client sent invalid base64 encoding in AUTH PLAIN command'), R('a1 BAD invalid command\r\n'), R('a2 OK completed\r\n')],
  },
  {
    name: 'ends a LOGIN exchange on * at the user name step with the tag (nginx sends no tag here)',
    chunks: ['a1 AUTHENTICATE LOGIN\r\n', '*\r\n', 'a2 NOOP\r\n'],
    events: [GREETING, R('+ VXNlcm5hbWU6\r\n'), LOG('client sent invalid base64 encoding in AUTH LOGIN command'), R('a1 BAD invalid command\r\n'), R('a2 OK completed\r\n')],
  },
  {
    name: 'ends a LOGIN exchange on * at the password step',
    chunks: ['a1 AUTHENTICATE LOGIN\r\n', `${b64('alice')}\r\n`, '*\r\n'],
    events: [
      GREETING,
      R('+ VXNlcm5hbWU6\r\n'),
      LOGIN('alice'),
      R('+ UGFzc3dvcmQ6\r\n'),
      LOG('client sent invalid base64 encoding in AUTH LOGIN command'),
      R('a1 BAD invalid command\r\n'),
    ],
  },
  {
    name: 'refuses a bad initial LOGIN user name with the log and a tagged BAD',
    chunks: ['a1 AUTHENTICATE LOGIN *\r\n'],
    events: [GREETING, LOG('client sent invalid base64 encoding in AUTH LOGIN command'), R('a1 BAD invalid command\r\n')],
  },
  {
    name: 'ends CRAM-MD5 and EXTERNAL exchanges on *',
    settings: { auth: ALL_AUTH },
    chunks: ['a1 AUTHENTICATE CRAM-MD5\r\n', '*\r\n', 'a2 AUTHENTICATE EXTERNAL\r\n', '*\r\n'],
    events: [
      GREETING,
      R(CRAM_CHALLENGE),
      LOG('client sent invalid base64 encoding in AUTH CRAM-MD5 command'),
      R('a1 BAD invalid command\r\n'),
      R('+ VXNlcm5hbWU6\r\n'),
      LOG('client sent invalid base64 encoding in AUTH EXTERNAL command'),
      R('a2 BAD invalid command\r\n'),
    ],
  },
  {
    name: 'logs PLAIN payloads without their NULs',
    chunks: [`a1 AUTHENTICATE PLAIN ${b64('alice')}\r\n`, `a2 AUTHENTICATE PLAIN ${b64('\0alice')}\r\n`],
    events: [
      GREETING,
      LOG('client sent invalid login in AUTH PLAIN command'),
      R('a1 BAD invalid command\r\n'),
      LOG('client sent invalid password in AUTH PLAIN command'),
      R('a2 BAD invalid command\r\n'),
    ],
  },
  {
    name: 'logs a CRAM-MD5 answer whose digest is not 32 bytes',
    settings: { auth: ALL_AUTH },
    chunks: ['a1 AUTHENTICATE CRAM-MD5\r\n', `${b64('alice short')}\r\n`],
    events: [
      GREETING,
      R(CRAM_CHALLENGE),
      LOGIN('alice'),
      LOG('client sent invalid CRAM-MD5 hash in AUTH CRAM-MD5 command'),
      R('a1 BAD invalid command\r\n'),
    ],
  },
  {
    name: 'counts a parse error in a SASL line and answers it with the AUTHENTICATE tag',
    settings: { maxErrors: 1 },
    chunks: ['a1 AUTHENTICATE PLAIN\r\n', 'a b c d\r\n'],
    events: [GREETING, R('+ \r\n'), LOG('client sent too many invalid commands'), R('a1 BAD invalid command\r\n'), CLOSE('tooManyErrors')],
  },
]);

table('IMAP machine: invalid commands and max_errors (reference 4.0.4, Q-10)', [
  {
    name: 'answers a bad tag untagged and a bad verb tagged',
    chunks: ['$$ NOOP\r\na1 XLIST\r\n'],
    events: [GREETING, R('* BAD invalid command\r\n'), R('a1 BAD invalid command\r\n')],
  },
  {
    name: 'closes at the max_errors-th parse error with the INFO log first',
    chunks: ['x\r\n', 'x\r\n', 'x\r\n', 'x\r\n', 'x\r\n', 'x\r\n'],
    events: [
      GREETING,
      R('* BAD invalid command\r\n'),
      R('* BAD invalid command\r\n'),
      R('* BAD invalid command\r\n'),
      R('* BAD invalid command\r\n'),
      LOG('client sent too many invalid commands'),
      R('* BAD invalid command\r\n'),
      CLOSE('tooManyErrors'),
    ],
  },
  {
    name: 'closes on the first parse error with max_errors 0',
    settings: { maxErrors: 0 },
    chunks: ['a1 BOGUS\r\n'],
    events: [GREETING, LOG('client sent too many invalid commands'), R('a1 BAD invalid command\r\n'), CLOSE('tooManyErrors')],
  },
  {
    name: 'keeps counting across good commands',
    settings: { maxErrors: 2 },
    chunks: ['a1 BOGUS\r\na2 NOOP\r\na3 BOGUS\r\na4 NOOP\r\n'],
    events: [GREETING, R('a1 BAD invalid command\r\n'), R('a2 OK completed\r\n'), LOG('client sent too many invalid commands'), R('a3 BAD invalid command\r\n'), CLOSE('tooManyErrors')],
  },
  {
    name: 'closes after the reply when an invalid line announced a non-synchronising literal',
    chunks: ['a1 XAPPEND {5+}\r\nhello\r\n'],
    events: [GREETING, R('a1 BAD invalid command\r\n'), CLOSE('rejected')],
  },
  {
    name: 'refuses a literal followed by something other than SP or CRLF (nginx 1.29.6)',
    chunks: ['a1 LOGIN {5}\r\n', 'alicex pw\r\n'],
    events: [GREETING, R('+ OK\r\n'), R('a1 BAD invalid command\r\n')],
  },
]);

table('IMAP machine: the client buffer (reference 4.0.3, Q-9 fixed)', [
  {
    name: 'closes on a command longer than the buffer, tagged, logged and not counted',
    settings: { clientBufferBytes: 32 },
    chunks: ['a1 NOOP xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n'],
    events: [GREETING, 'overflow', LOG('client sent too long command "a1 NOOP xxxxxxxxxxxxxxxxxxxxxxxx"'), R('a1 BAD invalid command\r\n'), CLOSE('tooLong')],
  },
  {
    name: 'answers untagged when the buffer filled before a tag was parsed',
    settings: { clientBufferBytes: 16 },
    chunks: ['abcdefghijklmnopqrstuvwxyz NOOP\r\n'],
    events: [GREETING, 'overflow', LOG('client sent too long command "abcdefghijklmnop"'), R('* BAD invalid command\r\n'), CLOSE('tooLong')],
  },
  {
    name: 'masks what follows LOGIN in the too-long log line',
    settings: { clientBufferBytes: 32 },
    chunks: ['a1 LOGIN alice averyveryverylongpassword\r\n'],
    events: [GREETING, 'overflow', LOG('client sent too long command "a1 LOGIN ***"'), R('a1 BAD invalid command\r\n'), CLOSE('tooLong')],
  },
  {
    name: 'masks a whole SASL line and answers with the AUTHENTICATE tag',
    settings: { clientBufferBytes: 32 },
    chunks: ['a1 AUTHENTICATE PLAIN\r\n', `${'A'.repeat(40)}\r\n`],
    events: [GREETING, R('+ \r\n'), 'overflow', LOG('client sent too long command "***"'), R('a1 BAD invalid command\r\n'), CLOSE('tooLong')],
  },
  {
    name: 'accepts literals that fill the buffer exactly together with their line',
    settings: { clientBufferBytes: 32 },
    opts: { auth: () => 'accept' },
    chunks: ['a1 LOGIN {5}\r\n', 'alice {5}\r\n', 'secre\r\n'],
    events: [GREETING, R('+ OK\r\n'), R('+ OK\r\n'), AUTH('plain', 'alice', 'secre', 'a1 ')],
  },
  {
    name: 'sends + OK for a literal too big for the buffer and then closes as too long, as nginx does',
    settings: { clientBufferBytes: 32 },
    chunks: ['a1 LOGIN {100}\r\n', 'x'.repeat(100)],
    events: [GREETING, R('+ OK\r\n'), 'overflow', LOG('client sent too long command "a1 LOGIN ***"'), R('a1 BAD invalid command\r\n'), CLOSE('tooLong')],
  },
  {
    name: 'does not count a pipelined command that straddles the buffer end as too long (Q-9 fixed)',
    settings: { clientBufferBytes: 20 },
    chunks: ['a1 NOOP\r\na2 NOOP 123456789\r\n'],
    events: [GREETING, R('a1 OK completed\r\n'), R('a2 OK completed\r\n')],
  },
]);

table('IMAP machine: ID before login (ours; nginx answers BAD)', [
  {
    name: 'answers ID NIL with * ID NIL and OK completed',
    chunks: ['a1 ID NIL\r\n'],
    events: [GREETING, R('* ID NIL\r\na1 OK completed\r\n')],
  },
  {
    name: 'keeps the client parameters and hands them to the upstream login',
    opts: { auth: () => 'accept' },
    chunks: ['a1 ID ("name" "Thunderbird" "version" "115.0")\r\n', 'a2 LOGIN alice pw\r\n'],
    events: [
      GREETING,
      R('* ID NIL\r\na1 OK completed\r\n'),
      AUTH('plain', 'alice', 'pw', 'a2 ', { id: '("name" "Thunderbird" "version" "115.0")' }),
    ],
  },
  {
    name: 'keeps only the last ID',
    opts: { auth: () => 'accept' },
    chunks: ['a1 ID ("name" "one")\r\na2 ID NIL\r\na3 LOGIN alice pw\r\n'],
    events: [GREETING, R('* ID NIL\r\na1 OK completed\r\n'), R('* ID NIL\r\na2 OK completed\r\n'), AUTH('plain', 'alice', 'pw', 'a3 ', { id: 'NIL' })],
  },
  {
    name: 'forgets ID parameters sent before STARTTLS',
    settings: { starttls: 'on' },
    opts: { auth: () => 'accept' },
    chunks: ['a1 ID ("name" "injected")\r\na2 STARTTLS\r\n', 'a3 LOGIN alice pw\r\n'],
    events: [GREETING, R('* ID NIL\r\na1 OK completed\r\n'), R('a2 OK completed\r\n'), 'startTls', AUTH('plain', 'alice', 'pw', 'a3 ')],
  },
  {
    name: 'works under starttls only before TLS',
    settings: { starttls: 'only' },
    chunks: ['a1 ID NIL\r\n'],
    events: [GREETING, R('* ID NIL\r\na1 OK completed\r\n')],
  },
  {
    name: 'refuses ID without a parameter uncounted and a malformed list counted',
    settings: { maxErrors: 1 },
    chunks: ['a1 ID\r\na2 ID ("a")\r\n'],
    events: [GREETING, R('a1 BAD invalid command\r\n'), LOG('client sent too many invalid commands'), R('a2 BAD invalid command\r\n'), CLOSE('tooManyErrors')],
  },
]);

describe('IMAP machine: protocol table', () => {
  it('has nginx canned replies for internal and certificate errors', () => {
    assert.equal(imapProtocol.name, 'imap');
    assert.equal(imapProtocol.internalError.toString('latin1'), '* BAD internal server error\r\n');
    assert.equal(imapProtocol.certificateError.toString('latin1'), '* BYE SSL certificate error\r\n');
    assert.equal(imapProtocol.noCertificate.toString('latin1'), '* BYE No required SSL certificate\r\n');
  });
  it('reads nothing while waiting for auth_http', () => {
    const s = settings();
    const r = drive(s, ['a1 LOGIN a b\r\n'], { auth: () => 'accept' });
    const more = Buffer.from('a2 NOOP\r\n');
    const f = imapProtocol.feed(r.state, more, 0, more.length, s);
    assert.equal(f.consumed, 0);
    assert.deepEqual(f.actions, []);
  });
  it('answers a retry-less failure with a closing NO even without a tag', () => {
    const s = settings();
    const st = imapProtocol.start(s, { tls: false, random: 1, unixTime: 2 }).state;
    const f = imapProtocol.authFailed(st, REFUSE, s);
    assert.deepEqual(
      f.actions.map((a) => (a.type === 'reply' ? a.data.toString('latin1') : a.type)),
      ['* NO Invalid login or password\r\n', 'close'],
    );
  });
  it('never passes a password to a log action', () => {
    const s = settings({ auth: ALL_AUTH, clientBufferBytes: 48, maxErrors: 100 });
    const secret = 'Sup3rSecretPassw0rd';
    const inputs = [
      [`a1 LOGIN alice ${secret}${'x'.repeat(40)}\r\n`],
      ['a1 AUTHENTICATE PLAIN\r\n', `${b64(`\0alice\0${secret}`)}${'='.repeat(30)}\r\n`],
      [`a1 AUTHENTICATE LOGIN ${b64('alice')}\r\n`, `${b64(secret)}*\r\n`],
    ];
    for (const chunks of inputs) {
      const r = drive(s, chunks);
      for (const e of r.events) if (e.startsWith('log')) assert.ok(!e.includes(secret) && !e.includes(b64(secret)), e);
    }
  });
});
