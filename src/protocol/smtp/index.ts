/**
 * The SMTP protocol as the session shell sees it: the pure pre-auth engine (nginx's
 * ngx_mail_smtp_protocol), the backend login, and the settings builder.
 *
 * Owns: wiring only. Behaviour lives in machine.ts, parse.ts, upstream-login.ts and settings.ts.
 */
import type { ProtocolModule } from '../types.js';
import {
  smtpAuthFailed,
  smtpDelayElapsed,
  smtpFeed,
  smtpHostResolved,
  smtpLogAction,
  smtpOverflow,
  smtpStart,
  smtpTlsStarted,
  type SmtpState,
} from './machine.js';
import { SMTP_REPLY } from './replies.js';
import type { SmtpSettings } from './settings.js';

export const smtpProtocol: ProtocolModule<SmtpState, SmtpSettings> = {
  name: 'smtp',
  start: smtpStart,
  feed: smtpFeed,
  overflow: (state, buf, start, end) => smtpOverflow(state, buf, start, end),
  authFailed: (state, failure) => smtpAuthFailed(state, failure),
  tlsStarted: (state) => smtpTlsStarted(state),
  hostResolved: smtpHostResolved,
  delayElapsed: smtpDelayElapsed,
  logAction: smtpLogAction,
  internalError: SMTP_REPLY.internalError,
  certificateError: SMTP_REPLY.certificateError,
  noCertificate: SMTP_REPLY.noCertificate,
};

export { smtpUpstreamLogin, type SmtpLoginState } from './upstream-login.js';
export { makeSmtpSettings, type SmtpSettings, type SmtpSettingsInput } from './settings.js';
export { HOST_TEMPUNAVAIL, HOST_UNAVAILABLE, isValidHostName } from './host-name.js';
export { xtextEncode } from './xtext.js';
export { smtpLogAction, type SmtpPhase, type SmtpState } from './machine.js';
