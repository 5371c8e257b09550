import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AUTH_REQUEST_HEADER_ORDER } from '../../../src/auth/types.js';
import {
  buildAuthRequest,
  prepareAuthTarget,
  type AuthRequestInput,
  type AuthTlsInfo,
  type AuthTargetSettings,
} from '../../../src/auth/request.js';
import { authInput as input, authRequest as req } from '../../helpers/auth-fixture.js';

const TARGET: AuthTargetSettings = {
  uri: '/auth',
  hostHeader: '127.0.0.1',
  headers: [],
  passClientCert: false,
  keepalive: false,
};

function build(target: Partial<AuthTargetSettings>, over: Partial<AuthRequestInput>): string {
  return buildAuthRequest(prepareAuthTarget({ ...TARGET, ...target }), input(over)).toString('latin1');
}

const lines = (...l: string[]): string => l.map((x) => `${x}\r\n`).join('') + '\r\n';

describe('auth_http request bytes', () => {
  it('is the reference 3.2 example byte for byte (IMAP over STARTTLS, one auth_http_header)', () => {
    const got = build(
      { headers: [['X-Auth-Key', 's3cret']] },
      {
        request: req({ login: Buffer.from('alice smith'), password: Buffer.from('p%ss') }),
        tls: {
          protocol: 'TLSv1.3',
          cipher: 'TLS_AES_128_GCM_SHA256',
          verify: null,
          subject: null,
          issuer: null,
          serial: null,
          fingerprint: null,
          certPem: null,
        },
      },
    );
    assert.equal(
      got,
      'GET /auth HTTP/1.0\r\n' +
        'Host: 127.0.0.1\r\n' +
        'Auth-Method: plain\r\n' +
        'Auth-User: alice%20smith\r\n' +
        'Auth-Pass: p%25ss\r\n' +
        'Auth-Protocol: imap\r\n' +
        'Auth-Login-Attempt: 1\r\n' +
        'Client-IP: 192.0.2.7\r\n' +
        'Auth-SSL: on\r\n' +
        'Auth-SSL-Protocol: TLSv1.3\r\n' +
        'Auth-SSL-Cipher: TLS_AES_128_GCM_SHA256\r\n' +
        'X-Auth-Key: s3cret\r\n' +
        '\r\n',
    );
  });

  // What Debian's nginx 1.22.1 sent to a capture server for these logins (auth_http 127.0.0.1:P/auth;
  // auth_http_header X-Auth-Key "s3 cret"), checked while writing this module.
  it('matches nginx 1.22.1 for IMAP LOGIN with a quoted login and password', () => {
    const got = build(
      { headers: [['X-Auth-Key', 's3 cret']] },
      {
        request: req({ login: Buffer.from('al ice%'), password: Buffer.from('p"w d') }),
        clientIp: '127.0.0.1',
      },
    );
    assert.equal(
      got,
      lines(
        'GET /auth HTTP/1.0',
        'Host: 127.0.0.1',
        'Auth-Method: plain',
        'Auth-User: al%20ice%25',
        'Auth-Pass: p"w%20d',
        'Auth-Protocol: imap',
        'Auth-Login-Attempt: 1',
        'Client-IP: 127.0.0.1',
        'X-Auth-Key: s3 cret',
      ),
    );
  });

  it('matches nginx 1.22.1 for IMAP AUTHENTICATE CRAM-MD5 (Auth-Salt carries its own CRLF)', () => {
    const got = build(
      { headers: [['X-Auth-Key', 's3 cret']] },
      {
        request: req({
          method: 'cram-md5',
          login: Buffer.from('bob'),
          password: Buffer.from('f066570e29cc80cdb9430847ecead707'),
          salt: Buffer.from('<1919552831.1795672261@vm>\r\n'),
        }),
        clientIp: '127.0.0.1',
      },
    );
    assert.equal(
      got,
      lines(
        'GET /auth HTTP/1.0',
        'Host: 127.0.0.1',
        'Auth-Method: cram-md5',
        'Auth-User: bob',
        'Auth-Pass: f066570e29cc80cdb9430847ecead707',
        'Auth-Salt: <1919552831.1795672261@vm>',
        'Auth-Protocol: imap',
        'Auth-Login-Attempt: 1',
        'Client-IP: 127.0.0.1',
        'X-Auth-Key: s3 cret',
      ),
    );
  });

  it('matches nginx 1.22.1 for SMTP with smtp_auth none (envelope headers raw, Client-Host set)', () => {
    const got = build(
      { headers: [['X-Auth-Key', 's3 cret']] },
      {
        request: req({
          method: 'none',
          login: Buffer.alloc(0),
          password: Buffer.alloc(0),
          smtpHelo: Buffer.from('client.example'),
          smtpFrom: Buffer.from('MAIL FROM:<a@b> SIZE=100'),
          smtpTo: Buffer.from('RCPT TO:<c@d>'),
        }),
        protocol: 'smtp',
        clientIp: '127.0.0.1',
        clientHost: '[UNAVAILABLE]',
      },
    );
    assert.equal(
      got,
      lines(
        'GET /auth HTTP/1.0',
        'Host: 127.0.0.1',
        'Auth-Method: none',
        'Auth-User: ',
        'Auth-Pass: ',
        'Auth-Protocol: smtp',
        'Auth-Login-Attempt: 1',
        'Client-IP: 127.0.0.1',
        'Client-Host: [UNAVAILABLE]',
        'Auth-SMTP-Helo: client.example',
        'Auth-SMTP-From: MAIL FROM:<a@b> SIZE=100',
        'Auth-SMTP-To: RCPT TO:<c@d>',
        'X-Auth-Key: s3 cret',
      ),
    );
  });

  it('says HTTP/1.1 with keep-alive on and is otherwise identical', () => {
    const off = build({}, {});
    const on = build({ keepalive: true }, {});
    assert.equal(on, off.replace('GET /auth HTTP/1.0\r\n', 'GET /auth HTTP/1.1\r\n'));
    assert.equal(on.length, off.length);
  });

  it('sends Auth-Salt for APOP and CRAM-MD5 only, and only when a salt exists', () => {
    const salt = Buffer.from('<1.2@host>\r\n');
    assert.match(
      build({}, { request: req({ method: 'apop', salt }) }),
      /Auth-Pass: secret\r\nAuth-Salt: <1\.2@host>\r\nAuth-Protocol:/,
    );
    assert.doesNotMatch(build({}, { request: req({ method: 'plain', salt }) }), /Auth-Salt/);
    assert.doesNotMatch(build({}, { request: req({ method: 'external', salt }) }), /Auth-Salt/);
    assert.doesNotMatch(build({}, { request: req({ method: 'apop', salt: Buffer.alloc(0) }) }), /Auth-Salt/);
  });

  it('reports every method by nginx name', () => {
    for (const m of ['plain', 'apop', 'cram-md5', 'external', 'none', 'xoauth2', 'oauthbearer'] as const) {
      assert.match(build({}, { request: req({ method: m }) }), new RegExp(`\r\nAuth-Method: ${m}\r\n`));
    }
  });

  it('writes the attempt number in decimal', () => {
    assert.match(build({}, { attempt: 12 }), /\r\nAuth-Login-Attempt: 12\r\nClient-IP: /);
  });

  it('leaves Client-Host out when empty or null', () => {
    assert.doesNotMatch(build({}, { clientHost: '' }), /Client-Host/);
    assert.doesNotMatch(build({}, { clientHost: null }), /Client-Host/);
  });

  it('writes the four Proxy-Protocol lines after Client-Host', () => {
    const got = build(
      {},
      {
        protocol: 'smtp',
        clientHost: 'client.example',
        proxyProtocol: { srcAddr: '203.0.113.9', srcPort: 51514, dstAddr: '198.51.100.1', dstPort: 25 },
      },
    );
    assert.match(
      got,
      /Client-IP: 192\.0\.2\.7\r\nClient-Host: client\.example\r\nProxy-Protocol-Addr: 203\.0\.113\.9\r\nProxy-Protocol-Port: 51514\r\nProxy-Protocol-Server-Addr: 198\.51\.100\.1\r\nProxy-Protocol-Server-Port: 25\r\n\r\n$/,
    );
  });

  it('writes empty Auth-SMTP-* lines for method none when the envelope is missing', () => {
    const got = build(
      {},
      {
        protocol: 'smtp',
        request: req({ method: 'none', login: Buffer.alloc(0), password: Buffer.alloc(0) }),
      },
    );
    assert.match(got, /\r\nAuth-SMTP-Helo: \r\nAuth-SMTP-From: \r\nAuth-SMTP-To: \r\n\r\n$/);
  });

  it('sends client-certificate headers only when verification is configured, the PEM only with pass_client_cert', () => {
    const tls: AuthTlsInfo = {
      protocol: 'TLSv1.3',
      cipher: 'TLS_AES_256_GCM_SHA384',
      verify: 'SUCCESS',
      subject: 'CN=client,O=Org',
      issuer: 'CN=ca',
      serial: 'C07AD56B846B5BFF',
      fingerprint: '29d6a80a123d13355ed16b4b04605e29cb55a5ad',
      certPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
    };
    const sslLines = [
      'Auth-SSL: on',
      'Auth-SSL-Protocol: TLSv1.3',
      'Auth-SSL-Cipher: TLS_AES_256_GCM_SHA384',
      'Auth-SSL-Verify: SUCCESS',
      'Auth-SSL-Subject: CN=client,O=Org',
      'Auth-SSL-Issuer: CN=ca',
      'Auth-SSL-Serial: C07AD56B846B5BFF',
      'Auth-SSL-Fingerprint: 29d6a80a123d13355ed16b4b04605e29cb55a5ad',
    ];
    const withCert = build({ passClientCert: true, headers: [['X-A', '1']] }, { tls });
    assert.ok(
      withCert.endsWith(
        [
          ...sslLines,
          'Auth-SSL-Cert: -----BEGIN%20CERTIFICATE-----%0AMIIB%0A-----END%20CERTIFICATE-----%0A',
          'X-A: 1',
        ]
          .map((l) => `${l}\r\n`)
          .join('') + '\r\n',
      ),
      withCert,
    );
    const noCert = build({ passClientCert: false }, { tls });
    assert.ok(noCert.endsWith(sslLines.map((l) => `${l}\r\n`).join('') + '\r\n'), noCert);
    const verifyOff = build({ passClientCert: true }, { tls: { ...tls, verify: null } });
    assert.ok(
      verifyOff.endsWith(
        sslLines
          .slice(0, 3)
          .map((l) => `${l}\r\n`)
          .join('') + '\r\n',
      ),
      verifyOff,
    );
    const noClientCert = build(
      { passClientCert: true },
      {
        tls: { ...tls, verify: 'NONE', subject: '', issuer: '', serial: '', fingerprint: '', certPem: null },
      },
    );
    assert.ok(
      noClientCert.endsWith(
        [...sslLines.slice(0, 3), 'Auth-SSL-Verify: NONE'].map((l) => `${l}\r\n`).join('') + '\r\n',
      ),
    );
  });

  it('appends auth_http_header lines last, in config order, values as written', () => {
    const got = build(
      {
        headers: [
          ['X-One', 'a b'],
          ['X-Two', '%20'],
        ],
      },
      {},
    );
    assert.ok(got.endsWith('Client-IP: 192.0.2.7\r\nX-One: a b\r\nX-Two: %20\r\n\r\n'));
  });

  it('uses the target URI and Host as configured (unix sockets send localhost)', () => {
    assert.ok(
      build({ uri: '/mail/auth?x=1', hostHeader: 'localhost' }, {}).startsWith(
        'GET /mail/auth?x=1 HTTP/1.0\r\nHost: localhost\r\n',
      ),
    );
  });

  it('escapes every byte of login and password the same way', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    let expected = '';
    for (let i = 0; i < 256; i++) {
      expected +=
        i < 0x21 || i === 0x25 ? `%${i.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(i);
    }
    const got = build({}, { request: req({ login: all, password: all }) });
    assert.ok(got.includes(`\r\nAuth-User: ${expected}\r\nAuth-Pass: ${expected}\r\n`));
  });

  it('puts headers in nginx order for every combination of optional parts', () => {
    // An independent oracle: the reference 3.2 list, each optional part switched on or off.
    const flags = ['salt', 'host', 'pp', 'none', 'tls', 'verify', 'cert', 'extra', 'keepalive'] as const;
    for (let mask = 0; mask < 1 << flags.length; mask++) {
      const on = (f: (typeof flags)[number]): boolean => (mask & (1 << flags.indexOf(f))) !== 0;
      const method = on('none') ? 'none' : on('salt') ? 'apop' : 'plain';
      const request = req({
        method,
        salt: on('salt') ? Buffer.from('<9.9@h>\r\n') : null,
        smtpHelo: on('none') ? Buffer.from('h') : null,
        smtpFrom: on('none') ? Buffer.from('MAIL FROM:<>') : null,
        smtpTo: on('none') ? Buffer.from('RCPT TO:<x@y>') : null,
      });
      const tls: AuthTlsInfo | null = on('tls')
        ? {
            protocol: 'TLSv1.2',
            cipher: 'ECDHE-RSA-AES128-GCM-SHA256',
            verify: on('verify') ? 'SUCCESS' : null,
            subject: 'CN=c',
            issuer: 'CN=i',
            serial: '01',
            fingerprint: 'ab',
            certPem: 'P\n',
          }
        : null;
      const got = build(
        {
          keepalive: on('keepalive'),
          passClientCert: on('cert'),
          headers: on('extra') ? [['X-K', 'v']] : [],
        },
        {
          request,
          protocol: on('none') ? 'smtp' : 'pop3',
          attempt: 3,
          clientHost: on('host') ? 'h.example' : null,
          proxyProtocol: on('pp') ? { srcAddr: '1.1.1.1', srcPort: 1, dstAddr: '2.2.2.2', dstPort: 2 } : null,
          tls,
        },
      );
      const want: string[] = [
        `GET /auth HTTP/1.${on('keepalive') ? 1 : 0}`,
        'Host: 127.0.0.1',
        `Auth-Method: ${method}`,
        'Auth-User: alice',
        'Auth-Pass: secret',
      ];
      let expected = want.map((l) => `${l}\r\n`).join('');
      if (method === 'apop') expected += 'Auth-Salt: <9.9@h>\r\n';
      const rest: string[] = [
        `Auth-Protocol: ${on('none') ? 'smtp' : 'pop3'}`,
        'Auth-Login-Attempt: 3',
        'Client-IP: 192.0.2.7',
      ];
      if (on('host')) rest.push('Client-Host: h.example');
      if (on('pp'))
        rest.push(
          'Proxy-Protocol-Addr: 1.1.1.1',
          'Proxy-Protocol-Port: 1',
          'Proxy-Protocol-Server-Addr: 2.2.2.2',
          'Proxy-Protocol-Server-Port: 2',
        );
      if (on('none'))
        rest.push('Auth-SMTP-Helo: h', 'Auth-SMTP-From: MAIL FROM:<>', 'Auth-SMTP-To: RCPT TO:<x@y>');
      if (on('tls')) {
        rest.push(
          'Auth-SSL: on',
          'Auth-SSL-Protocol: TLSv1.2',
          'Auth-SSL-Cipher: ECDHE-RSA-AES128-GCM-SHA256',
        );
        if (on('verify')) {
          rest.push(
            'Auth-SSL-Verify: SUCCESS',
            'Auth-SSL-Subject: CN=c',
            'Auth-SSL-Issuer: CN=i',
            'Auth-SSL-Serial: 01',
            'Auth-SSL-Fingerprint: ab',
          );
          if (on('cert')) rest.push('Auth-SSL-Cert: P%0A');
        }
      }
      if (on('extra')) rest.push('X-K: v');
      expected += rest.map((l) => `${l}\r\n`).join('') + '\r\n';
      assert.equal(got, expected, `combination ${mask.toString(2)}`);

      // and the built-in headers appear in AUTH_REQUEST_HEADER_ORDER
      const names = got
        .split('\r\n')
        .slice(1)
        .map((l) => l.slice(0, l.indexOf(':')))
        .filter((n) => (AUTH_REQUEST_HEADER_ORDER as readonly string[]).includes(n));
      const order = names.map((n) => (AUTH_REQUEST_HEADER_ORDER as readonly string[]).indexOf(n));
      assert.deepEqual(
        order,
        [...order].sort((a, b) => a - b),
      );
    }
  });

  it('returns a fresh buffer each time (a WAIT re-send may keep it)', () => {
    const target = prepareAuthTarget(TARGET);
    const a = buildAuthRequest(target, input());
    const b = buildAuthRequest(target, input());
    assert.notEqual(a, b);
    assert.deepEqual(a, b);
  });
});
