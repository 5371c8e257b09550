import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { smtpUpstreamLogin } from '../../../../src/protocol/smtp/index.js';
import { smtpReplyEnd, type SmtpLoginState } from '../../../../src/protocol/smtp/upstream-login.js';
import type { UpstreamLoginContext, UpstreamLoginSettings } from '../../../../src/protocol/types.js';
import { LOGIN_SETTINGS, LoginSim } from '../pop3/login-sim.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

interface Setup {
  readonly helo?: string;
  readonly esmtp?: boolean;
  readonly mailFrom?: string;
  readonly rcptTo?: string;
  readonly login?: string;
  readonly password?: string | null;
  readonly settings?: Partial<UpstreamLoginSettings>;
}

function login(o: Setup = {}): LoginSim<SmtpLoginState> {
  const ctx: UpstreamLoginContext = {
    protocol: 'smtp',
    helo: b(o.helo ?? ''),
    esmtp: o.esmtp ?? false,
    mailFrom: o.mailFrom === undefined ? null : b(o.mailFrom),
    rcptTo: o.rcptTo === undefined ? null : b(o.rcptTo),
  };
  const password = o.password === undefined ? b('secret') : o.password === null ? null : b(o.password);
  return new LoginSim(smtpUpstreamLogin, ctx, { login: b(o.login ?? 'alice'), password }, { ...LOGIN_SETTINGS, ...o.settings });
}

const POSTFIX_EHLO = '250-backend.example\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-XCLIENT NAME ADDR PROTO HELO LOGIN\r\n250 8BITMIME\r\n';

