import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatNginxLine, nginxTail, nginxTime } from '../../../src/log/format-nginx.js';
import type { SessionLogContext } from '../../../src/log/types.js';

const at = new Date(2026, 7, 21, 10, 0, 4).getTime(); // local time, as nginx prints it

function ctx(extra: Partial<SessionLogContext> = {}): SessionLogContext {
  return { cid: 7, protocol: 'imap', client: '192.0.2.7', server: '0.0.0.0:143', usingStarttls: false, login: null, upstream: null, ...extra };
}

describe('nginx line format', () => {
  it('prints local time as YYYY/MM/DD HH:MM:SS', () => {
    assert.equal(nginxTime(at), '2026/08/21 10:00:04');
  });

  it('builds the full line with pid#tid, connection number and mail context (reference 7.1)', () => {
    const line = formatNginxLine('info', 4242, 'client logged in', { ctx: ctx({ login: 'alice', upstream: '10.0.0.5:143' }) }, at);
    assert.equal(line, '2026/08/21 10:00:04 [info] 4242#4242: *7 client logged in, client: 192.0.2.7, server: 0.0.0.0:143, login: "alice", upstream: 10.0.0.5:143');
  });

  it('puts the errno and the action before the context, and marks STARTTLS clients', () => {
    const tail = nginxTail('info', 'client timed out', {
      err: { errno: 110, text: 'Connection timed out' },
      action: 'in auth state',
      ctx: ctx({ usingStarttls: true }),
    });
    assert.equal(tail, '*7 client timed out (110: Connection timed out) while in auth state, client: 192.0.2.7 using starttls, server: 0.0.0.0:143');
  });

  it('leaves out an empty login (smtp_auth none) and the whole context at debug', () => {
    assert.equal(nginxTail('info', 'x', { ctx: ctx({ login: '' }) }), '*7 x, client: 192.0.2.7, server: 0.0.0.0:143');
    assert.equal(nginxTail('debug', 'state 3', { ctx: ctx(), action: 'in auth state' }), '*7 state 3');
  });

  it('prints the connection number without a context for the connected line', () => {
    assert.equal(nginxTail('info', 'client 192.0.2.7:51514 connected to 0.0.0.0:143', { cid: 7 }), '*7 client 192.0.2.7:51514 connected to 0.0.0.0:143');
    assert.equal(nginxTail('notice', 'start worker process 12'), 'start worker process 12');
  });
});
