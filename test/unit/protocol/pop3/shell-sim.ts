/**
 * A minimal stand-in for the session shell (worker/session.ts) for protocol tests: it keeps the client
 * buffer (at most `clientBufferBytes`), feeds it to a ProtocolModule one command at a time, honours the
 * Action contract (hold input during auth/TLS/resolve/delay, drop buffered bytes on STARTTLS, overflow
 * when the buffer is full and the module still needs more) and records every action.
 *
 * Shared by the POP3 and SMTP unit and property tests; no I/O.
 */
import type { Action, ProtocolModule, SessionEnv } from '../../../../src/protocol/types.js';

export const TEST_ENV: SessionEnv = { tls: false, random: 1804289383, unixTime: 1724230000 };

export class ShellSim<S, C extends { readonly clientBufferBytes: number }> {
  state: S;
  readonly actions: Action[] = [];
  private pending: Buffer = Buffer.alloc(0);
  /** why input is held: null when the module may be fed */
  waiting: 'auth' | 'tls' | 'resolve' | 'delay' | null = null;
  closed = false;

  constructor(
    private readonly module: ProtocolModule<S, C>,
    private readonly settings: C,
    env: SessionEnv = TEST_ENV,
  ) {
    const step = module.start(settings, env);
    this.state = step.state;
    this.apply(step.actions);
  }

  /** Client bytes arrive, in one read or several (the shell never holds more than the buffer size). */
  send(data: Buffer | string): this {
    let rest = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    // Plaintext arriving during the TLS handshake is not the client's TLS session: it is dropped.
    while (rest.length > 0 && !this.closed && this.waiting !== 'tls') {
      const room = this.settings.clientBufferBytes - this.pending.length;
      if (room <= 0) break;
      const take = Math.min(room, rest.length);
      this.pending = Buffer.concat([this.pending, rest.subarray(0, take)]);
      rest = rest.subarray(take);
      this.pump();
    }
    return this;
  }

  /** Offer the buffered bytes until the module needs more (what the shell does after every event). */
  pump(): void {
    for (let guard = 0; guard < 10_000; guard++) {
      if (this.closed || (this.waiting !== null && this.waiting !== 'delay')) return;
      if (this.pending.length === 0) return;
      const r = this.module.feed(this.state, this.pending, 0, this.pending.length, this.settings);
      this.state = r.state;
      if (r.consumed < 0 || r.consumed > this.pending.length) throw new Error(`bad consumed ${String(r.consumed)}`);
      this.pending = this.pending.subarray(r.consumed);
      this.apply(r.actions);
      if (r.consumed === 0 && r.actions.length === 0) {
        if (this.pending.length >= this.settings.clientBufferBytes) {
          const o = this.module.overflow(this.state, this.pending, 0, this.pending.length, this.settings);
          this.state = o.state;
          this.apply(o.actions);
        }
        return;
      }
    }
    throw new Error('pump did not settle');
  }

  private apply(actions: readonly Action[]): void {
    for (const a of actions) {
      this.actions.push(a);
      switch (a.type) {
        case 'startTls':
          // CVE-2014-3556: plaintext behind STARTTLS never reaches the TLS session.
          this.pending = Buffer.alloc(0);
          this.waiting = 'tls';
          break;
        case 'authenticate':
          this.waiting = 'auth';
          break;
        case 'resolveClientHost':
          this.waiting = 'resolve';
          break;
        case 'delay':
          this.waiting = 'delay';
          break;
        case 'close':
          this.closed = true;
          break;
        case 'reply':
        case 'log':
        case 'login':
          break;
      }
    }
  }

  authFailed(failure: { readonly text: string; readonly smtpErrorCode?: Buffer | null; readonly retry?: boolean }): this {
    this.waiting = null;
    const step = this.module.authFailed(
      this.state,
      { text: Buffer.from(failure.text, 'latin1'), smtpErrorCode: failure.smtpErrorCode ?? null, retry: failure.retry ?? false },
      this.settings,
    );
    this.state = step.state;
    this.apply(step.actions);
    this.pump();
    return this;
  }

