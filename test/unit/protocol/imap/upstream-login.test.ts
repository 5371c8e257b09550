import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { imapUpstreamLogin, type ImapLoginState, type ImapUpstreamLoginSettings } from '../../../../src/protocol/imap/index.js';
import type { UpstreamAction, UpstreamLoginContext } from '../../../../src/protocol/types.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

const SETTINGS: ImapUpstreamLoginSettings = {
  serverName: 'mail.example.com',
  xclient: true,
  smtpAuth: false,
  clientAddr: '192.0.2.7',
  clientIsIpv6: false,
  clientHost: '[UNAVAILABLE]',
};
const CTX: UpstreamLoginContext = { protocol: 'imap', tag: b('a1 '), clientId: null };

function describeUp(a: UpstreamAction): string {
  switch (a.type) {
    case 'send':
      return `send ${JSON.stringify(a.data.toString('latin1'))} (${a.phase})`;
    case 'done':
      return `done ${JSON.stringify(a.reply.toString('latin1'))}`;
    case 'rejected':
      return `rejected line=${JSON.stringify(a.line.toString('latin1'))} raw=${JSON.stringify(a.raw.toString('latin1'))}`;
    case 'error':
      return `error ${a.message} (${a.phase})`;
  }
}

interface Run {
  readonly events: string[];
  readonly state: ImapLoginState;
  /** backend bytes left unconsumed at the end (for the relay) */
  readonly rest: string;
  /** phase() after each chunk */
  readonly phases: string[];
}

/** Plays backend chunks against the dialogue the way the connector would: one buffer, consumed bytes dropped. */
function play(chunks: readonly string[], opts: { ctx?: UpstreamLoginContext; settings?: Partial<ImapUpstreamLoginSettings>; password?: string | null; login?: string } = {}): Run {
  let state = imapUpstreamLogin.start(
    opts.ctx ?? CTX,
    { login: b(opts.login ?? 'alice'), password: opts.password === null ? null : b(opts.password ?? 'secret') },
    { ...SETTINGS, ...opts.settings },
  );
  const events: string[] = [];
  const phases: string[] = [imapUpstreamLogin.phase(state)];
  let buf = Buffer.alloc(0);
  let finished = false;
  for (const c of chunks) {
    buf = Buffer.concat([buf, b(c)]);
    for (let guard = 0; guard < 100; guard++) {
      const r = imapUpstreamLogin.feed(state, buf, 0, buf.length);
      state = r.state;
      buf = buf.subarray(r.consumed);
      for (const a of r.actions) {
        events.push(describeUp(a));
        if (a.type !== 'send') finished = true;
      }
      if (finished || (r.consumed === 0 && r.actions.length === 0)) break;
    }
    phases.push(imapUpstreamLogin.phase(state));
    if (finished) break;
  }
  return { events, state, rest: buf.toString('latin1'), phases };
}

/** The same dialogue with every backend chunk split into single bytes must give the same events. */
function playBytewise(chunks: readonly string[], opts: Parameters<typeof play>[1] = {}): string[] {
  return play(chunks.join('').split(''), opts).events;
}

const DOVECOT_GREETING =
  '* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN] Dovecot ready.\r\n';
const PLAIN_GREETING = '* OK IMAP4rev1 server ready\r\n';

