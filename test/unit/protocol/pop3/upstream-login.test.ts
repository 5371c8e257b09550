import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pop3UpstreamLogin } from '../../../../src/protocol/pop3/index.js';
import { pop3ReplyEnd, type Pop3LoginState } from '../../../../src/protocol/pop3/upstream-login.js';
import { LoginSim } from './login-sim.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

function login(user = 'alice', pass: string | null = 'secret'): LoginSim<Pop3LoginState> {
  return new LoginSim(pop3UpstreamLogin, { protocol: 'pop3' }, { login: b(user), password: pass === null ? null : b(pass) });
}

describe('pop3 upstream login', () => {
  it('sends USER and PASS after +OK replies and relays the last +OK line', () => {
    const s = login();
    assert.equal(s.phase, 'connecting to upstream');
    s.recv('+OK Dovecot ready.\r\n');
    assert.equal(s.sent, 'USER alice\r\n');
    assert.equal(s.phase, 'sending user name to upstream');
    s.recv('+OK\r\n');
    assert.equal(s.sent, 'USER alice\r\nPASS secret\r\n');
    assert.equal(s.phase, 'sending password to upstream');
    s.recv('+OK Logged in.\r\n');
    assert.equal(s.outcome, 'done +OK Logged in.\r\n');
  });

  it('sends login and password raw, spaces included', () => {
    const s = login('a b', 'p w ');
    s.recv('+OK\r\n+OK\r\n');
    assert.equal(s.sent, 'USER a b\r\nPASS p w \r\n');
  });

  it('waits for a whole reply however the bytes are split', () => {
    const script = '+OK hi\r\n+OK\r\n+OK done\r\n';
    for (let cut = 1; cut < script.length; cut++) {
      const s = login();
      s.recv(script.slice(0, cut)).recv(script.slice(cut));
      assert.equal(s.sent, 'USER alice\r\nPASS secret\r\n', `cut ${String(cut)}`);
      assert.equal(s.outcome, 'done +OK done\r\n');
    }
  });

  it('never completes a reply without its CRLF, so the driver applies the proxy_buffer limit', () => {
    const s = login();
    s.recv(`+OK ${'x'.repeat(8000)}\n`);
    assert.equal(s.outcome, null);
    assert.equal(s.leftover.length, 8005);
  });

  it('says it is reading once part of a reply arrived', () => {
    const s = login();
    s.recv('+OK');
    assert.equal(s.phase, 'reading response from upstream');
    assert.equal(s.sent, '');
  });

  it('leaves backend bytes behind the final reply for the relay', () => {
    const s = login();
    s.recv('+OK\r\n+OK\r\n+OK in\r\n+extra');
    assert.equal(s.outcome, 'done +OK in\r\n');
    assert.equal(s.leftover, '+extra');
  });

  it('rejects a greeting that is not +OK with the line and the raw reply', () => {
    const s = login();
    s.recv('-ERR go away\r\n');
    assert.equal(s.outcome, 'rejected -ERR go away | -ERR go away\r\n');
    assert.equal(s.phase, 'reading response from upstream');
    assert.equal(s.sent, '');
  });

  it('rejects a wrong password (CommuniGate-style -ERR texts included)', () => {
    const s = login();
    s.recv('+OK\r\n').recv('+OK\r\n').recv('-ERR [AUTH] Authentication failed.\r\n');
    assert.equal(s.outcome, 'rejected -ERR [AUTH] Authentication failed. | -ERR [AUTH] Authentication failed.\r\n');
  });

  it('treats a 4-byte line as a whole reply and a shorter one as unfinished', () => {
    const buf = b('\r\n+OK\r\n');
    assert.equal(pop3ReplyEnd(buf, 0, buf.length), buf.length);
    assert.equal(pop3ReplyEnd(b('OK\r\n'), 0, 4), 4);
    assert.equal(pop3ReplyEnd(b('+OK\n'), 0, 4), -1);
  });

  it('never writes a login or password holding CR, LF or NUL to the backend (Q-15)', () => {
    for (const [user, pass] of [
      ['alice\r\nDELE 1', 'x'],
      ['alice', 'pw\nQUIT'],
      ['a\u0000b', 'x'],
    ] as const) {
      const s = login(user, pass);
      s.recv('+OK\r\n');
      assert.equal(s.sent, '');
      assert.equal(s.outcome, 'error login or password with CR, LF or NUL not sent to upstream | sending user name to upstream');
    }
  });

  it('refuses to send PASS without a password', () => {
    const s = login('alice', null);
    s.recv('+OK\r\n+OK\r\n');
    assert.equal(s.sent, 'USER alice\r\n');
    assert.equal(s.outcome, 'error no password available | sending password to upstream');
  });
});
