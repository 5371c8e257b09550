/**
 * A tiny stand-in for the session shell, for tests of the pure IMAP module: a client buffer of
 * `clientBufferBytes` that is compacted after every consumed command (the Q-9 fix), reads that take only
 * what fits, at most one command per `feed`, `overflow` when the buffer is full and the parser wants more,
 * and scripted answers to `authenticate` and `startTls`.
 *
 * Every action is recorded as a short text event so tests compare whole transcripts.
 */

import { imapProtocol } from '../../../../src/protocol/imap/index.js';
import type { ImapSettings, ImapState } from '../../../../src/protocol/imap/index.js';
import type { Action, AuthFailure, AuthRequest, SessionEnv, UpstreamLoginContext } from '../../../../src/protocol/types.js';

export interface DriveOptions {
  readonly env?: Partial<SessionEnv>;
  /**
   * What auth_http answers; default: refuse with retry so the session goes on. `'accept'` ends the
   * session (the relay would take over), leaving the unconsumed bytes in `rest`.
   */
  readonly auth?: (request: AuthRequest, upstream: UpstreamLoginContext) => AuthFailure | 'accept';
  /** On `startTls`: drop buffered bytes and call tlsStarted (default), or stop the session. */
  readonly onStartTls?: 'handshake' | 'stop';
}

export interface DriveResult {
  /** every reply, concatenated, as latin1 text */
  readonly out: string;
  /** every action (and overflow call) as a text event, in order */
  readonly events: readonly string[];
  readonly state: ImapState;
  /** the last authenticate action, if any */
  readonly lastAuth: { readonly request: AuthRequest; readonly upstream: UpstreamLoginContext } | null;
  /** client bytes left over (buffered or unread) when the session stopped */
  readonly rest: Buffer;
  readonly stopped: boolean;
}

const show = (b: Buffer | null): string => (b === null ? 'null' : JSON.stringify(b.toString('latin1')));

export function describeAction(a: Action): string {
  switch (a.type) {
    case 'reply':
      return `reply ${JSON.stringify(a.data.toString('latin1'))}`;
    case 'log':
      return `log ${a.level} ${a.message}`;
    case 'close':
      return `close ${a.reason}`;
    case 'startTls':
      return 'startTls';
    case 'authenticate': {
      const r = a.request;
      const u = a.upstream;
      const tag = u.protocol === 'imap' ? show(u.tag) : '-';
      const id = u.protocol === 'imap' ? show(u.clientId ?? null) : '-';
      return `authenticate ${r.method} login=${show(r.login)} password=${show(r.password)} salt=${show(r.salt)} tag=${tag} id=${id}`;
    }
    case 'resolveClientHost':
      return 'resolveClientHost';
    case 'delay':
      return `delay ${String(a.ms)}`;
    case 'login':
      return `login ${show(a.login)}`;
  }
}

/** Runs one client session over `chunks`, each chunk arriving as one read (split further by the buffer). */
export function drive(settings: ImapSettings, chunks: readonly (Buffer | string)[], opts: DriveOptions = {}): DriveResult {
  const env: SessionEnv = { tls: false, random: 1804289383, unixTime: 1724230000, ...opts.env };
  const events: string[] = [];
  let out = '';
  let lastAuth: DriveResult['lastAuth'] = null;
  const first = imapProtocol.start(settings, env);
  let state = first.state;
  const run = { stopped: false };
  // A function, not a property read: the closures below change it behind the type checker's back.
  const isStopped = (): boolean => run.stopped;
  const cap = settings.clientBufferBytes;
  let buf = Buffer.alloc(0);
  let pending = Buffer.alloc(0);

  const apply = (actions: readonly Action[]): void => {
    for (const a of actions) {
      if (isStopped()) return;
      events.push(describeAction(a));
      if (a.type === 'reply') out += a.data.toString('latin1');
      if (a.type === 'close') run.stopped = true;
      if (a.type === 'startTls') {
        if (opts.onStartTls === 'stop') {
          run.stopped = true;
          return;
        }
        // The STARTTLS injection fix: plaintext buffered after the command is thrown away.
        buf = Buffer.alloc(0);
        pending = Buffer.alloc(0);
        const t = imapProtocol.tlsStarted(state, settings);
        state = t.state;
        apply(t.actions);
      }
      if (a.type === 'authenticate') {
        lastAuth = { request: a.request, upstream: a.upstream };
        const answer = opts.auth ? opts.auth(a.request, a.upstream) : { text: Buffer.from('Go away'), smtpErrorCode: null, retry: true };
        if (answer === 'accept') {
          run.stopped = true;
          return;
        }
        const f = imapProtocol.authFailed(state, answer, settings);
        state = f.state;
        apply(f.actions);
      }
    }
  };

  apply(first.actions);

  const pump = (): void => {
    for (let guard = 0; guard < 1_000_000; guard++) {
      if (isStopped()) return;
      const room = cap - buf.length;
      if (room > 0 && pending.length > 0) {
        const take = Math.min(room, pending.length);
        buf = Buffer.concat([buf, pending.subarray(0, take)]);
        pending = pending.subarray(take);
      }
      let wantsMore = false;
      for (let inner = 0; inner < 1_000_000; inner++) {
        if (isStopped() || buf.length === 0) break;
        const r = imapProtocol.feed(state, buf, 0, buf.length, settings);
        state = r.state;
        buf = buf.subarray(r.consumed);
        apply(r.actions);
        if (r.consumed === 0 && r.actions.length === 0) {
          wantsMore = true;
          break;
        }
      }
      if (isStopped()) return;
      if (wantsMore && buf.length >= cap) {
        events.push('overflow');
        const o = imapProtocol.overflow(state, buf, 0, buf.length, settings);
        state = o.state;
        apply(o.actions);
        run.stopped = true;
        return;
      }
      if (pending.length === 0) return;
    }
    throw new Error('driver did not settle');
  };

  for (const c of chunks) {
    if (isStopped()) break;
    pending = Buffer.concat([pending, typeof c === 'string' ? Buffer.from(c, 'latin1') : c]);
    pump();
  }
  return { out, events, state, lastAuth, rest: Buffer.concat([buf, pending]), stopped: run.stopped };
}

/** Splits `input` into chunks at the given cut points (sorted, deduplicated, within bounds). */
export function splitAt(input: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.filter((c) => c > 0 && c < input.length))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(input.subarray(prev, p));
    prev = p;
  }
  out.push(input.subarray(prev));
  return out;
}

/** One byte per chunk. */
export function bytewise(input: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < input.length; i++) out.push(input.subarray(i, i + 1));
  return out;
}
