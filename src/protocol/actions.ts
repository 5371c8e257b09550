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

export function reply(data: Buffer): Action {
  return { type: 'reply', data };
}

/** An INFO log line: nginx logs client misbehaviour at info. */
export function info(message: string): Action {
  return { type: 'log', level: 'info', message };
}

// The action list for a lone reply, made once per reply Buffer (most are precomputed settings or
// constants), so answering a command allocates no action objects.
const LONE_REPLY = new WeakMap<Buffer, readonly Action[]>();

/** A result whose only action is the reply `data`. */
export function replyOnly<S>(state: S, data: Buffer, consumed: number): FeedResult<S> {
  let actions = LONE_REPLY.get(data);
  if (actions === undefined) {
    actions = Object.freeze([Object.freeze(reply(data))]);
    LONE_REPLY.set(data, actions);
  }
  return { state, actions, consumed };
}
