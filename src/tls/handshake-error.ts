/**
 * A failed TLS handshake as nginx logs it (ngx_ssl_handshake, ngx_ssl_connection_error, ngx_ssl_error).
 *
 * Owns: turning what Node reports (an OpenSSL error, a socket error, or a close before the handshake
 * finished) into nginx's message and level, carried by a ProxyError(ERR_TLS_HANDSHAKE) whose `message` is
 * the log text, so a caller that just logs `err.message` writes nginx's line:
 * - `SSL_do_handshake() failed (SSL: error:0A00010B:SSL routines::wrong version number)` — at info for the
 *   errors nginx counts as the client's fault (its list in ngx_ssl_connection_error), else crit;
 * - `peer closed connection in SSL handshake` (info), with `(104: Connection reset by peer)` as the
 *   system error when the peer reset the connection.
 * Does not own: writing the line (the session adds `while SSL handshaking` / `in starttls state`).
 */
import { ProxyError } from '../errors.js';

export type HandshakeLogLevel = 'info' | 'crit';

export interface HandshakeFailureLog {
  readonly level: HandshakeLogLevel;
  readonly message: string;
  /** the system error nginx appends as ` (<errno>: <text>)`, when there is one */
  readonly err?: { readonly errno: number; readonly text: string };
}

/**
 * OpenSSL reasons nginx logs at info (client-caused handshake failures), as Node names them
 * (`ERR_SSL_<REASON>`): ngx_ssl_connection_error's list, for the reasons OpenSSL 3.0 has.
 */
const CLIENT_FAULT_REASONS = new Set([
  'NO_SUITABLE_KEY_SHARE',
  'BAD_KEY_SHARE',
  'BAD_EXTENSION',
  'BAD_DIGEST_LENGTH',
  'MISSING_SIGALGS_EXTENSION',
  'BAD_PACKET_LENGTH',
  'NO_SUITABLE_SIGNATURE_ALGORITHM',
  'BAD_KEY_UPDATE',
  'BLOCK_CIPHER_PAD_IS_WRONG',
  'CCS_RECEIVED_EARLY',
  'DECODE_ERROR',
  'DATA_BETWEEN_CCS_AND_FINISHED',
  'DATA_LENGTH_TOO_LONG',
  'DIGEST_CHECK_FAILED',
  'ENCRYPTED_LENGTH_TOO_LONG',
  'ERROR_IN_RECEIVED_CIPHER_LIST',
  'EXCESSIVE_MESSAGE_SIZE',
  'GOT_A_FIN_BEFORE_A_CCS',
  'HTTPS_PROXY_REQUEST',
  'HTTP_REQUEST',
  'LENGTH_MISMATCH',
  'LENGTH_TOO_SHORT',
  'NO_RENEGOTIATION',
  'NO_CIPHERS_PASSED',
  'NO_CIPHERS_SPECIFIED',
  'BAD_CIPHER',
  'NO_COMPRESSION_SPECIFIED',
  'NO_SHARED_CIPHER',
  'PACKET_LENGTH_TOO_LONG',
  'RECORD_LENGTH_MISMATCH',
  'TOO_MANY_WARNING_ALERTS',
  'CLIENTHELLO_TLSEXT',
  'PARSE_TLSEXT',
  'CALLBACK_FAILED',
  'NO_APPLICATION_PROTOCOL',
  'UNEXPECTED_MESSAGE',
  'UNEXPECTED_RECORD',
  'UNKNOWN_ALERT_TYPE',
  'UNKNOWN_PROTOCOL',
  'NO_COMMON_SIGNATURE_ALGORITHMS',
  'INVALID_COMPRESSION_LIST',
  'MISSING_KEY_SHARE',
  'UNSUPPORTED_PROTOCOL',
  'NO_SHARED_GROUP',
  'WRONG_VERSION_NUMBER',
  'TOO_MUCH_SKIPPED_EARLY_DATA',
  'BAD_LENGTH',
  'DECRYPTION_FAILED_OR_BAD_RECORD_MAC',
  'APPLICATION_DATA_AFTER_CLOSE_NOTIFY',
  'BAD_LEGACY_VERSION',
  'MIXED_HANDSHAKE_AND_NON_HANDSHAKE_DATA',
  'RECORD_TOO_SMALL',
  'SSL3_SESSION_ID_TOO_LONG',
  'BAD_ECPOINT',
  'RENEGOTIATE_EXT_TOO_LONG',
  'RENEGOTIATION_ENCODING_ERR',
  'RENEGOTIATION_MISMATCH',
  'UNSAFE_LEGACY_RENEGOTIATION_DISABLED',
  'SCSV_RECEIVED_WHEN_RENEGOTIATING',
  'INAPPROPRIATE_FALLBACK',
  'NO_SHARED_SIGNATURE_ALGORITHMS',
  'CERT_CB_ERROR',
  'VERSION_TOO_LOW',
  'TOO_MANY_WARN_ALERTS',
  'BAD_RECORD_TYPE',
  'SSLV3_ALERT_CLOSE_NOTIFY',
]);