  tlsStarted(): this {
    this.waiting = null;
    const step = this.module.tlsStarted(this.state, this.settings);
    this.state = step.state;
    this.apply(step.actions);
    this.pump();
    return this;
  }

  hostResolved(host: string): this {
    if (this.module.hostResolved === undefined) throw new Error('no hostResolved');
    this.waiting = null;
    const step = this.module.hostResolved(this.state, Buffer.from(host, 'latin1'), this.settings);
    this.state = step.state;
    this.apply(step.actions);
    this.pump();
    return this;
  }

  delayElapsed(): this {
    if (this.module.delayElapsed === undefined) throw new Error('no delayElapsed');
    this.waiting = null;
    const step = this.module.delayElapsed(this.state, this.settings);
    this.state = step.state;
    this.apply(step.actions);
    this.pump();
    return this;
  }

  /** Settle every wait the way a cooperative shell would: auth retries, finished handshakes. */
  settle(): this {
    for (let guard = 0; guard < 1000 && !this.closed; guard++) {
      if (this.waiting === 'auth') this.authFailed({ text: 'no', retry: true });
      else if (this.waiting === 'tls') this.tlsStarted();
      else if (this.waiting === 'resolve') this.hostResolved('[UNAVAILABLE]');
      else if (this.waiting === 'delay') this.delayElapsed();
      else return this;
    }
    return this;
  }

  /** Every reply byte so far, as latin1 text. */
  get out(): string {
    return this.actions
      .filter((a): a is Extract<Action, { type: 'reply' }> => a.type === 'reply')
      .map((a) => a.data.toString('latin1'))
      .join('');
  }

  get logs(): string[] {
    return this.actions.filter((a) => a.type === 'log').map((a) => `${a.level}: ${a.message}`);
  }

  get closeReason(): string | null {
    const c = this.actions.find((a) => a.type === 'close');
    return c === undefined ? null : c.reason;
  }

  /** The last auth request, with Buffers shown as latin1 text. */
  get lastAuth(): Record<string, unknown> | null {
    const all = this.actions.filter((a) => a.type === 'authenticate');
    const a = all[all.length - 1];
    if (a === undefined) return null;
    const text = (b: Buffer | null): string | null => (b === null ? null : b.toString('latin1'));
    const up = a.upstream;
    return {
      method: a.request.method,
      login: text(a.request.login),
      password: text(a.request.password),
      salt: text(a.request.salt),
      smtpHelo: text(a.request.smtpHelo),
      smtpFrom: text(a.request.smtpFrom),
      smtpTo: text(a.request.smtpTo),
      upstream:
        up.protocol === 'smtp'
          ? { protocol: 'smtp', helo: text(up.helo), esmtp: up.esmtp, mailFrom: text(up.mailFrom), rcptTo: text(up.rcptTo) }
          : { protocol: up.protocol },
    };
  }

  /** Buffered client bytes not yet consumed. */
  get buffered(): string {
    return this.pending.toString('latin1');
  }
}

/**
 * A serialisable view of actions, for comparing runs. With `splitInvariant`, the SMTP rejection logs
 * keep only their fixed part: they show whatever input happened to be buffered, as nginx's do.
 */
export function describeActions(actions: readonly Action[], splitInvariant = false): string[] {
  return actions.map((a) => {
    switch (a.type) {
      case 'reply':
        return `reply ${JSON.stringify(a.data.toString('latin1'))}`;
      case 'log': {
        const m = splitInvariant ? /^(client was rejected(?: before greeting)?: ")/.exec(a.message) : null;
        return `log ${a.level} ${m?.[1] ?? a.message}`;
      }
      case 'close':
        return `close ${a.reason}`;
      case 'authenticate':
        return `auth ${a.request.method} ${a.request.login.toString('hex')} ${a.request.password.toString('hex')}`;
      case 'delay':
        return `delay ${String(a.ms)}`;
      case 'login':
        return `login ${a.login.toString('hex')}`;
      case 'startTls':
      case 'resolveClientHost':
        return a.type;
    }
  });
}