describe('IMAP upstream login: nginx dialogue with synchronising literals (reference 5.3)', () => {
  const backend = [PLAIN_GREETING, '+ OK\r\n', '+ OK\r\n', 'a1 OK LOGIN completed\r\n'];
  const expected = [
    'send "a1 LOGIN {5}\\r\\n" (sending LOGIN command to upstream)',
    'send "alice {6}\\r\\n" (sending user name to upstream)',
    'send "secret\\r\\n" (sending password to upstream)',
    'done "a1 OK LOGIN completed\\r\\n"',
  ];
  it('logs in with the client tag and two literals and relays the tagged OK', () => {
    assert.deepEqual(play(backend).events, expected);
  });
  it('gives the same dialogue when the backend bytes arrive one at a time', () => {
    assert.deepEqual(playBytewise(backend), expected);
  });
  it('gives the same dialogue when replies arrive split anywhere', () => {
    const all = backend.join('');
    for (let cut = 1; cut < all.length; cut++) {
      assert.deepEqual(play([all.slice(0, cut), all.slice(cut)]).events.slice(0, 1), expected.slice(0, 1), `cut ${String(cut)}`);
    }
  });
  it('reports nginx action texts for timeouts while waiting', () => {
    assert.deepEqual(play(['* OK', ' hi\r\n', '+', ' OK\r\n']).phases, [
      'connecting to upstream',
      'reading response from upstream',
      'sending LOGIN command to upstream',
      'reading response from upstream',
      'sending user name to upstream',
    ]);
  });
  it('counts literal lengths in bytes', () => {
    assert.deepEqual(play([PLAIN_GREETING, '+ go\r\n'], { login: 'j\xfcrgen' }).events, [
      'send "a1 LOGIN {6}\\r\\n" (sending LOGIN command to upstream)',
      'send "j\xfcrgen {6}\\r\\n" (sending user name to upstream)',
    ]);
  });
  it('relays untagged lines before the tagged OK with it, any number of them (Q-18 relaxed)', () => {
    const r = play([PLAIN_GREETING, '+ OK\r\n', '+ OK\r\n', '* CAPABILITY IMAP4rev1 IDLE\r\n* OK [ALERT] hi\r\n', 'a1 OK done\r\n']);
    assert.deepEqual(r.events.at(-1), 'done "* CAPABILITY IMAP4rev1 IDLE\\r\\n* OK [ALERT] hi\\r\\na1 OK done\\r\\n"');
  });
  it('leaves bytes after the tagged OK to the relay', () => {
    const r = play([PLAIN_GREETING, '+ OK\r\n', '+ OK\r\n', 'a1 OK done\r\n* 3 EXISTS\r\n']);
    assert.deepEqual(r.events.at(-1), 'done "a1 OK done\\r\\n"');
    assert.equal(r.rest, '* 3 EXISTS\r\n');
  });
  it('does not take a bare LF as the end of a reply', () => {
    assert.deepEqual(play(['* OK hi\n']).events, []);
  });
});

describe('IMAP upstream login: LITERAL+ and LITERAL- (ours)', () => {
  it('sends the whole LOGIN in one write when the greeting offers LITERAL+', () => {
    const r = play([DOVECOT_GREETING, 'a1 OK [CAPABILITY IMAP4rev1 IDLE] Logged in\r\n']);
    assert.deepEqual(r.events, [
      'send "a1 LOGIN {5+}\\r\\nalice {6+}\\r\\nsecret\\r\\n" (sending LOGIN command to upstream)',
      'done "a1 OK [CAPABILITY IMAP4rev1 IDLE] Logged in\\r\\n"',
    ]);
  });
  it('uses LITERAL- when both literals are at most 4096 bytes', () => {
    const r = play(['* OK [CAPABILITY IMAP4rev1 literal-] hi\r\n']);
    assert.deepEqual(r.events, ['send "a1 LOGIN {5+}\\r\\nalice {6+}\\r\\nsecret\\r\\n" (sending LOGIN command to upstream)']);
  });
  it('falls back to synchronising literals under LITERAL- when a literal is over 4096 bytes', () => {
    const r = play(['* OK [CAPABILITY IMAP4rev1 LITERAL-] hi\r\n'], { password: 'p'.repeat(4097) });
    assert.deepEqual(r.events, ['send "a1 LOGIN {5}\\r\\n" (sending LOGIN command to upstream)']);
  });
  it('ignores LITERAL+ outside a CAPABILITY response code', () => {
    const r = play(['* OK LITERAL+ ready\r\n']);
    assert.deepEqual(r.events, ['send "a1 LOGIN {5}\\r\\n" (sending LOGIN command to upstream)']);
  });
});

