/**
 * Failed handshakes in nginx's words and levels (ngx_ssl_handshake / ngx_ssl_connection_error).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { handshakeError, handshakeFailureLog, handshakeLogOf } from '../../../src/tls/handshake-error.js';

function opensslError(code: string, hex: string, reason: string): Error {
  const e = new Error(`80BCA8D3B27F0000:error:${hex}:SSL routines:tls_early_post_process_client_hello:${reason}:../deps/openssl/openssl/ssl/statem/statem_srvr.c:1664:\n`);
  return Object.assign(e, { code, library: 'SSL routines', reason });
}

describe('handshake failures as nginx logs them', () => {
  it('reports a close before the handshake ended as peer closed, at info', () => {
    assert.deepEqual(handshakeFailureLog(null), { level: 'info', message: 'peer closed connection in SSL handshake' });
  });

  it('adds the system error of a reset connection', () => {
    const e = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    assert.deepEqual(handshakeFailureLog(e), {
      level: 'info',
      message: 'peer closed connection in SSL handshake',
      err: { errno: 104, text: 'Connection reset by peer' },
    });
    assert.deepEqual(handshakeLogOf(handshakeError(e)), handshakeFailureLog(e));
  });

  it('prints OpenSSL errors as ERR_error_string_n does, at info for client faults', () => {
    const e = opensslError('ERR_SSL_NO_SHARED_CIPHER', '0A0000C1', 'no shared cipher');
    assert.deepEqual(handshakeFailureLog(e), {
      level: 'info',
      message: 'SSL_do_handshake() failed (SSL: error:0A0000C1:SSL routines::no shared cipher)',
    });
    const alert = opensslError('ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE', '0A000412', 'sslv3 alert bad certificate');
    assert.equal(handshakeFailureLog(alert).level, 'info');
  });

  it('logs other OpenSSL failures at crit, as nginx does', () => {
    const e = opensslError('ERR_SSL_INTERNAL_ERROR', '0A000044', 'internal error');
    assert.deepEqual(handshakeFailureLog(e), { level: 'crit', message: 'SSL_do_handshake() failed (SSL: error:0A000044:SSL routines::internal error)' });
  });

  it('carries message, level and errno in a ProxyError(ERR_TLS_HANDSHAKE)', () => {
    const err = handshakeError(opensslError('ERR_SSL_WRONG_VERSION_NUMBER', '0A00010B', 'wrong version number'));
    assert.equal(err.code, 'ERR_TLS_HANDSHAKE');
    assert.equal(err.message, 'SSL_do_handshake() failed (SSL: error:0A00010B:SSL routines::wrong version number)');
    assert.deepEqual(err.details, { level: 'info', errno: null, errnoText: null });
  });
});
