import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { socketErrorResult } from '../../../src/auth/sys-error.js';

const sysErr = (code: string, syscall: string): Error =>
  Object.assign(new Error(`${syscall} ${code}`), { code, syscall });

describe('auth connection errors in nginx words', () => {
  it('reports connect() failures at error for the usual errnos and at crit for the rest', () => {
    // a refused TCP connect surfaces in nginx at the next read (non-blocking connect): `recv() failed`
    assert.deepEqual(socketErrorResult(sysErr('ECONNREFUSED', 'connect'), '127.0.0.1:9000'), {
      type: 'error',
      message: 'recv() failed',
      level: 'error',
      err: { errno: 111, text: 'Connection refused' },
      kind: 'connect',
    });
    for (const [code, errno] of [
      ['EHOSTUNREACH', 113],
      ['ENETUNREACH', 101],
      ['EAGAIN', 11],
      ['ECONNRESET', 104],
    ] as const) {
      const r = socketErrorResult(sysErr(code, 'connect'), 'a');
      assert.equal(r.type === 'error' && r.level, 'error', code);
      assert.equal(r.type === 'error' && r.err?.errno, errno, code);
    }
    assert.deepEqual(socketErrorResult(sysErr('EACCES', 'connect'), 'unix:/run/auth.sock'), {
      type: 'error',
      message: 'connect() to unix:/run/auth.sock failed',
      level: 'crit',
      err: { errno: 13, text: 'Permission denied' },
      kind: 'connect',
    });
  });

  it('reports send() and recv() failures without the address, as nginx does', () => {
    assert.deepEqual(socketErrorResult(sysErr('EPIPE', 'write'), 'a'), {
      type: 'error',
      message: 'send() failed',
      level: 'error',
      err: { errno: 32, text: 'Broken pipe' },
      kind: 'io',
    });
    assert.deepEqual(socketErrorResult(sysErr('ECONNRESET', 'read'), 'a'), {
      type: 'error',
      message: 'recv() failed',
      level: 'error',
      err: { errno: 104, text: 'Connection reset by peer' },
      kind: 'io',
    });
    const odd = socketErrorResult(sysErr('EINVAL', 'read'), 'a');
    assert.equal(odd.type === 'error' && odd.level, 'crit');
  });

  it('copes with errors that are not system errors', () => {
    assert.deepEqual(socketErrorResult(new Error('weird'), 'a'), {
      type: 'error',
      message: 'recv() failed',
      level: 'crit',
      kind: 'io',
    });
    assert.deepEqual(socketErrorResult(null, 'a'), {
      type: 'error',
      message: 'recv() failed',
      level: 'crit',
      kind: 'io',
    });
  });
});
