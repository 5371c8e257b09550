import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { hostname } from 'node:os';
import { LogSystem } from '../../../src/log/logger.js';
import { parseSyslogServer, syslogTime } from '../../../src/log/syslog.js';

describe('syslog targets', () => {
  it('frames RFC 3164 with facility, severity, hostname and tag, carrying the nginx line', async () => {
    const udp = createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    const port = udp.address().port;
    const got = new Promise<string>((resolve) => udp.once('message', (m) => {
      resolve(m.toString());
    }));
    const logs = new LogSystem({ format: 'nginx', prefix: '/' });
    const target = { kind: 'syslog', server: `127.0.0.1:${port}`, facility: 'mail', severity: null, tag: 'postern', nohostname: false } as const;
    logs.logger([{ target, level: 'info', source: null }]).error('auth http server 127.0.0.1:9 timed out');
    const msg = await got;
    logs.close();
    udp.close();
    // mail = 2, error = 3: PRI 19
    const m = /^<19>(\w{3} [ \d]\d \d\d:\d\d:\d\d) (\S+) postern: (\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d) \[error\] (\d+)#\4: auth http server 127\.0\.0\.1:9 timed out$/.exec(msg);
    assert.ok(m, msg);
    assert.equal(m[2], hostname().toLowerCase());
  });

  it('leaves the hostname out with nohostname and applies severity= to every line', async () => {
    const udp = createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    const port = udp.address().port;
    const got = new Promise<string>((resolve) => udp.once('message', (m) => {
      resolve(m.toString());
    }));
    const logs = new LogSystem({ format: 'nginx', prefix: '/' });
    const target = { kind: 'syslog', server: `127.0.0.1:${port}`, facility: 'local7', severity: 'info', tag: 'nginx', nohostname: true } as const;
    logs.logger([{ target, level: 'info', source: null }]).alert('x');
    const msg = await got;
    logs.close();
    udp.close();
    // local7 = 23, info = 6: PRI 190
    assert.match(msg, /^<190>\w{3} [ \d]\d \d\d:\d\d:\d\d nginx: \d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[alert\] \d+#\d+: x$/);
  });

  it('parses server= forms with the default port 514', () => {
    assert.deepEqual(parseSyslogServer('10.0.0.1'), { host: '10.0.0.1', port: 514 });
    assert.deepEqual(parseSyslogServer('10.0.0.1:1514'), { host: '10.0.0.1', port: 1514 });
    assert.deepEqual(parseSyslogServer('[::1]:1514'), { host: '::1', port: 1514 });
    assert.deepEqual(parseSyslogServer('[::1]'), { host: '::1', port: 514 });
  });

  it('pads single-digit days with a space', () => {
    assert.equal(syslogTime(new Date(2026, 0, 5, 3, 4, 5)), 'Jan  5 03:04:05');
    assert.equal(syslogTime(new Date(2026, 10, 26, 13, 4, 5)), 'Nov 26 13:04:05');
  });
});