describe('smtp upstream login with xclient on', () => {
  it('sends EHLO, XCLIENT with LOGIN, the client EHLO, then answers 235 for the client', () => {
    const s = login({ helo: 'client.example', esmtp: true });
    assert.equal(s.phase, 'connecting to upstream');
    s.recv('220 backend ESMTP Postfix\r\n');
    assert.equal(s.sent, 'EHLO mx.example.com\r\n');
    assert.equal(s.phase, 'sending HELO/EHLO to upstream');
    s.recv(POSTFIX_EHLO);
    assert.equal(s.phase, 'sending XCLIENT to upstream');
    // Postfix answers XCLIENT with a new greeting.
    s.recv('220 backend ESMTP Postfix\r\n');
    assert.equal(s.phase, 'sending client HELO/EHLO to upstream');
    s.recv(POSTFIX_EHLO);
    assert.equal(
      s.sent,
      'EHLO mx.example.com\r\nXCLIENT ADDR=192.0.2.7 LOGIN=alice NAME=[UNAVAILABLE]\r\nEHLO client.example\r\n',
    );
    assert.equal(s.outcome, 'done 235 2.0.0 OK\r\n');
  });

  it('sends the client HELO with HELO when the client did not use EHLO, and accepts 250 after XCLIENT', () => {
    const s = login({ helo: 'c' });
    s.recv('220 x\r\n').recv('250 x\r\n').recv('250 ok\r\n').recv('250 x\r\n');
    assert.equal(s.sent, 'EHLO mx.example.com\r\nXCLIENT ADDR=192.0.2.7 LOGIN=alice NAME=[UNAVAILABLE]\r\nHELO c\r\n');
    assert.equal(s.outcome, 'done 235 2.0.0 OK\r\n');
  });

  it('ends after XCLIENT when the client sent no HELO', () => {
    const s = login();
    s.recv('220 x\r\n250 x\r\n').recv('220 y\r\n');
    assert.equal(s.sent, 'EHLO mx.example.com\r\nXCLIENT ADDR=192.0.2.7 LOGIN=alice NAME=[UNAVAILABLE]\r\n');
    assert.equal(s.outcome, 'done 235 2.0.0 OK\r\n');
  });

  it('prefixes IPv6 addresses, xtext-encodes LOGIN and passes a verified NAME', () => {
    const s = login({
      login: 'al ice+x=y\u00e9',
      settings: { clientAddr: '2001:db8::7', clientIsIpv6: true, clientHost: 'mail.client.example' },
    });
    s.recv('220 x\r\n250 x\r\n');
    assert.equal(
      s.sent,
      'EHLO mx.example.com\r\nXCLIENT ADDR=IPV6:2001:db8::7 LOGIN=al+20ice+2Bx+3Dy+E9 NAME=mail.client.example\r\n',
    );
  });

  it('leaves LOGIN out for an empty login and with proxy_smtp_auth', () => {
    const s1 = login({ login: '' });
    s1.recv('220 x\r\n250 x\r\n');
    assert.equal(s1.sent, 'EHLO mx.example.com\r\nXCLIENT ADDR=192.0.2.7 NAME=[UNAVAILABLE]\r\n');
    const s2 = login({ settings: { smtpAuth: true } });
    s2.recv('220 x\r\n250 x\r\n');
    assert.equal(s2.sent, 'EHLO mx.example.com\r\nXCLIENT ADDR=192.0.2.7 NAME=[UNAVAILABLE]\r\n');
  });

  it('never puts an invalid host name after NAME=', () => {
    const s = login({ settings: { clientHost: 'evil\r\nRCPT TO:<x>' } });
    s.recv('220 x\r\n250 x\r\n');
    assert.equal(s.sent, 'EHLO mx.example.com\r\nXCLIENT ADDR=192.0.2.7 LOGIN=alice NAME=[TEMPUNAVAIL]\r\n');
  });

  it('replays MAIL and RCPT for the none flow and relays the RCPT reply, whatever it is', () => {
    const s = login({ helo: 'c', esmtp: true, mailFrom: 'MAIL FROM:<a@b> SIZE=10', rcptTo: 'RCPT TO:<c@d>', login: '' });
    s.recv('220 x\r\n').recv('250 x\r\n').recv('220 x\r\n').recv('250 x\r\n');
    assert.equal(s.phase, 'sending MAIL FROM to upstream');
    s.recv('250 2.1.0 Ok\r\n');
    assert.equal(s.phase, 'sending RCPT TO to upstream');
    s.recv('550-5.1.1 <c@d>: Recipient address rejected:\r\n550 5.1.1 User unknown\r\n');
    assert.equal(
      s.sent,
      'EHLO mx.example.com\r\nXCLIENT ADDR=192.0.2.7 NAME=[UNAVAILABLE]\r\nEHLO c\r\nMAIL FROM:<a@b> SIZE=10\r\nRCPT TO:<c@d>\r\n',
    );
    assert.equal(s.outcome, 'done 550-5.1.1 <c@d>: Recipient address rejected:\r\n550 5.1.1 User unknown\r\n');
  });

  it('goes straight to MAIL after XCLIENT in the none flow without a client HELO', () => {
    const s = login({ mailFrom: 'MAIL FROM:<>', rcptTo: 'RCPT TO:<c@d>', login: '' });
    s.recv('220 x\r\n250 x\r\n220 x\r\n250 ok\r\n250 ok\r\n');
    assert.equal(s.sent, 'EHLO mx.example.com\r\nXCLIENT ADDR=192.0.2.7 NAME=[UNAVAILABLE]\r\nMAIL FROM:<>\r\nRCPT TO:<c@d>\r\n');
    assert.equal(s.outcome, 'done 250 ok\r\n');
  });

  it('authenticates with AUTH PLAIN after XCLIENT with proxy_smtp_auth', () => {
    const s = login({ settings: { smtpAuth: true } });
    s.recv('220 x\r\n250 x\r\n220 x\r\n');
    assert.equal(s.phase, 'sending AUTH to upstream');
    s.recv('235 2.7.0 Authentication successful\r\n');
    assert.equal(
      s.sent,
      'EHLO mx.example.com\r\nXCLIENT ADDR=192.0.2.7 NAME=[UNAVAILABLE]\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n',
    );
    assert.equal(s.outcome, 'done 235 2.0.0 OK\r\n');
  });
});

describe('smtp upstream login with xclient off', () => {
  const off = { xclient: false };

  it('sends HELO with the server name for a HELO client and ends on 250', () => {
    const s = login({ helo: 'c', settings: off });
    s.recv('220 x\r\n').recv('250 x\r\n');
    assert.equal(s.sent, 'HELO mx.example.com\r\n');
    assert.equal(s.outcome, 'done 235 2.0.0 OK\r\n');
  });

  it('sends EHLO for an EHLO client, never the client name', () => {
    const s = login({ helo: 'c', esmtp: true, settings: off });
    s.recv('220 x\r\n').recv(POSTFIX_EHLO);
    assert.equal(s.sent, 'EHLO mx.example.com\r\n');
    assert.equal(s.outcome, 'done 235 2.0.0 OK\r\n');
  });

  it('authenticates with AUTH PLAIN for proxy_smtp_auth and needs 235', () => {
    const s = login({ settings: { ...off, smtpAuth: true } });
    s.recv('220 x\r\n250 x\r\n');
    assert.equal(s.sent, 'HELO mx.example.com\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n');
    s.recv('535 5.7.8 Error: authentication failed\r\n');
    assert.equal(s.outcome, 'rejected 535 5.7.8 Error: authentication failed | 535 5.7.8 Error: authentication failed\r\n');
  });

  it('ends with no password available when proxy_smtp_auth has none', () => {
    const s = login({ password: null, settings: { ...off, smtpAuth: true } });
    s.recv('220 x\r\n250 x\r\n');
    assert.equal(s.sent, 'HELO mx.example.com\r\n');
    assert.equal(s.outcome, 'error no password available | sending AUTH to upstream');
  });

  it('replays MAIL and RCPT after HELO for the none flow, never AUTH', () => {
    const s = login({ mailFrom: 'MAIL FROM:<a@b>', rcptTo: 'RCPT TO:<c@d>', settings: { ...off, smtpAuth: true } });
    s.recv('220 x\r\n250 x\r\n250 ok\r\n250 2.1.5 Ok\r\n');
    assert.equal(s.sent, 'HELO mx.example.com\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n');
    assert.equal(s.outcome, 'done 250 2.1.5 Ok\r\n');
  });
});

