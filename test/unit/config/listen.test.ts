import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ListenConfig } from '../../../src/config/types.js';
import { loadError, loadText } from './load-text.js';

function conf(listen: string, protocol: string | null = 'imap', extra = ''): string {
  return `events {}\nmail {\n    auth_http 127.0.0.1:9000/auth;\n    server {\n        listen ${listen};\n${protocol === null ? '' : `        protocol ${protocol};\n`}${extra}    }\n}\n`;
}

async function listens(
  listen: string,
  protocol: string | null = 'imap',
  extra = '',
): Promise<readonly ListenConfig[]> {
  const r = await loadText(conf(listen, protocol, extra));
  const s = r.config.mail?.servers[0];
  assert.ok(s !== undefined);
  return s.listens;
}

async function one(listen: string): Promise<ListenConfig> {
  const l = await listens(listen);
  assert.equal(l.length, 1);
  return l[0] ?? assert.fail();
}

describe('listen', () => {
  it('takes address:port with nginx defaults for every parameter', async () => {
    const l = await one('127.0.0.1:10143');
    assert.deepEqual(
      { ...l, source: null },
      {
        addrText: '127.0.0.1:10143',
        kind: 'tcp',
        host: '127.0.0.1',
        port: 10143,
        family: 4,
        ssl: false,
        proxyProtocol: false,
        bind: false,
        backlog: 511,
        rcvbufBytes: null,
        sndbufBytes: null,
        ipv6only: true,
        soKeepalive: { kind: 'default' },
        multipath: false,
        source: null,
      },
    );
    assert.equal(l.source.line, 5);
  });

  it('reads a bare port and *:port as 0.0.0.0', async () => {
    assert.equal((await one('10143')).addrText, '0.0.0.0:10143');
    assert.equal((await one('*:10143')).addrText, '0.0.0.0:10143');
  });

  it('reads [v6]:port with nginx canonical text', async () => {
    const l = await one('[0:0:0:0:0:0:0:1]:10143');
    assert.equal(l.addrText, '[::1]:10143');
    assert.equal(l.host, '::1');
    assert.equal(l.family, 6);
    assert.equal((await one('[::]:993')).addrText, '[::]:993');
  });

  it('reads unix:path with port 0 and family 0', async () => {
    const l = await one('unix:/run/postern/imap.sock');
    assert.deepEqual(
      [l.kind, l.host, l.port, l.family, l.addrText],
      ['unix', '/run/postern/imap.sock', 0, 0, 'unix:/run/postern/imap.sock'],
    );
  });

  it('expands a host name to every address it has, IPv4 first', async () => {
    assert.deepEqual(
      (await listens('dual.test:10143')).map((l) => l.addrText),
      ['192.0.2.1:10143', '[2001:db8::1]:10143'],
    );
  });

  it('expands a port range to one entry per port', async () => {
    assert.deepEqual(
      (await listens('127.0.0.1:10143-10145')).map((l) => l.addrText),
      ['127.0.0.1:10143', '127.0.0.1:10144', '127.0.0.1:10145'],
    );
  });

  it('takes a bare port range as 0.0.0.0 ports; a junk range is a host name', async () => {
    assert.deepEqual(
      (await listens('10143-10144')).map((l) => l.addrText),
      ['0.0.0.0:10143', '0.0.0.0:10144'],
    );
    assert.equal(
      await loadError(conf('1-x')),
      'host not found in "1-x" of the "listen" directive in P/nginx.conf:5',
    );
    assert.equal(
      await loadError(conf('10143-0')),
      'invalid port in "10143-0" of the "listen" directive in P/nginx.conf:5',
    );
    assert.equal(
      await loadError(conf('10143-10140')),
      'invalid port range in "10143-10140" of the "listen" directive in P/nginx.conf:5',
    );
    assert.equal(
      await loadError(conf('0-10')),
      'invalid port in "0-10" of the "listen" directive in P/nginx.conf:5',
    );
  });

  it('treats an address without a port as port 0, as nginx 1.22 does', async () => {
    assert.equal((await one('127.0.0.1')).port, 0);
  });

  it('reads every parameter', async () => {
    const [l] = await listens(
      '127.0.0.1:10993 ssl proxy_protocol backlog=100 rcvbuf=64k sndbuf=1m so_keepalive=30m::10 multipath',
      'imap',
      '        ssl_certificate c.pem;\n        ssl_certificate_key k.pem;\n',
    );
    assert.ok(l !== undefined);
    assert.equal(l.ssl, true);
    assert.equal(l.proxyProtocol, true);
    assert.equal(l.backlog, 100);
    assert.equal(l.rcvbufBytes, 65536);
    assert.equal(l.sndbufBytes, 1048576);
    assert.deepEqual(l.soKeepalive, { kind: 'tuned', idleSec: 1800, intervalSec: null, count: 10 });
    assert.equal(l.multipath, true);
    assert.equal(l.bind, true, 'backlog and friends imply a separate bind');
  });

  it('records multipath among the ignored directives (Node cannot open MPTCP sockets)', async () => {
    const r = await loadText(conf('127.0.0.1:10143 multipath'));
    assert.deepEqual(
      r.config.ignored.map((i) => [i.name, i.source.line]),
      [['multipath', 5]],
    );
  });

  it('reads so_keepalive on, off and partial triples', async () => {
    assert.deepEqual((await one('127.0.0.1:1 so_keepalive=on')).soKeepalive, { kind: 'on' });
    assert.deepEqual((await one('127.0.0.1:1 so_keepalive=off')).soKeepalive, { kind: 'off' });
    assert.deepEqual((await one('127.0.0.1:1 so_keepalive=1h:30s')).soKeepalive, {
      kind: 'tuned',
      idleSec: 3600,
      intervalSec: 30,
      count: null,
    });
  });

  it('reads ipv6only and bind', async () => {
    const l = await one('[::]:10143 ipv6only=off bind');
    assert.equal(l.ipv6only, false);
    assert.equal(l.bind, true);
    assert.equal((await one('[::]:10143 ipv6only=on')).ipv6only, true);
  });

  it('proxy_protocol and ssl alone do not imply bind', async () => {
    assert.equal((await one('127.0.0.1:1 proxy_protocol')).bind, false);
  });

  it('detects the protocol from the first listen whose port is well known', async () => {
    const protocol = async (ls: string[], p: string | null = null): Promise<string | undefined> => {
      const r = await loadText(
        `events {}\nmail {\n    auth_http 127.0.0.1:9/a;\n    server {\n${p === null ? '' : `        protocol ${p};\n`}${ls.map((l) => `        listen ${l};\n`).join('')}    }\n}\n`,
      );
      return r.config.mail?.servers[0]?.protocol;
    };
    assert.equal(await protocol(['127.0.0.1:143']), 'imap');
    assert.equal(await protocol(['127.0.0.1:993']), 'imap');
    assert.equal(await protocol(['127.0.0.1:110']), 'pop3');
    assert.equal(await protocol(['127.0.0.1:995']), 'pop3');
    assert.equal(await protocol(['127.0.0.1:25']), 'smtp');
    assert.equal(await protocol(['127.0.0.1:465']), 'smtp');
    assert.equal(await protocol(['127.0.0.1:587']), 'smtp');
    assert.equal(await protocol(['127.0.0.1:10000', '127.0.0.1:110', '127.0.0.1:143']), 'pop3');
    assert.equal(await protocol(['127.0.0.1:143'], 'smtp'), 'smtp');
  });

  it('does not turn on TLS for a TLS port', async () => {
    assert.equal((await one('127.0.0.1:993')).ssl, false);
  });

  it("rejects bad addresses with nginx's words", async () => {
    const cases: [string, string][] = [
      ['127.0.0.1:0', 'invalid port in "127.0.0.1:0" of the "listen" directive'],
      ['127.0.0.1:65536', 'invalid port in "127.0.0.1:65536" of the "listen" directive'],
      ['0', 'invalid port in "0" of the "listen" directive'],
      ['127.0.0.1:2-1', 'invalid port range in "127.0.0.1:2-1" of the "listen" directive'],
      ['127.0.0.1:1-70000', 'invalid port in "127.0.0.1:1-70000" of the "listen" directive'],
      ['127.0.0.1:143/x', 'invalid host in "127.0.0.1:143/x" of the "listen" directive'],
      [':143', 'no host in ":143" of the "listen" directive'],
      ['no.such:143', 'host not found in "no.such:143" of the "listen" directive'],
      ['[::1:143', 'invalid host in "[::1:143" of the "listen" directive'],
      ['[]:143', 'no host in "[]:143" of the "listen" directive'],
      ['[::1]/x', 'invalid host in "[::1]/x" of the "listen" directive'],
      ['[::q]:143', 'invalid IPv6 address in "[::q]:143" of the "listen" directive'],
      ['unix:', 'no path in the unix domain socket in "unix:" of the "listen" directive'],
    ];
    for (const [listen, message] of cases)
      assert.equal(await loadError(conf(listen)), `${message} in P/nginx.conf:5`, listen);
  });

  it("rejects bad parameters with nginx's words", async () => {
    const cases: [string, string][] = [
      ['default_server', 'the invalid "default_server" parameter'],
      ['backlog=0', 'invalid backlog "backlog=0"'],
      ['backlog=-1', 'invalid backlog "backlog=-1"'],
      ['rcvbuf=1g', 'invalid rcvbuf "rcvbuf=1g"'],
      ['sndbuf=', 'invalid sndbuf "sndbuf="'],
      ['ipv6only=onn', 'invalid ipv6only flags "onn"'],
      ['ipv6only=yes', 'the invalid "ipv6only=yes" parameter'],
      ['so_keepalive=::', 'invalid so_keepalive value: "::"'],
      ['so_keepalive=0:0:0', 'invalid so_keepalive value: "0:0:0"'],
      ['so_keepalive=x', 'invalid so_keepalive value: "x"'],
      ['so_keepalive=1m:x', 'invalid so_keepalive value: "1m:x"'],
      ['so_keepalive=1m:1m:x', 'invalid so_keepalive value: "1m:1m:x"'],
    ];
    for (const [param, message] of cases) {
      assert.equal(await loadError(conf(`127.0.0.1:10143 ${param}`)), `${message} in P/nginx.conf:5`, param);
    }
  });

  it('rejects the same address and port twice anywhere in mail{}', async () => {
    const text = `events {}\nmail {\n    auth_http 127.0.0.1:9/a;\n    server {\n        listen 127.0.0.1:10143;\n        protocol imap;\n    }\n    server {\n        listen 127.0.0.1:10140-10145;\n        protocol pop3;\n    }\n}\n`;
    assert.equal(
      await loadError(text),
      'duplicate "127.0.0.1:10143" address and port pair in P/nginx.conf:9',
    );
    assert.equal(
      await loadError(conf('unix:/a.sock', 'imap', '        listen unix:/a.sock;\n')),
      'duplicate "unix:/a.sock" address and port pair in P/nginx.conf:7',
    );
  });

  it('lets the wildcard and a specific address share a port', async () => {
    const r = await loadText(conf('10143', 'imap', '        listen 127.0.0.1:10143;\n'));
    assert.deepEqual(
      r.config.mail?.servers[0]?.listens.map((l) => l.addrText),
      ['0.0.0.0:10143', '127.0.0.1:10143'],
    );
  });

  it('requires a protocol when the port says nothing', async () => {
    assert.equal(
      await loadError(conf('127.0.0.1:10143', null)),
      'unknown mail protocol for server in P/nginx.conf:4',
    );
    assert.equal(
      await loadError(conf('unix:/x.sock', null)),
      'unknown mail protocol for server in P/nginx.conf:4',
    );
  });

  it('requires a listen in every server, named by the line of server {', async () => {
    assert.equal(
      await loadError(
        'events {}\nmail {\n    auth_http 127.0.0.1:9/a;\n\n    server {\n        protocol imap;\n    }\n}\n',
      ),
      'no "listen" is defined for server in P/nginx.conf:5',
    );
  });
});
