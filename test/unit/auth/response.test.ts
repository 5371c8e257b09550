import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AuthHttpResult } from '../../../src/auth/types.js';
import {
  AUTH_WAIT_MAX_SEC,
  AuthResponseParser,
  BODY,
  NEED_MORE,
  parseAuthResponse,
  type AuthResponseOptions,
} from '../../../src/auth/response.js';

const ADDR = '127.0.0.1:9000';
const OPTS: AuthResponseOptions = {
  addrText: ADDR,
  protocol: 'imap',
  needPassword: false,
  maxResponseBytes: 1024,
  keepalive: false,
};

function parse(text: string | Buffer, over: Partial<AuthResponseOptions> = {}): AuthHttpResult {
  return parseAuthResponse(typeof text === 'string' ? Buffer.from(text, 'latin1') : text, {
    ...OPTS,
    ...over,
  }).result;
}

const ok = (
  server: string,
  port: number,
  upstreamText: string,
  user: string | null = null,
  pass: string | null = null,
): AuthHttpResult => ({
  type: 'ok',
  server,
  port,
  upstreamText,
  user: user === null ? null : Buffer.from(user, 'latin1'),
  pass: pass === null ? null : Buffer.from(pass, 'latin1'),
});
const failed = (text: string, waitSec = 0, errorCode: string | null = null): AuthHttpResult => ({
  type: 'fail',
  text: Buffer.from(text, 'latin1'),
  errorCode: errorCode === null ? null : Buffer.from(errorCode, 'latin1'),
  waitSec,
});
const error = (message: string, kind: string): AuthHttpResult =>
  ({ type: 'error', message, level: 'error', kind }) as AuthHttpResult;

const OK_HEADERS = 'Auth-Status: OK\r\nAuth-Server: 10.0.0.5\r\nAuth-Port: 143\r\n';

describe('auth_http response: status line (nginx ngx_mail_auth_http_ignore_status_line)', () => {
  it('skips a status line starting with HTTP/ and never reads the status code', () => {
    assert.deepEqual(parse(`HTTP/1.0 200 OK\r\n${OK_HEADERS}\r\n`), ok('10.0.0.5', 143, '10.0.0.5:143'));
    assert.deepEqual(
      parse(`HTTP/1.1 500 Internal Server Error\r\n${OK_HEADERS}\r\n`),
      ok('10.0.0.5', 143, '10.0.0.5:143'),
    );
    assert.deepEqual(parse(`HTTP/9 whatever\n${OK_HEADERS}\r\n`), ok('10.0.0.5', 143, '10.0.0.5:143'));
  });

  it('parses headers from the first byte when the response does not start with HTTP/', () => {
    assert.deepEqual(parse(`${OK_HEADERS}\r\n`), ok('10.0.0.5', 143, '10.0.0.5:143'));
    assert.deepEqual(parse(`HTTPX: 1\r\n${OK_HEADERS}\r\n`), ok('10.0.0.5', 143, '10.0.0.5:143'));
    assert.deepEqual(
      parse(`http/1.0 200 OK\r\n${OK_HEADERS}\r\n`),
      error(`auth http server ${ADDR} sent invalid header in response`, 'invalid'),
    );
  });

  it('refuses a CR in the status line that is not followed by LF', () => {
    assert.deepEqual(
      parse(`HTTP/1.0 200 OK\rX\n${OK_HEADERS}\r\n`),
      error(`auth http server ${ADDR} sent invalid response`, 'invalid'),
    );
    assert.deepEqual(
      parse('HTTP/1.0 200\r\r\n\r\n'),
      error(`auth http server ${ADDR} sent invalid response`, 'invalid'),
    );
  });
});

