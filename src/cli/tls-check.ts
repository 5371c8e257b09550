/**
 * nginx reads every certificate, key, password, DH, CRL and ticket-key file while it loads the
 * configuration, so `nginx -t`, a start and a reload all fail on an unreadable one. postern's loader
 * only resolves paths; this check builds every server's TLS contexts once (and throws them away) so the
 * same three moments fail the same way, with the TLS module's nginx-worded error.
 */
import type { MainConfig, ServerConfig } from '../config/types.js';
import { buildTlsContexts } from '../tls/contexts.js';

/** A server gets TLS with `listen ... ssl` or `starttls on|only` (reference 1.3, ngx_mail_ssl_module). */
export function serverNeedsTls(server: ServerConfig): boolean {
  return server.ssl.starttls !== 'off' || server.listens.some((l) => l.ssl);
}

/**
 * Builds every TLS context the configuration needs; throws the first loading error
 * (`ProxyError('ERR_TLS_CONFIG')` whose message is nginx's text). Returns the warnings to log.
 */
export function checkTlsFiles(config: MainConfig): string[] {
  const warnings: string[] = [];
  for (const server of config.mail?.servers ?? []) {
    if (!serverNeedsTls(server)) continue;
    const contexts = buildTlsContexts(server.ssl, { protocol: server.protocol });
    for (const w of contexts.warnings) if (!warnings.includes(w)) warnings.push(w);
  }
  return warnings;
}
