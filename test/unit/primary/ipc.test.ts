import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isPrimaryMessage, isWorkerMessage } from '../../../src/primary/ipc.js';
import { rotateTicketKeys } from '../../../src/tls/ticket-keys.js';

describe('IPC guards', () => {
  it('accept every well-formed primary message', () => {
    const spec = { id: 1, addrText: '0.0.0.0:143', backlog: 511, targets: [{ serverIndex: 0, listenIndex: 0, host: '0.0.0.0', port: 143 }] };
    const keys = rotateTicketKeys(null);
    for (const m of [
      { type: 'config', generation: 1, slot: 0, config: {}, listeners: [spec], ticketKeys: keys },
      { type: 'ticketKeys', keys },
      { type: 'listener', id: 1 },
      { type: 'connection', id: 1, cid: 9 },
      { type: 'cids', start: 1, count: 1024 },
      { type: 'drain' },
      { type: 'stop' },
      { type: 'reopen' },
    ]) assert.equal(isPrimaryMessage(m), true, JSON.stringify(m));
  });

  it('reject malformed primary messages', () => {
    for (const m of [
      null, 'drain', [], { type: 'nope' }, { type: 'listener' }, { type: 'listener', id: -1 }, { type: 'cids', start: 1, count: 0 },
      { type: 'connection', id: 1, cid: 1.5 },
      { type: 'config', generation: 1, slot: 0, config: {}, listeners: [{ id: 1, addrText: 'x', backlog: 1, targets: [] }] },
      { type: 'config', generation: 1, slot: 0, config: {}, listeners: [] },
      { type: 'ticketKeys', keys: { id: 1 } },
    ]) assert.equal(isPrimaryMessage(m), false, JSON.stringify(m));
  });

  it('accept well-formed worker messages and reject the rest', () => {
    for (const m of [{ type: 'ready' }, { type: 'needCids' }, { type: 'relisten', id: 2 }, { type: 'closed', count: 3 }]) {
      assert.equal(isWorkerMessage(m), true);
    }
    for (const m of [{}, { type: 'closed', count: 0 }, { type: 'relisten' }, { type: 'ready2' }, 7]) assert.equal(isWorkerMessage(m), false);
  });
});