describe('smtp upstream replies', () => {
  it('waits for the last line of a multi-line reply split anywhere', () => {
    const script = `220-backend\r\n220-welcome\r\n220 ready\r\n${POSTFIX_EHLO}220 again\r\n250 x\r\n`;
    for (let cut = 1; cut < script.length; cut++) {
      for (const cut2 of [cut + 1, cut + 7, script.length]) {
        if (cut2 > script.length) continue;
        const s = login({ helo: 'h' });
        s.recv(script.slice(0, cut)).recv(script.slice(cut, cut2)).recv(script.slice(cut2));
        assert.equal(
          s.sent,
          'EHLO mx.example.com\r\nXCLIENT ADDR=192.0.2.7 LOGIN=alice NAME=[UNAVAILABLE]\r\nHELO h\r\n',
          `cuts ${String(cut)} ${String(cut2)}`,
        );
        assert.equal(s.outcome, 'done 235 2.0.0 OK\r\n');
      }
    }
  });

  it('finds the end of single and multi-line replies', () => {
    assert.equal(smtpReplyEnd(b('250 ok\r\n'), 0, 8), 8);
    assert.equal(smtpReplyEnd(b('250-a\r\n250-b\r\n'), 0, 14), -1);
    assert.equal(smtpReplyEnd(b('250-a\r\n250 b\r\n250 c\r\n'), 0, 21), 14);
    assert.equal(smtpReplyEnd(b('250-a\r\n250\r\n'), 0, 12), 12);
    assert.equal(smtpReplyEnd(b('25\r\n'), 0, 4), 4);
    assert.equal(smtpReplyEnd(b('2\r\n'), 0, 3), -1);
    assert.equal(smtpReplyEnd(b('250 ok\n'), 0, 7), -1);
  });

  it('rejects a greeting that is not 220 with the whole reply for proxy_pass_error_message', () => {
    const s = login();
    s.recv('554-no service\r\n554 go away\r\n');
    assert.equal(s.outcome, 'rejected 554-no service\r\n554 go away | 554-no service\r\n554 go away\r\n');
    assert.equal(s.phase, 'reading response from upstream');
  });

  it('rejects a refused XCLIENT', () => {
    const s = login();
    s.recv('220 x\r\n250 x\r\n550 5.7.0 Error: insufficient authorization\r\n');
    assert.equal(s.outcome, 'rejected 550 5.7.0 Error: insufficient authorization | 550 5.7.0 Error: insufficient authorization\r\n');
  });

  it('rejects a refused MAIL in the none flow', () => {
    const s = login({ mailFrom: 'MAIL FROM:<a@b>', rcptTo: 'RCPT TO:<c@d>', settings: { xclient: false } });
    s.recv('220 x\r\n250 x\r\n451 4.3.0 try later\r\n');
    assert.equal(s.sent, 'HELO mx.example.com\r\nMAIL FROM:<a@b>\r\n');
    assert.equal(s.outcome, 'rejected 451 4.3.0 try later | 451 4.3.0 try later\r\n');
  });

  it('never completes a reply without its CRLF, so the driver applies the proxy_buffer limit', () => {
    const s = login();
    s.recv(`220-${'x'.repeat(5000)}\r\n220-${'y'.repeat(5000)}`);
    assert.equal(s.outcome, null);
    assert.equal(s.sent, '');
    assert.equal(s.leftover.length, 10010);
    assert.equal(s.phase, 'reading response from upstream');
  });

  it('says it is reading once part of a reply arrived', () => {
    const s = login();
    s.recv('220 x\r\n');
    assert.equal(s.phase, 'sending HELO/EHLO to upstream');
    s.recv('250-x\r\n');
    assert.equal(s.phase, 'reading response from upstream');
  });

  it('leaves backend bytes behind the last reply for the relay', () => {
    const s = login({ settings: { xclient: false } });
    s.recv('220 x\r\n250 x\r\nextra');
    assert.equal(s.outcome, 'done 235 2.0.0 OK\r\n');
    assert.equal(s.leftover, 'extra');
  });
});