describe('IMAP upstream login: rejections (reference 5.4)', () => {
  it('rejects a PREAUTH or BYE greeting with the whole line', () => {
    assert.deepEqual(play(['* PREAUTH hi\r\n']).events, ['rejected line="* PREAUTH hi" raw="* PREAUTH hi\\r\\n"']);
    assert.deepEqual(play(['* BYE busy\r\n']).events, ['rejected line="* BYE busy" raw="* BYE busy\\r\\n"']);
  });
  it('rejects anything but + after the LOGIN literal header', () => {
    assert.deepEqual(play([PLAIN_GREETING, '* BYE no\r\n']).events.at(-1), 'rejected line="* BYE no" raw="* BYE no\\r\\n"');
    assert.deepEqual(play([PLAIN_GREETING, '+ OK\r\n', 'a1 BAD x\r\n']).events.at(-1), 'rejected line="a1 BAD x" raw="a1 BAD x\\r\\n"');
  });
  it('logs a tagged NO from just past the tag, as nginx does, and keeps the raw reply for pass_error_message', () => {
    const r = play([DOVECOT_GREETING, '* CAPABILITY X\r\na1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n']);
    assert.deepEqual(
      r.events.at(-1),
      'rejected line="NO [AUTHENTICATIONFAILED] Authentication failed." raw="* CAPABILITY X\\r\\na1 NO [AUTHENTICATIONFAILED] Authentication failed.\\r\\n"',
    );
  });
  it('rejects a tagged reply with another tag whole', () => {
    assert.deepEqual(play([DOVECOT_GREETING, 'a2 OK\r\n']).events.at(-1), 'rejected line="a2 OK" raw="a2 OK\\r\\n"');
  });
  it('fails with nginx text when a reply does not fit proxy_buffer', () => {
    const r = play([`* OK ${'x'.repeat(60)}`], { settings: { proxyBufferBytes: 32 } });
    assert.deepEqual(r.events, [`error upstream sent too long response line: "* OK ${'x'.repeat(26)}" (reading response from upstream)`]);
  });
  it('fails when untagged lines and the tagged reply together overflow proxy_buffer', () => {
    const untagged = '* CAPABILITY AAAAAAAAAAAAAAAA\r\n';
    const r = play(['* OK [CAPABILITY LITERAL+] x\r\n', untagged, 'a1 OK Logged in\r\n'], { settings: { proxyBufferBytes: 40 } });
    const shown = `${untagged}a1 OK Logged in\r\n`.slice(0, 39);
    assert.deepEqual(r.events.at(-1), `error upstream sent too long response line: "${shown}" (reading response from upstream)`);
  });
  it('reports a missing password as an internal failure', () => {
    assert.deepEqual(play([PLAIN_GREETING], { password: null }).events, ['error no password available (sending LOGIN command to upstream)']);
  });
  it('refuses to start for another protocol', () => {
    assert.throws(() => imapUpstreamLogin.start({ protocol: 'pop3' }, { login: b('a'), password: b('b') }, SETTINGS));
  });
  it('does nothing more once finished', () => {
    const r = play([DOVECOT_GREETING, 'a1 OK hi\r\n']);
    const more = b('* 1 EXISTS\r\n');
    assert.deepEqual(imapUpstreamLogin.feed(r.state, more, 0, more.length), { state: r.state, actions: [], consumed: 0 });
  });
});

describe('IMAP upstream login: ID forwarding (ours, forwardId)', () => {
  const ctx: UpstreamLoginContext = { protocol: 'imap', tag: b('a1 '), clientId: b('("name" "Thunderbird" "x-originating-ip" "6.6.6.6")') };
  const settings = { forwardId: true, clientPort: 51514, localAddr: '198.51.100.1', localPort: 143 };
  const ID_LINE =
    'a1.id ID ("name" "Thunderbird" "x-originating-ip" "192.0.2.7" "x-originating-port" "51514" "x-connected-ip" "198.51.100.1" "x-connected-port" "143")\r\n';
  const send = (data: string, phase: string): string => `send ${JSON.stringify(data)} (${phase})`;

  it('sends ID with the LOGIN header in one write and drops the ID reply', () => {
    const r = play([PLAIN_GREETING, '* ID ("name" "Dovecot")\r\na1.id OK ID completed.\r\n+ OK\r\n', '+ OK\r\n', 'a1 OK in\r\n'], { ctx, settings });
    assert.deepEqual(r.events, [
      send(`${ID_LINE}a1 LOGIN {5}\r\n`, 'sending LOGIN command to upstream'),
      'send "alice {6}\\r\\n" (sending user name to upstream)',
      'send "secret\\r\\n" (sending password to upstream)',
      'done "a1 OK in\\r\\n"',
    ]);
  });
  it('pipelines ID and a LITERAL+ LOGIN and relays only the LOGIN reply, also byte at a time', () => {
    const backend = [DOVECOT_GREETING, '* ID NIL\r\na1.id BAD not now\r\n* CAPABILITY X\r\na1 OK in\r\n'];
    const expected = [
      send(`${ID_LINE}a1 LOGIN {5+}\r\nalice {6+}\r\nsecret\r\n`, 'sending LOGIN command to upstream'),
      'done "* CAPABILITY X\\r\\na1 OK in\\r\\n"',
    ];
    assert.deepEqual(play(backend, { ctx, settings }).events, expected);
    assert.deepEqual(playBytewise(backend, { ctx, settings }), expected);
  });
  it('sends only the connection facts when the client sent no ID', () => {
    const r = play([PLAIN_GREETING], { settings: { forwardId: true } });
    assert.deepEqual(r.events, ['send "a1.id ID (\\"x-originating-ip\\" \\"192.0.2.7\\")\\r\\na1 LOGIN {5}\\r\\n" (sending LOGIN command to upstream)']);
  });
  it('keeps the rejected raw reply free of the ID lines', () => {
    const r = play([DOVECOT_GREETING, '* ID NIL\r\na1.id OK\r\na1 NO bad\r\n'], { ctx, settings });
    assert.deepEqual(r.events.at(-1), 'rejected line="NO bad" raw="a1 NO bad\\r\\n"');
  });
});
