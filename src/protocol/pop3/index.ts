/**
 * The POP3 protocol as the session shell sees it: the pure pre-auth engine (nginx's
 * ngx_mail_pop3_protocol), the backend login, and the settings builder.
 *
 * Owns: wiring only. Behaviour lives in machine.ts, parse.ts, upstream-login.ts and settings.ts.
 */
import type { ProtocolModule } from '../types.js';
import { pop3AuthFailed, pop3Feed, pop3LogAction, pop3Overflow, pop3Start, pop3TlsStarted, type Pop3State } from './machine.js';
import { POP3_REPLY } from './replies.js';
import type { Pop3Settings } from './settings.js';

export const pop3Protocol: ProtocolModule<Pop3State, Pop3Settings> = {
  name: 'pop3',
  start: pop3Start,
  feed: pop3Feed,
  overflow: (state, buf, start, end) => pop3Overflow(state, buf, start, end),
  authFailed: (state, failure) => pop3AuthFailed(state, failure),
  tlsStarted: (state) => pop3TlsStarted(state),
  logAction: pop3LogAction,
  internalError: POP3_REPLY.internalError,
  certificateError: POP3_REPLY.certificateError,
  noCertificate: POP3_REPLY.noCertificate,
};

export { pop3UpstreamLogin, type Pop3LoginState } from './upstream-login.js';
export { makePop3Settings, type Pop3Settings, type Pop3SettingsInput } from './settings.js';
export { pop3LogAction, type Pop3Phase, type Pop3State } from './machine.js';
