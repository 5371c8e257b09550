/**
 * Backend reply handling the POP3 and SMTP upstream logins share (nginx: ngx_mail_proxy_read_response,
 * the part that does not depend on the protocol).
 *
 * Owns: the step while no whole reply is there yet (nginx sets its "reading response from upstream"
 * action on every read, complete or not), and the `rejected` action for a reply that is not the expected
 * one (reference 5.4). Does not own where a reply ends (POP3: at a CRLF once 4 bytes are in; SMTP: at the
 * last line of a multi-line reply) or which replies are accepted: each protocol's upstream-login.ts.
 * IMAP's login (imap/upstream-login.ts) reads line by line with its own buffer limit and does not use it.
 */
import type { UpstreamAction, UpstreamStep } from './types.js';

/** nginx's `c->log->action` while a backend reply is read. */
export const READING_UPSTREAM_REPLY = 'reading response from upstream';

const NO_ACTIONS: readonly UpstreamAction[] = Object.freeze([]);

/**
 * No whole reply in `buf[start, end)` yet: consumed 0, no actions. If bytes did arrive, the state's
 * action becomes the reading one (`reading` returns `s` with that action).
 */
export function awaitingReply<L extends { readonly action: string }>(
  s: L,
  start: number,
  end: number,
  reading: (s: L) => L,
): UpstreamStep<L> {
  if (end > start && s.action !== READING_UPSTREAM_REPLY) return { state: reading(s), actions: NO_ACTIONS, consumed: 0 };
  return { state: s, actions: NO_ACTIONS, consumed: 0 };
}

/** The backend's whole reply `raw` (a copy, ending with CRLF), refused: `line` is it without that CRLF, for the log. */
export function rejectedReply(raw: Buffer): UpstreamAction {
  return { type: 'rejected', line: raw.subarray(0, raw.length - 2), raw };
}