describe('auth_http response: header lines (nginx ngx_mail_auth_http_parse_header_line)', () => {
  const invalid = error(`auth http server ${ADDR} sent invalid header in response`, 'invalid');

  it('allows only letters, digits and "-" in names, starting with a letter or digit', () => {
    assert.deepEqual(parse(`X_Custom: 1\r\n${OK_HEADERS}\r\n`), invalid);
    assert.deepEqual(parse(`Auth-Status : OK\r\n\r\n`), invalid);
    assert.deepEqual(parse(`-X: 1\r\n${OK_HEADERS}\r\n`), invalid);
    assert.deepEqual(parse(`${OK_HEADERS} folded\r\n\r\n`), invalid);
    assert.deepEqual(parse(`X.Y: 1\r\n${OK_HEADERS}\r\n`), invalid);
    assert.deepEqual(parse(`1X-2: 1\r\n${OK_HEADERS}\r\n`), ok('10.0.0.5', 143, '10.0.0.5:143'));
  });

  it('trims spaces around values but keeps TABs and inner spaces', () => {
    assert.deepEqual(parse('Auth-Status:    no  such user   \r\n\r\n'), failed('no  such user'));
    assert.deepEqual(parse('Auth-Status:\tno\t\r\n\r\n'), failed('\tno\t'));
  });

  it('accepts LF-only line ends and mixes of LF and CRLF', () => {
    assert.deepEqual(
      parse('Auth-Status: OK\nAuth-Server: 10.0.0.5\r\nAuth-Port: 143\n\n'),
      ok('10.0.0.5', 143, '10.0.0.5:143'),
    );
    assert.deepEqual(parse(`${OK_HEADERS}\n`), ok('10.0.0.5', 143, '10.0.0.5:143'));
  });

  it('refuses a lone CR anywhere in the header block', () => {
    assert.deepEqual(parse('Auth-Status: O\rK\r\n\r\n'), invalid);
    assert.deepEqual(parse(`${OK_HEADERS}\rX`), invalid);
    assert.deepEqual(parse('Auth-Status\rx\r\n\r\n'), invalid);
    assert.deepEqual(parse('Auth-Status: \rx\r\n\r\n'), invalid);
  });

  it('matches names case-insensitively and ignores unknown headers', () => {
    assert.deepEqual(
      parse(
        'auth-status: OK\r\nAUTH-SERVER: 10.0.0.5\r\naUtH-pOrT: 143\r\nX-Whatever: 1\r\nDate: now\r\n\r\n',
      ),
      ok('10.0.0.5', 143, '10.0.0.5:143'),
    );
  });

  it('treats a name without a colon as a header with an empty value', () => {
    assert.deepEqual(parse('Auth-Status\r\n\r\n'), failed(''));
    assert.deepEqual(parse(`X-Flag\r\n${OK_HEADERS}\r\n`), ok('10.0.0.5', 143, '10.0.0.5:143'));
  });
});

describe('auth_http response: Auth-Status', () => {
  it('treats exactly OK as success, case-sensitively', () => {
    assert.deepEqual(parse('Auth-Status: ok\r\n\r\n'), failed('ok'));
    assert.deepEqual(
      parse('Auth-Status: OK \r\nAuth-Server: 10.0.0.5\r\nAuth-Port: 143\r\n\r\n'),
      ok('10.0.0.5', 143, '10.0.0.5:143'),
    );
  });

  it('keeps an earlier error when a later line says OK or WAIT', () => {
    assert.deepEqual(parse(`Auth-Status: Nope\r\n${OK_HEADERS}\r\n`), failed('Nope'));
    assert.deepEqual(
      parse('Auth-Status: OK\r\nAuth-Status: WAIT\r\nAuth-Status: Nope\r\nAuth-Status: OK\r\n\r\n'),
      failed('Nope'),
    );
  });

  it('lets a later error text replace an earlier one', () => {
    assert.deepEqual(parse('Auth-Status: first\r\nAuth-Status: second\r\n\r\n'), failed('second'));
  });

  it('makes an empty status an error with empty text for IMAP and POP3', () => {
    assert.deepEqual(parse('Auth-Status:\r\n\r\n'), failed(''));
    assert.deepEqual(parse('Auth-Status: \r\n\r\n', { protocol: 'pop3' }), failed(''));
  });

  it('does not make an empty status an error for SMTP, and an empty one clears an earlier error (nginx 1.22.1)', () => {
    assert.deepEqual(
      parse('Auth-Status:\r\n\r\n', { protocol: 'smtp' }),
      error(`auth http server ${ADDR} did not send server or port`, 'noServer'),
    );
    assert.deepEqual(
      parse(`Auth-Status: Nope\r\nAuth-Status:\r\n${OK_HEADERS.slice(17)}\r\n`, { protocol: 'smtp' }),
      ok('10.0.0.5', 143, '10.0.0.5:143'),
    );
  });

  it('passes IMAP response codes in the text through unchanged', () => {
    assert.deepEqual(
      parse('Auth-Status: [UNAVAILABLE] Backend down\r\n\r\n'),
      failed('[UNAVAILABLE] Backend down'),
    );
  });

  it('returns WAIT, sticky across later lines, with its Auth-Wait', () => {
    assert.deepEqual(parse('Auth-Status: WAIT\r\nAuth-Wait: 3\r\n\r\n'), { type: 'wait', waitSec: 3 });
    assert.deepEqual(parse(`Auth-Status: WAIT\r\n${OK_HEADERS}\r\n`), { type: 'wait', waitSec: 0 });
  });

  it('treats no Auth-Status with server and port as success (Q-6, mirrored)', () => {
    assert.deepEqual(
      parse('Auth-Server: 10.0.0.5\r\nAuth-Port: 143\r\n\r\n'),
      ok('10.0.0.5', 143, '10.0.0.5:143'),
    );
  });
});

