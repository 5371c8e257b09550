import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { planSockets } from '../../../src/primary/listen-groups.js';
import { mainConfig, server, tcpListen, unixListen } from '../../integration/process/config-fixture.js';

describe('planSockets (reference 2.4)', () => {
  it('gives specific addresses without a wildcard their own sockets', () => {
    const plans = planSockets(mainConfig('/p/', [
      server('imap', [tcpListen('127.0.0.1', 143)]),
      server('imap', [tcpListen('127.0.0.2', 143)]),
    ]));
    assert.deepEqual(plans.map((p) => [p.listen.addrText, p.targets.length]), [['127.0.0.1:143', 1], ['127.0.0.2:143', 1]]);
  });

  it('puts specific addresses on the wildcard\'s socket unless they have bind', () => {
    const plans = planSockets(mainConfig('/p/', [
      server('imap', [tcpListen('127.0.0.1', 143)]),
      server('imap', [tcpListen('0.0.0.0', 143)]),
      server('imap', [tcpListen('127.0.0.2', 143, { bind: true })]),
      server('imap', [tcpListen('::', 143)]),
      server('imap', [tcpListen('::1', 143)]),
      server('smtp', [unixListen('/run/s.sock')]),
    ]));
    assert.deepEqual(plans.map((p) => [p.listen.addrText, p.targets.map((t) => `${t.serverIndex}:${t.host}`)]), [
      ['127.0.0.2:143', ['2:127.0.0.2']],
      ['0.0.0.0:143', ['1:0.0.0.0', '0:127.0.0.1']],
      ['[::]:143', ['3:::', '4:::1']],
      ['unix:/run/s.sock', ['5:']],
    ]);
  });

  it('keys sockets by address, port and ipv6only so reloads keep them', () => {
    const a = planSockets(mainConfig('/p/', [server('imap', [tcpListen('::', 993, { ipv6only: true })])]));
    const b = planSockets(mainConfig('/p/', [server('imap', [tcpListen('::', 993, { ipv6only: false })])]));
    assert.notEqual(a[0]!.key, b[0]!.key);
    const c = planSockets(mainConfig('/p/', [server('pop3', [tcpListen('::', 993, { ipv6only: true, backlog: 10 })])]));
    assert.equal(a[0]!.key, c[0]!.key);
  });
});
