/**
 * The IMAP protocol as the session shell and the relay's connector use it.
 *
 * Owns: wiring parse/machine/replies/settings into nginx's protocol table shape (`ngx_mail_protocol_t`)
 * and the upstream login module. Does not own any behaviour itself.
 */

import type { ProtocolModule } from '../types.js';
import { authFailed, feed, overflow, start, tlsStarted, type ImapState } from './machine.js';
import { CERTIFICATE_ERROR, INTERNAL_SERVER_ERROR, NO_CERTIFICATE } from './replies.js';
import type { ImapSettings } from './settings.js';
import * as upstream from './upstream-login.js';
import type { ImapUpstreamLoginModule } from './upstream-login.js';

export const imapProtocol: ProtocolModule<ImapState, ImapSettings> = Object.freeze({
  name: 'imap',
  start,
  feed,
  overflow,
  authFailed,
  tlsStarted,
  internalError: INTERNAL_SERVER_ERROR,
  certificateError: CERTIFICATE_ERROR,
  noCertificate: NO_CERTIFICATE,
});

/**
 * `start`'s settings may be an `ImapUpstreamLoginSettings` (a `UpstreamLoginSettings` plus optional
 * `proxyBufferBytes`, `forwardId`, `clientPort`, `localAddr`, `localPort`).
 */
export const imapUpstreamLogin: ImapUpstreamLoginModule = Object.freeze({
  start: upstream.start,
  feed: upstream.feed,
  phase: upstream.phase,
});

export { makeImapSettings } from './settings.js';
export type { ImapSettings, ImapSettingsInput, ImapAuthMethods, StartTlsMode } from './settings.js';
export type { ImapState, ImapMailState } from './machine.js';
export type {
  ImapLoginState,
  ImapLoginPhase,
  ImapUpstreamExtras,
  ImapUpstreamLoginModule,
  ImapUpstreamLoginSettings,
} from './upstream-login.js';