describe('auth_http response: Auth-Wait and Auth-Error-Code', () => {
  it('reads Auth-Wait with ngx_atoi and ignores values it refuses', () => {
    const w = (v: string): AuthHttpResult => parse(`Auth-Status: Bad\r\n${v}\r\n`);
    assert.deepEqual(w('Auth-Wait: 3\r\n'), failed('Bad', 3));
    assert.deepEqual(w('Auth-Wait: 007\r\n'), failed('Bad', 7));
    assert.deepEqual(w('Auth-Wait: -1\r\n'), failed('Bad', 0));
    assert.deepEqual(w('Auth-Wait: 1.5\r\n'), failed('Bad', 0));
    assert.deepEqual(w('Auth-Wait:\r\n'), failed('Bad', 0));
    assert.deepEqual(w('Auth-Wait: 2\r\nAuth-Wait: soon\r\n'), failed('Bad', 2));
    assert.deepEqual(w('Auth-Wait: 2\r\nAuth-Wait: 0\r\n'), failed('Bad', 0));
    assert.deepEqual(w('Auth-Wait: 9223372036854775808\r\n'), failed('Bad', 0));
  });

  it('clamps Auth-Wait to what a Node timer can wait', () => {
    assert.deepEqual(
      parse('Auth-Status: Bad\r\nAuth-Wait: 9223372036854775807\r\n\r\n'),
      failed('Bad', AUTH_WAIT_MAX_SEC),
    );
    assert.deepEqual(parse('Auth-Status: WAIT\r\nAuth-Wait: 99999999\r\n\r\n'), {
      type: 'wait',
      waitSec: AUTH_WAIT_MAX_SEC,
    });
  });

  it('returns Auth-Error-Code for the SMTP reply, null when absent or empty', () => {
    assert.deepEqual(
      parse('Auth-Status: Try later\r\nAuth-Error-Code: 451 4.3.0\r\n\r\n', { protocol: 'smtp' }),
      failed('Try later', 0, '451 4.3.0'),
    );
    assert.deepEqual(
      parse('Auth-Status: Bad\r\nAuth-Error-Code:\r\n\r\n', { protocol: 'smtp' }),
      failed('Bad'),
    );
  });
});

