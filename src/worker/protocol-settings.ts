/**
 * ServerConfig → the protocol module's precomputed settings (protocol/ must not import config/, so this
 * mapping lives here). Built once per server per configuration generation.
 */
import type { ServerConfig } from '../config/types.js';
import { imapProtocol, imapUpstreamLogin, makeImapSettings } from '../protocol/imap/index.js';
import { pop3Protocol, pop3UpstreamLogin, makePop3Settings } from '../protocol/pop3/index.js';
import { smtpProtocol, smtpUpstreamLogin, makeSmtpSettings } from '../protocol/smtp/index.js';
import type { ProtocolBinding } from './session-types.js';

export function protocolBinding(server: ServerConfig): ProtocolBinding {
  const common = {
    serverName: server.serverName,
    xclient: server.xclient,
    smtpAuth: server.proxySmtpAuth,
    proxyBufferBytes: server.proxyBufferBytes,
  };
  switch (server.protocol) {
    case 'imap':
      return {
        name: 'imap',
        module: imapProtocol,
        settings: makeImapSettings({
          capabilities: server.imap.capabilities,
          auth: server.imap.auth,
          clientBufferBytes: server.imap.clientBufferBytes,
          maxErrors: server.maxErrors,
          starttls: server.ssl.starttls,
          serverName: server.serverName,
        }),
        login: imapUpstreamLogin,
        loginSettings: common,
        clientBufferBytes: server.imap.clientBufferBytes,
      };
    case 'pop3':
      return {
        name: 'pop3',
        module: pop3Protocol,
        settings: makePop3Settings({
          serverName: server.serverName,
          auth: server.pop3.auth,
          capabilities: server.pop3.capabilities,
          starttls: server.ssl.starttls,
          maxErrors: server.maxErrors,
          clientBufferBytes: server.pop3.clientBufferBytes,
        }),
        login: pop3UpstreamLogin,
        loginSettings: common,
        clientBufferBytes: server.pop3.clientBufferBytes,
      };
    case 'smtp':
      return {
        name: 'smtp',
        module: smtpProtocol,
        settings: makeSmtpSettings({
          serverName: server.serverName,
          auth: server.smtp.auth,
          capabilities: server.smtp.capabilities,
          starttls: server.ssl.starttls,
          resolver: server.resolver !== null,
          greetingDelayMs: server.smtp.greetingDelayMs,
          maxErrors: server.maxErrors,
          clientBufferBytes: server.smtp.clientBufferBytes,
        }),
        login: smtpUpstreamLogin,
        loginSettings: common,
        clientBufferBytes: server.smtp.clientBufferBytes,
      };
  }
}
