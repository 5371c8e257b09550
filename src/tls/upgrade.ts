/**
 * The session's TLS port: one function that turns a plain client socket into a server TLS socket, used
 * both for `listen … ssl` (before the greeting) and for STARTTLS/STLS (after the reply to it has left).
 *
 * Owns: wrapping the socket with the server's contexts, the ALPN rule of reference 6.1 (clients that
 * offer no ALPN are accepted; a list without the protocol's id aborts the handshake with a fatal
 * no_application_protocol alert — nginx: ngx_mail_ssl_alpn_select), SNI selection through
 * `TlsContexts.contextFor`, the session cache, and settling once: with the TLS socket and what the
 * handshake established (client-cert.ts), or with a ProxyError(ERR_TLS_HANDSHAKE) whose message is
 * nginx's log text (handshake-error.ts).
 * Does not own: the deadline (the session's `timeout` timer destroys the plain socket, which settles the
 * promise at once), discarding plaintext pipelined behind STARTTLS (the session does that before calling),
 * or sending the certificate replies (the session acts on `check`).
 *
 * Bytes already read from the plain socket but not consumed (the socket's readable buffer) are fed to
 * the TLS layer by Node: after a STARTTLS reply they can only be the client's ClientHello.
 */
import type { Server, Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { readClientTls, type CertificateCheck, type TlsClientDetails, type TlsClientInfo } from './client-cert.js';
import type { TlsContexts } from './contexts.js';
import { handshakeError } from './handshake-error.js';

export interface TlsUpgradeResult {
  readonly socket: TLSSocket;
  /** the Auth-SSL-* values (the session's ClientTlsInfo) */
  readonly info: TlsClientInfo;
  /** reference 6.3: `ok`, or the reply to send before closing and the line to log at info */
  readonly check: CertificateCheck;
  /** SNI name, ALPN, resumption, certificate CN (for a PROXY v2 header to the backend) */
  readonly details: TlsClientDetails;
}

/** Implements the session's `TlsPort`. */
export interface TlsServerPort {
  readonly contexts: TlsContexts;
  upgrade(socket: Socket): Promise<TlsUpgradeResult>;
}

export function createTlsPort(contexts: TlsContexts): TlsServerPort {
  const alpn = contexts.alpn;
  const alpnCallback = ({ protocols }: { servername: string; protocols: string[] }): string | undefined =>
    protocols.includes(alpn) ? alpn : undefined;
  const sniCallback = (name: string, cb: (err: Error | null, ctx?: ReturnType<TlsContexts['contextFor']>) => void): void => {
    cb(null, contexts.contextFor(name));
  };
  return {
    contexts,
    upgrade(plain: Socket): Promise<TlsUpgradeResult> {
      return new Promise((resolve, reject) => {
        if (plain.destroyed) {
          reject(handshakeError(null));
          return;
        }
        const tls = new TLSSocket(plain, {
          isServer: true,
          secureContext: contexts.defaultContext,
          requestCert: contexts.verifyClient !== 'off',
          // nginx verifies after the handshake (ngx_mail_verify_cert) and answers in the protocol
          rejectUnauthorized: false,
          ALPNCallback: alpnCallback,
          SNICallback: sniCallback,
          // Node asks `server` for session-ID resumption (newSession/resumeSession events)
          ...(contexts.sessionCache === null ? {} : { server: contexts.sessionCache as unknown as Server }),
        });
        const cleanup = (): void => {
          tls.removeListener('secure', onSecure);
          tls.removeListener('error', onError);
          tls.removeListener('close', onClose);
          plain.removeListener('close', onPlainClose);
        };
        const onSecure = (): void => {
          cleanup();
          let details: TlsClientDetails;
          try {
            details = readClientTls(tls, contexts.verifyClient, contexts.verifyDepth);
          } catch (err) {
            tls.destroy();
            reject(handshakeError(err));
            return;
          }
          resolve({ socket: tls, info: details.info, check: details.check, details });
        };
        const onError = (err: Error): void => {
          cleanup();
          tls.destroy();
          reject(handshakeError(err));
        };
        const onClose = (): void => {
          cleanup();
          reject(handshakeError(null));
        };
        const onPlainClose = (): void => {
          // the session's deadline (or a shutdown) destroyed the socket under the handshake
          tls.destroy();
        };
        tls.once('secure', onSecure);
        tls.once('error', onError);
        tls.once('close', onClose);
        plain.once('close', onPlainClose);
      });
    },
  };
}