describe('auth_http response: success checks in nginx order (reference 3.5)', () => {
  it('needs both server and port, non-empty', () => {
    const msg = error(`auth http server ${ADDR} did not send server or port`, 'noServer');
    assert.deepEqual(parse('Auth-Status: OK\r\n\r\n'), msg);
    assert.deepEqual(parse('Auth-Status: OK\r\nAuth-Server: 10.0.0.5\r\n\r\n'), msg);
    assert.deepEqual(parse('Auth-Status: OK\r\nAuth-Port: 143\r\n\r\n'), msg);
    assert.deepEqual(parse('Auth-Status: OK\r\nAuth-Server:\r\nAuth-Port: 143\r\n\r\n'), msg);
  });

  it('needs Auth-Pass for IMAP and POP3 when the session has no password, not for SMTP', () => {
    const msg = error(`auth http server ${ADDR} did not send password`, 'noPassword');
    assert.deepEqual(parse(`${OK_HEADERS}\r\n`, { needPassword: true }), msg);
    assert.deepEqual(parse(`${OK_HEADERS}\r\n`, { needPassword: true, protocol: 'pop3' }), msg);
    assert.deepEqual(
      parse(`${OK_HEADERS}\r\n`, { needPassword: true, protocol: 'smtp' }),
      ok('10.0.0.5', 143, '10.0.0.5:143'),
    );
    assert.deepEqual(
      parse(`${OK_HEADERS}Auth-Pass:\r\n\r\n`, { needPassword: true }),
      ok('10.0.0.5', 143, '10.0.0.5:143', null, ''),
    );
    // the server/port check comes first
    assert.deepEqual(
      parse('Auth-Status: OK\r\n\r\n', { needPassword: true }),
      error(`auth http server ${ADDR} did not send server or port`, 'noServer'),
    );
  });

  it('accepts only IP literals without brackets in Auth-Server, never resolving names', () => {
    const bad = (v: string): AuthHttpResult =>
      error(`auth http server ${ADDR} sent invalid server address:"${v}"`, 'badServer');
    const withServer = (v: string): string =>
      `Auth-Status: OK\r\nAuth-Server: ${v}\r\nAuth-Port: 143\r\n\r\n`;
    assert.deepEqual(parse(withServer('mail.example.com')), bad('mail.example.com'));
    assert.deepEqual(parse(withServer('[2001:db8::5]')), bad('[2001:db8::5]'));
    assert.deepEqual(parse(withServer('10.0.0.5:143')), bad('10.0.0.5:143'));
    assert.deepEqual(parse(withServer('255.255.255.255')), bad('255.255.255.255'));
    assert.deepEqual(parse(withServer('2001:db8::5')), ok('2001:db8::5', 143, '2001:db8::5:143'));
    assert.deepEqual(parse(withServer('2001:DB8:0::5')), ok('2001:db8::5', 143, '2001:DB8:0::5:143'));
    assert.deepEqual(parse(withServer('1..2.3')), ok('1.0.2.3', 143, '1..2.3:143'));
  });

  it('accepts Auth-Port 1-65535 via ngx_atoi and keeps its text for upstreamText', () => {
    const bad = (v: string): AuthHttpResult =>
      error(`auth http server ${ADDR} sent invalid server port:"${v}"`, 'badPort');
    const withPort = (v: string): string =>
      `Auth-Status: OK\r\nAuth-Server: 10.0.0.5\r\nAuth-Port: ${v}\r\n\r\n`;
    for (const v of ['0', '65536', 'imap', '+143', '14 3', '-1'])
      assert.deepEqual(parse(withPort(v)), bad(v));
    assert.deepEqual(parse(withPort('65535')), ok('10.0.0.5', 65535, '10.0.0.5:65535'));
    assert.deepEqual(parse(withPort('0143')), ok('10.0.0.5', 143, '10.0.0.5:0143'));
    assert.deepEqual(parse(withPort('  1  ')), ok('10.0.0.5', 1, '10.0.0.5:1'));
  });

  it('checks the address before the port', () => {
    assert.deepEqual(
      parse('Auth-Status: OK\r\nAuth-Server: host\r\nAuth-Port: 0\r\n\r\n'),
      error(`auth http server ${ADDR} sent invalid server address:"host"`, 'badServer'),
    );
  });

  it('returns Auth-User and Auth-Pass raw, not percent-decoded; later ones win', () => {
    assert.deepEqual(
      parse(`${OK_HEADERS}Auth-User: a%20b\r\nAuth-Pass: one\r\nAuth-Pass: two words\r\n\r\n`),
      ok('10.0.0.5', 143, '10.0.0.5:143', 'a%20b', 'two words'),
    );
    assert.deepEqual(parse(`${OK_HEADERS}Auth-User:\r\n\r\n`), ok('10.0.0.5', 143, '10.0.0.5:143', ''));
  });

  it('returns buffers that do not share the parser memory', () => {
    const parser = new AuthResponseParser(OPTS);
    const bytes = Buffer.from(`Auth-Status: Denied\r\n\r\n`);
    parser.feed(bytes, 0, bytes.length);
    const first = parser.result;
    parser.reset(OPTS);
    const next = Buffer.from(`Auth-Status: XXXXXXXX\r\n\r\n`);
    parser.feed(next, 0, next.length);
    assert.deepEqual(first, failed('Denied'));
  });
});