/** Alerts the client sent (reason codes 1000+ in nginx's list) all count as the client's fault. */
const ALERT_REASON = /^(SSLV3|TLSV1)_ALERT_/;

/** Linux errno numbers and texts for the socket errors a handshake meets. */
const SOCKET_ERRNO: Readonly<Record<string, readonly [number, string]>> = {
  ECONNRESET: [104, 'Connection reset by peer'],
  EPIPE: [32, 'Broken pipe'],
  ETIMEDOUT: [110, 'Connection timed out'],
  ENOTCONN: [107, 'Transport endpoint is not connected'],
  EHOSTUNREACH: [113, 'No route to host'],
  ENETUNREACH: [101, 'Network is unreachable'],
  ENETDOWN: [100, 'Network is down'],
};

/** The peer went away before the handshake finished (nginx: ngx_connection_error, info). */
export const PEER_CLOSED_IN_HANDSHAKE = 'peer closed connection in SSL handshake';

/**
 * `error:0A00010B:SSL routines::wrong version number` — OpenSSL 3's ERR_error_string_n, which nginx
 * prints; Node's own message adds the thread id, function, source file and line.
 */
function openSslErrorString(err: NodeJS.ErrnoException & { library?: unknown; reason?: unknown }): string | null {
  const m = /error:([0-9A-Fa-f]{8}):/.exec(err.message);
  if (m === null) return null;
  const library = typeof err.library === 'string' ? err.library : '';
  const reason = typeof err.reason === 'string' ? err.reason : '';
  return `error:${(m[1] ?? '').toUpperCase()}:${library}::${reason}`;
}

/** nginx's log line for a failed handshake, from whatever the TLS socket reported (null: closed). */
export function handshakeFailureLog(err: unknown): HandshakeFailureLog {
  if (err === null || err === undefined) return { level: 'info', message: PEER_CLOSED_IN_HANDSHAKE };
  const e = err as NodeJS.ErrnoException & { library?: unknown; reason?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const sys = SOCKET_ERRNO[code];
  if (sys !== undefined) {
    // SSL_ERROR_SYSCALL with an empty OpenSSL queue: nginx reports the peer closing
    return { level: 'info', message: PEER_CLOSED_IN_HANDSHAKE, err: { errno: sys[0], text: sys[1] } };
  }
  const openssl = typeof e.message === 'string' ? openSslErrorString(e) : null;
  if (openssl === null) {
    const text = e instanceof Error ? e.message : typeof err === 'string' ? err : 'unknown error';
    return { level: 'crit', message: `SSL_do_handshake() failed (${text})` };
  }
  const reason = code.startsWith('ERR_SSL_') ? code.slice('ERR_SSL_'.length) : '';
  const level: HandshakeLogLevel = CLIENT_FAULT_REASONS.has(reason) || ALERT_REASON.test(reason) ? 'info' : 'crit';
  return { level, message: `SSL_do_handshake() failed (SSL: ${openssl})` };
}

/** The rejection value of a failed upgrade: `message` is the log text, `details` hold level and errno. */
export function handshakeError(err: unknown): ProxyError {
  const log = handshakeFailureLog(err);
  return new ProxyError('ERR_TLS_HANDSHAKE', log.message, {
    cause: err,
    details: {
      level: log.level,
      errno: log.err?.errno ?? null,
      errnoText: log.err?.text ?? null,
    },
  });
}

/** Reads the log back from a rejection of `upgrade` (any other value logs as a crit handshake failure). */
export function handshakeLogOf(err: unknown): HandshakeFailureLog {
  if (err instanceof ProxyError && err.code === 'ERR_TLS_HANDSHAKE') {
    const level = err.details.level === 'crit' ? 'crit' : 'info';
    const errno = err.details.errno;
    const text = err.details.errnoText;
    return typeof errno === 'number' && typeof text === 'string'
      ? { level, message: err.message, err: { errno, text } }
      : { level, message: err.message };
  }
  return handshakeFailureLog(err);
}
