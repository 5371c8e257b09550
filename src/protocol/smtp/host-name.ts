/**
 * The client host name values SMTP hands on (Client-Host to auth_http, NAME= in XCLIENT).
 *
 * Owns: nginx's two placeholders and the validity rule for a name that came from DNS (nginx 1.29.7,
 * CVE-2026-28753: a PTR answer could carry CR/LF or spaces into an auth_http header or an XCLIENT line).
 * Pure, so the resolver (src/net/client-host.ts) and the XCLIENT builder share one rule.
 */

/** No name: NXDOMAIN, a name that does not confirm, or no resolver configured. */
export const HOST_UNAVAILABLE = '[UNAVAILABLE]';
/** A temporary failure, an invalid PTR name, or a unix-socket client with a resolver configured. */
export const HOST_TEMPUNAVAIL = '[TEMPUNAVAIL]';

function isHostByte(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) || // a-z
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x30 && c <= 0x39) || // 0-9
    c === 0x2e || // .
    c === 0x2d // -
  );
}

/** A name from DNS is usable only when it is non-empty and made of `[A-Za-z0-9.-]` alone. */
export function isValidHostName(name: Buffer | string): boolean {
  if (name.length === 0) return false;
  if (typeof name === 'string') {
    for (let i = 0; i < name.length; i++) if (!isHostByte(name.charCodeAt(i))) return false;
    return true;
  }
  for (let i = 0; i < name.length; i++) if (!isHostByte(name[i] as number)) return false;
  return true;
}

/** What may go after `NAME=`: a valid name or one of the placeholders; anything else becomes `[TEMPUNAVAIL]`. */
export function safeClientHost(host: string): string {
  if (host === HOST_UNAVAILABLE || host === HOST_TEMPUNAVAIL || isValidHostName(host)) return host;
  return HOST_TEMPUNAVAIL;
}