describe('auth_http response: size limit (Q-5 fix)', () => {
  const padTo = (n: number): string => {
    // a header block of exactly n bytes: OK headers, one filler header, blank line
    const base = `${OK_HEADERS}X: \r\n\r\n`.length;
    return `${OK_HEADERS}X: ${'a'.repeat(n - base)}\r\n\r\n`;
  };

  it('accepts a header block of exactly the limit and refuses one byte more, with a log text', () => {
    assert.equal(padTo(1024).length, 1024);
    assert.deepEqual(parse(padTo(1024)), ok('10.0.0.5', 143, '10.0.0.5:143'));
    assert.deepEqual(
      parse(padTo(1025)),
      error(
        `auth http server ${ADDR} sent too big header (more than 1024 bytes, see auth_http_max_response)`,
        'tooBig',
      ),
    );
  });

  it('counts the status line but not the body', () => {
    const head = `HTTP/1.0 200 OK\r\n${padTo(1024 - 17)}`;
    assert.equal(head.length, 1024);
    assert.deepEqual(parse(head + 'b'.repeat(5000)), ok('10.0.0.5', 143, '10.0.0.5:143'));
  });

  it('honours a configured limit', () => {
    assert.deepEqual(parse(padTo(4000), { maxResponseBytes: 4096 }), ok('10.0.0.5', 143, '10.0.0.5:143'));
    assert.equal(parse(padTo(100), { maxResponseBytes: 99 }).type, 'error');
  });

  it('reports a connection closed before the blank line', () => {
    const parser = new AuthResponseParser(OPTS);
    const bytes = Buffer.from(OK_HEADERS);
    assert.equal(parser.feed(bytes, 0, bytes.length), NEED_MORE);
    assert.deepEqual(
      parser.closedEarly(),
      error(`auth http server ${ADDR} prematurely closed connection`, 'closed'),
    );
  });
});

