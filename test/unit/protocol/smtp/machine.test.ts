import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeSmtpSettings, smtpLogAction, smtpProtocol, type SmtpSettings, type SmtpSettingsInput, type SmtpState } from '../../../../src/protocol/smtp/index.js';
import { describeActions, ShellSim, TEST_ENV } from '../pop3/shell-sim.js';
import { BAD_SEQ, EHLO, GREETING, INVALID, noneAuth, OK, saslAuth, TRANSCRIPTS, type Over } from './transcripts.js';
import { assertTranscript, withOver } from '../../../helpers/line-transcripts.js';

const BASE: SmtpSettingsInput = {
  serverName: 'mx.example.com',
  auth: { plain: true, login: true, cramMd5: false, external: false, none: false },
  capabilities: [],
  starttls: 'off',
  resolver: false,
  greetingDelayMs: 0,
  maxErrors: 5,
  clientBufferBytes: 4096,
};

function settings(over: Over = {}): SmtpSettings {
  return makeSmtpSettings(withOver(BASE, over));
}

function sim(over: Over = {}, tls = false): ShellSim<SmtpState, SmtpSettings> {
  return new ShellSim(smtpProtocol, settings(over), { ...TEST_ENV, tls });
}

const NONE: Over = { auth: { plain: false, login: false, none: true } };

describe('smtp machine transcripts', () => {
  for (const t of TRANSCRIPTS) {
    it(t.name, () => {
      assertTranscript(t, sim, GREETING);
    });
  }
});

describe('smtp session start', () => {
  it('greets at once without resolver or delay', () => {
    const s = sim();
    assert.deepEqual(describeActions(s.actions), [`reply ${JSON.stringify(GREETING)}`]);
  });

  it('looks up the client host first when a resolver is configured, then greets', () => {
    const s = sim({ resolver: true });
    assert.deepEqual(describeActions(s.actions), ['resolveClientHost']);
    // input that arrives during the lookup waits
    s.send('EHLO c\r\n');
    assert.equal(s.out, '');
    s.hostResolved('mail.client.example');
    assert.equal(s.out, GREETING + EHLO);
  });

  it('with smtp_greeting_delay waits, then greets', () => {
    const s = sim({ greetingDelayMs: 250 });
    assert.deepEqual(describeActions(s.actions), ['delay 250']);
    s.delayElapsed();
    assert.equal(s.out, GREETING);
    s.send('NOOP\r\n');
    assert.equal(s.out, GREETING + OK);
  });

  it('refuses a client that talks during the greeting delay, logging what it sent', () => {
    const s = sim({ greetingDelayMs: 250 });
    s.send('EHLO spam\r\nMAIL FROM:<x>\r\n');
    assert.equal(s.out, '503 5.5.0 Improper use of SMTP command pipelining\r\n');
    assert.deepEqual(s.logs, ['info: client was rejected before greeting: "EHLO spam__MAIL FROM:<x>__"']);
    assert.equal(s.closeReason, 'rejected');
    s.delayElapsed();
    assert.equal(s.out, '503 5.5.0 Improper use of SMTP command pipelining\r\n');
  });

  it('resolves first and then delays, refusing bytes sent during the lookup', () => {
    const s = sim({ resolver: true, greetingDelayMs: 100 });
    s.send('HELO early\r\n');
    s.hostResolved('[UNAVAILABLE]');
    assert.equal(s.out, '503 5.5.0 Improper use of SMTP command pipelining\r\n');
    assert.deepEqual(s.logs, ['info: client was rejected before greeting: "HELO early__"']);
  });

  it('keeps pipelined input sent before the greeting when there is no delay', () => {
    const s = sim({ resolver: true });
    s.send('NOOP\r\nQUIT\r\n');
    s.hostResolved('[TEMPUNAVAIL]');
    assert.equal(s.out, `${GREETING}${OK}221 2.0.0 Bye\r\n`);
  });
});

describe('smtp STARTTLS', () => {
  it('answers 220, drops pipelined bytes and forgets HELO and MAIL (RFC 3207)', () => {
    const s = sim({ ...NONE, starttls: 'on' });
    s.send('EHLO before\r\nMAIL FROM:<a@b>\r\nSTARTTLS\r\nRCPT TO:<injected@x>\r\n');
    assert.equal(s.out, `${GREETING}250-mx.example.com\r\n250 STARTTLS\r\n${OK}220 2.0.0 Start TLS\r\n`);
    assert.equal(s.buffered, '');
    s.tlsStarted();
    assert.equal(s.lastAuth, null);
    s.send('RCPT TO:<c@d>\r\nMAIL FROM:<x@y>\r\nRCPT TO:<c@d>\r\n');
    assert.equal(s.out, `${GREETING}250-mx.example.com\r\n250 STARTTLS\r\n${OK}220 2.0.0 Start TLS\r\n${BAD_SEQ}${OK}`);
    assert.deepEqual(s.lastAuth, noneAuth('', 'MAIL FROM:<x@y>', 'RCPT TO:<c@d>', false));
  });

  it('sends no greeting after the handshake and no longer advertises or accepts STARTTLS', () => {
    const s = sim({ starttls: 'only' });
    s.send('STARTTLS\r\n').tlsStarted().send('EHLO c\r\nSTARTTLS\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n');
    assert.equal(s.out, `${GREETING}220 2.0.0 Start TLS\r\n${EHLO}${INVALID}`);
    assert.deepEqual(s.lastAuth, saslAuth('plain', 'alice', 'secret', { protocol: 'smtp', helo: 'c', esmtp: true, mailFrom: null, rcptTo: null }));
  });

  it('accepts STARTTLS with arguments, as nginx does', () => {
    const s = sim({ starttls: 'on' });
    s.send('STARTTLS now\r\n');
    assert.deepEqual(describeActions(s.actions).slice(1), ['reply "220 2.0.0 Start TLS\\r\\n"', 'startTls']);
  });
});

