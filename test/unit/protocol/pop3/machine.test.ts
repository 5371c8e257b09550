import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pop3LogAction, pop3Protocol, makePop3Settings, type Pop3Settings, type Pop3SettingsInput, type Pop3State } from '../../../../src/protocol/pop3/index.js';
import { MAX_ERRORS_DEFAULT, POP3_CLIENT_BUFFER_DEFAULT } from '../../../../src/limits.js';
import { describeActions, ShellSim, TEST_ENV } from './shell-sim.js';
import { CAPA, ERR, GREETING, plainAuth, SALT, TRANSCRIPTS, type Over } from './transcripts.js';
import { assertTranscript, withOver } from '../../../helpers/line-transcripts.js';

const BASE: Pop3SettingsInput = {
  serverName: 'mx.example.com',
  auth: { plain: true, apop: false, cramMd5: false, external: false },
  capabilities: [],
  starttls: 'off',
  maxErrors: MAX_ERRORS_DEFAULT,
  clientBufferBytes: POP3_CLIENT_BUFFER_DEFAULT,
};

function settings(over: Over = {}): Pop3Settings {
  return makePop3Settings(withOver(BASE, over));
}

function sim(over: Over = {}, tls = false): ShellSim<Pop3State, Pop3Settings> {
  return new ShellSim(pop3Protocol, settings(over), { ...TEST_ENV, tls });
}

describe('pop3 machine transcripts', () => {
  for (const t of TRANSCRIPTS) {
    it(t.name, () => {
      const salted = t.over?.auth?.apop === true || t.over?.auth?.cramMd5 === true;
      assertTranscript(t, sim, salted ? `+OK POP3 ready ${SALT}\r\n` : GREETING);
    });
  }
});

describe('pop3 greeting', () => {
  it('is +OK POP3 ready without apop or cram-md5', () => {
    assert.equal(sim().out, GREETING);
  });
  it('carries the salt when apop is enabled', () => {
    assert.equal(sim({ auth: { apop: true } }).out, `+OK POP3 ready ${SALT}\r\n`);
  });
  it('carries the salt when cram-md5 is enabled', () => {
    assert.equal(sim({ auth: { cramMd5: true } }).out, `+OK POP3 ready ${SALT}\r\n`);
  });
});

describe('pop3 STLS', () => {
  it('answers +OK, asks for TLS and drops everything pipelined behind it', () => {
    const s = sim({ starttls: 'on' });
    s.send('STLS\r\nUSER injected\r\nPASS x\r\n');
    assert.equal(s.out, `${GREETING}+OK\r\n`);
    assert.deepEqual(describeActions(s.actions).slice(1), ['reply "+OK\\r\\n"', 'startTls']);
    assert.equal(s.buffered, '');
    s.tlsStarted();
    assert.equal(s.lastAuth, null);
    s.send('CAPA\r\nSTLS\r\n');
    assert.equal(s.out, `${GREETING}+OK\r\n${CAPA}${ERR}`);
  });
  it('sends no new greeting after the handshake', () => {
    const s = sim({ starttls: 'only' });
    s.send('STLS\r\n').tlsStarted();
    assert.equal(s.out, `${GREETING}+OK\r\n`);
    s.send('USER a\r\nPASS b\r\n');
    assert.deepEqual(s.lastAuth, plainAuth('a', 'b'));
  });
  it('is refused with starttls off and on a TLS connection', () => {
    assert.equal(sim().send('STLS\r\n').out, GREETING + ERR);
    assert.equal(sim({ starttls: 'on' }, true).send('STLS\r\n').out, GREETING + ERR);
  });
  it('keeps the parse error count across the upgrade', () => {
    const s = sim({ starttls: 'on', maxErrors: 2 });
    s.send('XYZ\r\nSTLS\r\n').tlsStarted().send('XYZ\r\n');
    assert.equal(s.closeReason, 'tooManyErrors');
  });
});

describe('pop3 auth outcomes', () => {
  it('an auth failure without Auth-Wait answers -ERR <text> and closes', () => {
    const s = sim();
    s.send('USER a\r\nPASS b\r\n').authFailed({ text: 'Invalid login or password' });
    assert.equal(s.out, `${GREETING}+OK\r\n-ERR Invalid login or password\r\n`);
    assert.equal(s.closeReason, 'authFailed');
  });
  it('an auth failure with Auth-Wait returns to the start state and handles pipelined input', () => {
    const s = sim();
    s.send('USER a\r\nPASS b\r\nPASS c\r\nUSER d\r\nPASS e\r\n');
    assert.equal(s.buffered, 'PASS c\r\nUSER d\r\nPASS e\r\n');
    s.authFailed({ text: '[SYS/TEMP] try later', retry: true });
    assert.equal(s.out, `${GREETING}+OK\r\n-ERR [SYS/TEMP] try later\r\n${ERR}+OK\r\n`);
    assert.deepEqual(s.lastAuth, plainAuth('d', 'e'));
    assert.equal(s.closeReason, null);
  });
  it('exposes nginx internal and certificate replies', () => {
    assert.equal(pop3Protocol.internalError.toString(), '-ERR internal server error\r\n');
    assert.equal(pop3Protocol.certificateError.toString(), '-ERR SSL certificate error\r\n');
    assert.equal(pop3Protocol.noCertificate.toString(), '-ERR No required SSL certificate\r\n');
  });
});

describe('pop3 log actions', () => {
  it("names nginx's action for the state a session is in", () => {
    const s = sim({ starttls: 'on' });
    assert.equal(pop3LogAction(s.state), 'in auth state');
    s.send('USER a\r\nPASS b\r\n');
    assert.equal(pop3LogAction(s.state), 'in http auth state');
    const t = sim({ starttls: 'on' }).send('STLS\r\n');
    assert.equal(pop3LogAction(t.state), 'in starttls state');
  });
});

describe('pop3 feed contract', () => {
  it('reports 0 consumed and no actions for an unfinished line, then resumes from the same start', () => {
    const st = settings();
    let state = pop3Protocol.start(st, TEST_ENV).state;
    const buf = Buffer.from('xxUSER al', 'latin1');
    const r1 = pop3Protocol.feed(state, buf, 2, buf.length, st);
    assert.equal(r1.consumed, 0);
    assert.equal(r1.actions.length, 0);
    state = r1.state;
    // The shell moved the bytes to the front of a new buffer: positions are relative to `start`.
    const moved = Buffer.from('USER alice\r\n', 'latin1');
    const r2 = pop3Protocol.feed(state, moved, 0, moved.length, st);
    assert.equal(r2.consumed, moved.length);
    // USER names the login before any auth request; nginx shows it in later log lines
    assert.deepEqual(describeActions(r2.actions), ['login 616c696365', 'reply "+OK\\r\\n"']);
  });
  it('handles one command per call and leaves the rest', () => {
    const st = settings();
    const state = pop3Protocol.start(st, TEST_ENV).state;
    const buf = Buffer.from('NOOP\r\nNOOP\r\n', 'latin1');
    const r = pop3Protocol.feed(state, buf, 0, buf.length, st);
    assert.equal(r.consumed, 6);
  });
  it('holds input while an auth request is out', () => {
    const st = settings();
    const s = sim();
    s.send('USER a\r\nPASS b\r\n');
    const buf = Buffer.from('NOOP\r\n', 'latin1');
    const r = pop3Protocol.feed(s.state, buf, 0, buf.length, st);
    assert.equal(r.consumed, 0);
    assert.equal(r.actions.length, 0);
  });
});
