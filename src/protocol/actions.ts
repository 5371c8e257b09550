/**
 * Small helpers shared by the protocol machines for building their results.
 */
import type { Action, FeedResult } from './types.js';

/**
 * Put a `login` action first: nginx knows a login as soon as the client names it (USER, SASL LOGIN's
 * user name, a CRAM-MD5 answer), and shows it in every later log line, the ones this step writes too.
 */
export function withLogin<S>(result: FeedResult<S>, login: Buffer | null | undefined): FeedResult<S> {
  if (login === null || login === undefined) return result;
  const first: Action = { type: 'login', login };
  return { ...result, actions: [first, ...result.actions] };
}
