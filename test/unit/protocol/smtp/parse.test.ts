import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseSmtp, SMTP_COMMAND, type SmtpParse } from '../../../../src/protocol/smtp/parse.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

function parse(line: string, sasl = false): SmtpParse {
  const buf = b(line);
  return parseSmtp(buf, 0, buf.length, null, sasl);
}

function args(r: SmtpParse): string[] {
  if (r.kind !== 'command') assert.fail(`expected a command, got ${r.kind}`);
  return r.args.map((a) => a.toString('latin1'));
}

describe('smtp parser', () => {
  it('recognises nginx verbs case-insensitively, STARTTLS included', () => {
    const verbs: [string, number][] = [
      ['HELO', SMTP_COMMAND.helo],
      ['ehlo', SMTP_COMMAND.ehlo],
      ['Quit', SMTP_COMMAND.quit],
      ['AUTH', SMTP_COMMAND.auth],
      ['noop', SMTP_COMMAND.noop],
      ['MAIL', SMTP_COMMAND.mail],
      ['rset', SMTP_COMMAND.rset],
      ['RCPT', SMTP_COMMAND.rcpt],
      ['VRFY', SMTP_COMMAND.vrfy],
      ['expn', SMTP_COMMAND.expn],
      ['HELP', SMTP_COMMAND.help],
      ['StartTLS', SMTP_COMMAND.starttls],
    ];
    for (const [verb, cmd] of verbs) {
      const r = parse(`${verb}\r\n`);
      assert.equal(r.kind === 'command' ? r.command : -1, cmd, verb);
    }
  });

  it('does not recognise DATA, XCLIENT or BDAT', () => {
    for (const line of ['DATA\r\n', 'XCLIENT ADDR=1\r\n', 'BDAT 10 LAST\r\n', 'STARTTLX\r\n', 'STARTTL\r\n']) {
      assert.equal(parse(line).kind, 'invalid', line);
    }
  });

  it('splits arguments at spaces, eleven at most', () => {
    assert.deepEqual(args(parse('MAIL  FROM:<a@b>   SIZE=1  \r\n')), ['FROM:<a@b>', 'SIZE=1']);
    assert.deepEqual(args(parse(`NOOP ${'x '.repeat(11)}\r\n`)), new Array<string>(11).fill('x'));
    assert.equal(parse(`NOOP ${'x '.repeat(12)}\r\n`).kind, 'invalid');
  });

  it('keeps the MAIL and RCPT text from the verb to the end of the last argument', () => {
    const r = parse('MAIL FROM:<a@b>  SIZE=100   \r\n');
    assert.equal(r.kind === 'command' ? r.text?.toString() : null, 'MAIL FROM:<a@b>  SIZE=100');
    const q = parse('rcpt to:<c@d>\n');
    assert.equal(q.kind === 'command' ? q.text?.toString() : null, 'rcpt to:<c@d>');
    const h = parse('HELO x\r\n');
    assert.equal(h.kind === 'command' ? h.text : undefined, null);
  });

  it('skips an invalid line up to its LF', () => {
    assert.deepEqual(parse('DATA\r\nNOOP\r\n'), { kind: 'invalid', consumed: 6 });
    assert.equal(parse('DA').kind, 'incomplete');
    assert.equal(parse('DATA  and more').kind, 'incomplete');
  });

  it('parses a SASL line straight into arguments', () => {
    assert.deepEqual(args(parse('dGVzdA== x\r\n', true)), ['dGVzdA==', 'x']);
    assert.deepEqual(args(parse('\r\n', true)), ['']);
  });

  it('resumes from a cursor relative to start', () => {
    const first = b('###RCPT TO:<c');
    const r1 = parseSmtp(first, 3, first.length, null, false);
    if (r1.kind !== 'incomplete') assert.fail(`expected incomplete, got ${r1.kind}`);
    const moved = b('RCPT TO:<c@d> NOTIFY=NEVER\r\n');
    const r2 = parseSmtp(moved, 0, moved.length, r1.cursor, false);
    assert.deepEqual(args(r2), ['TO:<c@d>', 'NOTIFY=NEVER']);
    assert.equal(r2.kind === 'command' ? r2.text?.toString() : null, 'RCPT TO:<c@d> NOTIFY=NEVER');
  });
});
