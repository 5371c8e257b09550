/**
 * The auth_http wire contract shared by the proxy's client (`auth/auth-http.ts`) and the bundled
 * service (`auth-service/`). Reference section 3. This file imports nothing so both sides can use it.
 */

/** The request headers nginx sends, in nginx's fixed order (reference 3.2). */
export const AUTH_REQUEST_HEADER_ORDER = [
  'Host',
  'Auth-Method',
  'Auth-User',
  'Auth-Pass',
  'Auth-Salt',
  'Auth-Protocol',
  'Auth-Login-Attempt',
  'Client-IP',
  'Client-Host',
  'Proxy-Protocol-Addr',
  'Proxy-Protocol-Port',
  'Proxy-Protocol-Server-Addr',
  'Proxy-Protocol-Server-Port',
  'Auth-SMTP-Helo',
  'Auth-SMTP-From',
  'Auth-SMTP-To',
  'Auth-SSL',
  'Auth-SSL-Protocol',
  'Auth-SSL-Cipher',
  'Auth-SSL-Verify',
  'Auth-SSL-Subject',
  'Auth-SSL-Issuer',
  'Auth-SSL-Serial',
  'Auth-SSL-Fingerprint',
  'Auth-SSL-Cert',
] as const;

export type AuthMethodName = 'plain' | 'apop' | 'cram-md5' | 'external' | 'none' | 'xoauth2' | 'oauthbearer';
export type AuthProtocolName = 'imap' | 'pop3' | 'smtp';

/** A parsed auth_http response, reduced to its outcome (reference 3.5). */
export type AuthHttpResult =
  /** success: connect to server:port; user/pass override what the client sent (raw, not %-decoded) */
  | {
      readonly type: 'ok';
      readonly server: string;
      readonly port: number;
      /** `<server>:<port>` as nginx prints it (no brackets for IPv6, Q-19) */
      readonly upstreamText: string;
      readonly user: Buffer | null;
      readonly pass: Buffer | null;
    }
  /** refused: `text` goes to the client; `waitSec` > 0 lets the client retry after that pause */
  | { readonly type: 'fail'; readonly text: Buffer; readonly errorCode: Buffer | null; readonly waitSec: number }
  /** Auth-Status: WAIT: ask again after `waitSec` (the client sees nothing) */
  | { readonly type: 'wait'; readonly waitSec: number }
  /**
   * The service is unreachable, slow, or answered something unusable: the client gets the internal
   * error. `message` is nginx's log text (e.g. `auth http server 127.0.0.1:9000 sent invalid response`).
   */
  | {
      readonly type: 'error';
      readonly message: string;
      readonly level: 'error' | 'crit';
      readonly err?: { readonly errno: number; readonly text: string };
      /** what went wrong, for metrics and error codes (set by the proxy's client; see AuthHttpErrorKind) */
      readonly kind?: AuthHttpErrorKind;
    };

/**
 * Why an auth_http request ended in an internal error (added for metrics; the log text is `message`).
 * - `connect`: connect() failed; `timeout`: auth_http_timeout passed; `io`: send() or recv() failed;
 * - `closed`: the server closed before the end of the headers; `invalid`: a malformed status or header
 *   line; `tooBig`: headers over auth_http_max_response;
 * - `noServer`, `noPassword`, `badServer`, `badPort`: a success response nginx refuses (reference 3.5);
 * - `waitLimit`: too many WAIT answers in a row (Q-7 fix); `aborted`: the session gave up waiting.
 */
export type AuthHttpErrorKind =
  | 'connect'
  | 'timeout'
  | 'io'
  | 'closed'
  | 'invalid'
  | 'tooBig'
  | 'noServer'
  | 'noPassword'
  | 'badServer'
  | 'badPort'
  | 'waitLimit'
  | 'aborted';
