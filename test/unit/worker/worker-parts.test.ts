import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { selectTarget } from '../../../src/worker/server-select.js';
import { CidSource } from '../../../src/worker/cid-source.js';
import { greetingFor, quitReply } from '../../../src/worker/placeholder-session.js';
import { server, tcpListen } from '../../integration/process/config-fixture.js';
import { NULL_LOGGER } from '../../../src/log/logger.js';

describe('server selection on a shared socket', () => {
  const spec = {
    id: 1,
    addrText: '0.0.0.0:143',
    backlog: 511,
    targets: [
      { serverIndex: 0, listenIndex: 0, host: '0.0.0.0', port: 143 },
      { serverIndex: 1, listenIndex: 0, host: '127.0.0.1', port: 143 },
    ],
  };
  it('picks the listen equal to the local address, else the wildcard\'s', () => {
    assert.equal(selectTarget(spec, '127.0.0.1', 143).serverIndex, 1);
    assert.equal(selectTarget(spec, '10.1.2.3', 143).serverIndex, 0);
    assert.equal(selectTarget(spec, undefined, undefined).serverIndex, 0);
  });
});

describe('connection numbers', () => {
  it('uses blocks in order and asks for more once, below the low-water mark', () => {
    let asked = 0;
    const c = new CidSource(() => asked++, 2);
    c.add(1, 3);
    assert.deepEqual([c.next(), c.next()], [1, 2]);
    assert.equal(asked, 1);
    c.next();
    assert.equal(asked, 1);
    c.add(2049, 3);
    assert.deepEqual([c.next(), c.next()], [2049, 2050]);
    assert.equal(asked, 2);
  });
});

describe('placeholder session replies', () => {
  it('greets per protocol as nginx does', () => {
    const ctx = (p: 'imap' | 'pop3' | 'smtp') => ({ cid: 1, server: server(p, [tcpListen('0.0.0.0', 1)], { serverName: 'mx.example' }), listen: tcpListen('0.0.0.0', 1), logger: NULL_LOGGER });
    assert.equal(greetingFor(ctx('imap')), '* OK IMAP4 ready\r\n');
    assert.equal(greetingFor(ctx('pop3')), '+OK POP3 ready\r\n');
    assert.equal(greetingFor(ctx('smtp')), '220 mx.example ESMTP ready\r\n');
  });

  it('answers the quit commands with nginx\'s replies and ignores others', () => {
    assert.equal(quitReply('imap', 'a1 LOGOUT'), '* BYE\r\na1 OK completed\r\n');
    assert.equal(quitReply('imap', 'x.y logout'), '* BYE\r\nx.y OK completed\r\n');
    assert.equal(quitReply('imap', 'LOGOUT'), null);
    assert.equal(quitReply('pop3', 'quit'), '+OK\r\n');
    assert.equal(quitReply('smtp', 'QUIT'), '221 2.0.0 Bye\r\n');
    assert.equal(quitReply('smtp', 'HELO x'), null);
  });
});
