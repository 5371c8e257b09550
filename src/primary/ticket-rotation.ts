/**
 * How often the primary rotates the shared session-ticket key.
 *
 * Node can hold one ticket key per context (nginx keeps the previous two for decryption), so a rotation
 * invalidates every outstanding ticket. Rotating at `ssl_session_timeout`, as nginx does, would then cut
 * resumption short for most tickets; rotating much less often keeps resumption working for a ticket's
 * whole lifetime almost always, at the price of a longer window for one key (forward secrecy).
 */
import type { MainConfig } from '../config/types.js';

/** Never more often than this (tickets issued just before a rotation lose resumption). */
export const TICKET_ROTATION_MIN_MS = 60 * 60 * 1000;
/** Never less often than this (bounds what one leaked key exposes). */
export const TICKET_ROTATION_MAX_MS = 24 * 60 * 60 * 1000;

/** 12 × the longest ssl_session_timeout of a TLS server, within [1 h, 24 h]. */
export function ticketKeyRotationMs(config: MainConfig): number {
  let longest = 0;
  for (const s of config.mail?.servers ?? []) {
    if (s.ssl.starttls === 'off' && !s.listens.some((l) => l.ssl)) continue;
    if (s.ssl.sessionTimeoutMs > longest) longest = s.ssl.sessionTimeoutMs;
  }
  return Math.min(TICKET_ROTATION_MAX_MS, Math.max(TICKET_ROTATION_MIN_MS, 12 * longest));
}
