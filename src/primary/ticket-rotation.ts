/**
 * The shared session-ticket key and how often the primary rotates it.
 *
 * Node can hold one ticket key per context (nginx keeps the previous two for decryption), so a rotation
 * invalidates every outstanding ticket. Rotating at `ssl_session_timeout`, as nginx does, would then cut
 * resumption short for most tickets; rotating much less often keeps resumption working for a ticket's
 * whole lifetime almost always, at the price of a longer window for one key (forward secrecy).
 *
 * Owns: the current key and the rotation timer. Does not own the key material (tls/ticket-keys.ts) or
 * the IPC (the primary sends each new key to every worker).
 */
import type { MainConfig } from '../config/types.js';
import { rotateTicketKeys, type TicketKeySet } from '../tls/ticket-keys.js';
import type { PrimaryState } from './primary-state.js';

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

/** The key every worker uses, so a ticket from one worker resumes on another; rotated on a timer. */
export class TicketKeyRotation {
  /** the key now in use (sent to each new worker) */
  keys: TicketKeySet = rotateTicketKeys(null);
  private timer: NodeJS.Timeout | null = null;

  /** `rotated` sends a new key to every worker. */
  constructor(
    private readonly state: PrimaryState,
    private readonly rotated: (keys: TicketKeySet) => void,
  ) {}

  /** Arm the next rotation; the interval is read from the configuration running at each rotation. */
  schedule(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.state.phase === 'stopping' || this.state.phase === 'done') return;
      this.keys = rotateTicketKeys(this.keys);
      this.rotated(this.keys);
      this.schedule();
    }, ticketKeyRotationMs(this.state.config));
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
  }
}