describe('auth_http response: keep-alive framing (ours)', () => {
  const frame = (text: string, keepalive = true): { kind: number; length: number; headerBytes: number } => {
    const r = parseAuthResponse(Buffer.from(text, 'latin1'), { ...OPTS, keepalive });
    return { kind: r.bodyKind, length: r.bodyLength, headerBytes: r.headerBytes };
  };
  const head = `${OK_HEADERS}\r\n`;

  it('reuses HTTP/1.1 responses with Content-Length or chunked bodies', () => {
    assert.deepEqual(frame(`HTTP/1.1 200 OK\r\nContent-Length: 2\r\n${head}ok`), {
      kind: BODY.length,
      length: 2,
      headerBytes: 17 + 19 + head.length,
    });
    assert.deepEqual(frame(`HTTP/1.1 200 OK\r\nContent-Length: 0\r\n${head}`).kind, BODY.none);
    assert.deepEqual(frame(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n${head}`).kind, BODY.chunked);
    assert.deepEqual(
      frame(`HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 9\r\n${head}`).kind,
      BODY.chunked,
    );
    assert.deepEqual(frame(`HTTP/1.1 204 No Content\r\n${head}`).kind, BODY.none);
    assert.deepEqual(frame(`HTTP/1.1 304 Not Modified\r\n${head}`).kind, BODY.none);
  });

  it('reuses HTTP/1.0 responses only with Connection: keep-alive', () => {
    assert.deepEqual(frame(`HTTP/1.0 200 OK\r\nContent-Length: 0\r\n${head}`).kind, BODY.close);
    assert.deepEqual(
      frame(`HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n${head}`).kind,
      BODY.none,
    );
  });

  it('closes on Connection: close, no status line, 1xx, unknown length, other codings, bad lengths or big bodies', () => {
    for (const t of [
      `HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 0\r\n${head}`,
      `Content-Length: 0\r\n${head}`,
      `HTTP/1.1 100 Continue\r\n${head}`,
      `HTTP/1.1 200 OK\r\n${head}`,
      `HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n${head}`,
      `HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n${head}`,
      `HTTP/1.1 200 OK\r\nContent-Length: -1\r\n${head}`,
      `HTTP/1.1 200 OK\r\nContent-Length: 999999\r\n${head}`,
      `HTTP/2 200\r\nContent-Length: 0\r\n${head}`,
      `HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n${head}`,
    ]) {
      assert.equal(frame(t).kind, BODY.close, t);
    }
  });

  it('never reuses when keep-alive is off', () => {
    assert.equal(frame(`HTTP/1.1 200 OK\r\nContent-Length: 0\r\n${head}`, false).kind, BODY.close);
  });

  it('frames error and refusal responses too (the HTTP exchange was fine)', () => {
    assert.equal(frame('HTTP/1.1 200 OK\r\nContent-Length: 0\r\nAuth-Status: Nope\r\n\r\n').kind, BODY.none);
    assert.equal(frame('HTTP/1.1 200 OK\r\nContent-Length: 0\r\nAuth-Status: OK\r\n\r\n').kind, BODY.none);
  });
});

describe('auth_http response: incremental parsing', () => {
  const samples: [string, Partial<AuthResponseOptions>][] = [
    [`HTTP/1.0 200 OK\r\n${OK_HEADERS}Auth-User: bob\r\nAuth-Pass: pw\r\n\r\nBODY`, {}],
    [`${OK_HEADERS}\r\n`, {}],
    ['HTTPX: 1\nAuth-Status:   Invalid login  \nAuth-Wait: 3\n\nrest', {}],
    [
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nAuth-Status: WAIT\r\n\r\n0\r\n\r\n',
      { keepalive: true },
    ],
    [
      'HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: keep-alive\r\nAuth-Status: Nope\r\nAuth-Error-Code: 451 4.3.0\r\n\r\nbody',
      { protocol: 'smtp', keepalive: true },
    ],
    ['HTTP/1.0 200 OK\rX\n\n', {}],
    ['Auth-Status: O\rK\r\n\r\n', {}],
    ['HT\r\n\r\n', {}],
    [`Auth-Status: OK\r\nAuth-Server: 2001:db8::1\r\nAuth-Port: 993\r\nX: ${'z'.repeat(1100)}\r\n\r\n`, {}],
    [
      `Auth-Status: OK\r\nAuth-Server: 10.0.0.1\r\nAuth-Port: 110\r\n\r\n`,
      { protocol: 'pop3', needPassword: true },
    ],
  ];

  /** Feed `bytes` in the given pieces; returns the result and the header length seen by the caller. */
  function feedPieces(bytes: Buffer, cuts: number[], options: AuthResponseOptions): unknown {
    const parser = new AuthResponseParser(options);
    let offset = 0;
    let prev = 0;
    for (const cut of [...cuts, bytes.length]) {
      const n = parser.feed(bytes, prev, cut);
      if (n !== NEED_MORE)
        return {
          result: parser.result,
          headerBytes: offset + n,
          kind: parser.bodyKind,
          length: parser.bodyLength,
        };
      offset += cut - prev;
      prev = cut;
    }
    return {
      result: parser.closedEarly(),
      headerBytes: bytes.length,
      kind: parser.bodyKind,
      length: parser.bodyLength,
    };
  }

  it('gives the same outcome and header length whether the bytes come at once, in two pieces at any point, or one by one', () => {
    for (const [text, over] of samples) {
      const bytes = Buffer.from(text, 'latin1');
      const options = { ...OPTS, ...over };
      const whole = feedPieces(bytes, [], options);
      for (let cut = 1; cut < bytes.length; cut++)
        assert.deepEqual(feedPieces(bytes, [cut], options), whole, `${JSON.stringify(text)} cut at ${cut}`);
      const each = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);
      assert.deepEqual(feedPieces(bytes, each, options), whole, `${JSON.stringify(text)} byte by byte`);
    }
  });

  it('reuses one parser for many responses after reset', () => {
    const parser = new AuthResponseParser(OPTS);
    for (let i = 0; i < 3; i++) {
      parser.reset(OPTS);
      const bytes = Buffer.from(`Auth-Status: OK\r\nAuth-Server: 10.0.0.${i}\r\nAuth-Port: 143\r\n\r\n`);
      assert.equal(parser.feed(bytes, 0, bytes.length), bytes.length);
      assert.deepEqual(parser.result, ok(`10.0.0.${i}`, 143, `10.0.0.${i}:143`));
    }
  });
});