describe('smtp auth outcomes', () => {
  it('an auth failure answers 535 5.7.0 <text> and closes', () => {
    const s = sim();
    s.send('AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n').authFailed({ text: 'Invalid login or password' });
    assert.equal(s.out, `${GREETING}535 5.7.0 Invalid login or password\r\n`);
    assert.equal(s.closeReason, 'authFailed');
  });

  it('an auth failure uses Auth-Error-Code when given', () => {
    const s = sim();
    s.send('AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n').authFailed({ text: 'Try later', smtpErrorCode: Buffer.from('451 4.3.0') });
    assert.equal(s.out, `${GREETING}451 4.3.0 Try later\r\n`);
  });

  it('after a failed RCPT with Auth-Wait the client may send another RCPT, but not another MAIL', () => {
    const s = sim(NONE);
    s.send('EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<x@y>\r\n');
    s.authFailed({ text: 'No such user', smtpErrorCode: Buffer.from('550 5.1.1'), retry: true });
    s.send('MAIL FROM:<q@r>\r\nRCPT TO:<c@d>\r\n');
    assert.equal(s.out, `${GREETING}250 mx.example.com\r\n${OK}550 5.1.1 No such user\r\n${BAD_SEQ}`);
    assert.deepEqual(s.lastAuth, noneAuth('c', 'MAIL FROM:<a@b>', 'RCPT TO:<c@d>'));
    assert.equal(s.closeReason, null);
  });

  it('an AUTH after MAIL under smtp_auth none is a SASL login without MAIL replay', () => {
    const s = sim({ auth: { none: true } });
    s.send('MAIL FROM:<a@b>\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n');
    assert.deepEqual(s.lastAuth, saslAuth('plain', 'alice', 'secret'));
  });

  it('exposes nginx internal and certificate replies', () => {
    assert.equal(smtpProtocol.internalError.toString(), '451 4.3.2 Internal server error\r\n');
    assert.equal(smtpProtocol.certificateError.toString(), '421 4.7.1 SSL certificate error\r\n');
    assert.equal(smtpProtocol.noCertificate.toString(), '421 4.7.1 No required SSL certificate\r\n');
  });
});

describe('smtp log actions', () => {
  it("names nginx's action for the state a session is in", () => {
    const s = sim({ resolver: true, greetingDelayMs: 10, starttls: 'on' });
    assert.equal(smtpLogAction(s.state), 'in resolving client address');
    s.hostResolved('[UNAVAILABLE]');
    assert.equal(smtpLogAction(s.state), 'in delay pipelining state');
    s.delayElapsed();
    assert.equal(smtpLogAction(s.state), 'in auth state');
    s.send('STARTTLS\r\n');
    assert.equal(smtpLogAction(s.state), 'in starttls state');
    s.tlsStarted().send('AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n');
    assert.equal(smtpLogAction(s.state), 'in http auth state');
  });
});

describe('smtp feed contract', () => {
  it('resumes an unfinished line from a cursor relative to start', () => {
    const st = settings(NONE);
    let state = smtpProtocol.start(st, TEST_ENV).state;
    const first = Buffer.from('....MAIL FROM:<a', 'latin1');
    const r1 = smtpProtocol.feed(state, first, 4, first.length, st);
    assert.equal(r1.consumed, 0);
    assert.equal(r1.actions.length, 0);
    state = r1.state;
    const moved = Buffer.from('MAIL FROM:<a@b> BODY=8BITMIME\r\nRCPT', 'latin1');
    const r2 = smtpProtocol.feed(state, moved, 0, moved.length, st);
    assert.equal(r2.consumed, 31);
    assert.deepEqual(describeActions(r2.actions), [`reply ${JSON.stringify(OK)}`]);
    assert.equal(r2.state.mailFrom?.toString(), 'MAIL FROM:<a@b> BODY=8BITMIME');
  });

  it('discards input after a close', () => {
    const s = sim();
    s.send('QUIT\r\n');
    const buf = Buffer.from('NOOP\r\n');
    const r = smtpProtocol.feed(s.state, buf, 0, buf.length, settings());
    assert.equal(r.consumed, buf.length);
    assert.equal(r.actions.length, 0);
  });
});
