/**
 * Logs into the backend for a session (reference 5.1–5.4): connect, optional PROXY header, then the
 * protocol's pure login dialogue (`UpstreamLoginModule`) fed with the backend's bytes, all under ONE
 * deadline (`timeout`, as nginx arms one timer for connect plus the whole dialogue, Q-3).
 *
 * Owns: the login-phase socket I/O, the reply accumulation buffer (a reply must fit in proxy_buffer),
 * and turning every way it can end into one outcome. Does not log and does not talk to the client: the
 * session does both from the outcome.
 */
import type { UpstreamLoginModule, UpstreamAction } from '../protocol/types.js';
import type { BufferPool } from './buffer-pool.js';
import type { SessionLogLine } from '../log/types.js';
import { Upstream, type UpstreamSink, type UpstreamTarget } from './upstream.js';

/** What the session logs for a failed login (nginx's text, level and "while" action). */
export type LoginFailureLog = SessionLogLine;

export type LoginOutcome =
  | {
      readonly type: 'done';
      readonly upstream: Upstream;
      /** the client's success reply (backend's tagged OK / +OK / RCPT reply, or the proxy's 235) */
      readonly reply: Buffer;
      /** backend bytes that arrived behind the final reply; they go to the client next */
      readonly leftover: Buffer | null;
    }
  | {
      readonly type: 'failed';
      readonly log: LoginFailureLog;
      /** With proxy_pass_error_message on and a backend reply to show: the raw reply for the client. */
      readonly backendReply: Buffer | null;
      readonly reason: 'upstreamConnect' | 'upstreamTimeout' | 'upstreamRejected' | 'upstreamError';
    };

export interface LoginDriverOptions<L> {
  readonly target: UpstreamTarget;
  /** `<server>:<port>` as nginx prints it in `connect() to <addr> failed` */
  readonly addrText: string;
  readonly module: UpstreamLoginModule<L>;
  readonly state: L;
  /** proxy_buffer pool: one buffer of it accumulates the backend's reply lines */
  readonly pool: BufferPool;
  readonly timeoutMs: number;
  readonly passErrorMessage: boolean;
  /** PROXY protocol header to send before anything else, or null */
  readonly proxyHeader: Buffer | null;
  readonly onOutcome: (outcome: LoginOutcome) => void;
}

/** nginx's action while it reads a backend reply (ngx_mail_proxy_read_response). */
const READING_ACTION = 'reading response from upstream';

/**
 * Connect errors that reach nginx only after connect() returned EINPROGRESS: the peer's RST or an ICMP
 * error arrives later, so nginx logs them as `recv() failed` (checked with Debian's nginx 1.22 on Linux,
 * loopback included). Others (no route, no local address) fail connect() itself.
 */
const ASYNC_CONNECT_ERRORS: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH']);

/** errno values Node reports by name; nginx prints `(<errno>: <strerror>)`. */
const ERRNO: Readonly<Record<string, readonly [number, string]>> = {
  ECONNREFUSED: [111, 'Connection refused'],
  ECONNRESET: [104, 'Connection reset by peer'],
  ETIMEDOUT: [110, 'Connection timed out'],
  EHOSTUNREACH: [113, 'No route to host'],
  ENETUNREACH: [101, 'Network is unreachable'],
  EPIPE: [32, 'Broken pipe'],
  EADDRNOTAVAIL: [99, 'Cannot assign requested address'],
  ENOENT: [2, 'No such file or directory'],
  EACCES: [13, 'Permission denied'],
};

/** nginx-style `(errno: text)` for a Node socket error. */
export function errnoOf(err: NodeJS.ErrnoException): { errno: number; text: string } {
  const known = err.code === undefined ? undefined : ERRNO[err.code];
  if (known) return { errno: known[0], text: known[1] };
  return { errno: typeof err.errno === 'number' ? Math.abs(err.errno) : 0, text: err.code ?? err.message };
}

export class LoginDriver<L> implements UpstreamSink {
  private readonly o: LoginDriverOptions<L>;
  private readonly upstream: Upstream;
  private state: L;
  private readonly acc: Buffer;
  private accEnd = 0;
  private connected = false;
  private settled = false;
  private readonly timer: NodeJS.Timeout;

  constructor(options: LoginDriverOptions<L>) {
    this.o = options;
    this.state = options.state;
    this.acc = options.pool.acquire();
    this.timer = setTimeout(this.onTimeout, options.timeoutMs);
    this.upstream = new Upstream(options.target, this, this.onConnect);
  }

  /** The session ends before the login did (client gone, shutdown). */
  abort(): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.upstream.destroy();
    this.releaseAcc();
  }

  private readonly onConnect = (): void => {
    this.connected = true;
    if (this.o.proxyHeader !== null) this.upstream.socket.write(this.o.proxyHeader);
  };

  upstreamData(chunk: Buffer): void {
    if (this.settled) return;
    // Accumulate: a reply line may span reads; it must fit in one proxy_buffer (nginx's rule).
    const n = chunk.length;
    const take = Math.min(this.acc.length - this.accEnd, n);
    chunk.copy(this.acc, this.accEnd, 0, take);
    this.accEnd += take;
    this.process(take < n ? chunk.subarray(take) : null);
  }

  private process(overflow: Buffer | null): void {
    let start = 0;
    for (;;) {
      const step = this.o.module.feed(this.state, this.acc, start, this.accEnd);
      this.state = step.state;
      start += step.consumed;
      if (this.runActions(step.actions, start, overflow)) return;
      if (step.consumed === 0 && step.actions.length === 0) break;
      if (start >= this.accEnd) break;
    }
    // Keep the unfinished reply at the front of the accumulation buffer.
    if (start > 0) {
      this.acc.copyWithin(0, start, this.accEnd);
      this.accEnd -= start;
    }
    if (overflow !== null) {
      if (this.accEnd === this.acc.length) {
        this.tooLong();
        return;
      }
      const room = this.acc.length - this.accEnd;
      const take = Math.min(room, overflow.length);
      overflow.copy(this.acc, this.accEnd, 0, take);
      this.accEnd += take;
      this.process(take < overflow.length ? overflow.subarray(take) : null);
      return;
    }
    if (this.accEnd === this.acc.length) this.tooLong();
  }

  private tooLong(): void {
    // nginx writes a NUL over the buffer's last byte to print it: the line shown is one byte short
    const line = this.acc.subarray(0, this.accEnd - 1);
    this.fail(
      {
        level: 'error',
        message: `upstream sent too long response line: "${printable(line)}"`,
        action: this.o.module.phase(this.state),
      },
      null,
      'upstreamRejected',
    );
  }

  /** @returns true when the driver settled */
  private runActions(actions: readonly UpstreamAction[], consumedTo: number, overflow: Buffer | null): boolean {
    for (const a of actions) {
      switch (a.type) {
        case 'send':
          this.upstream.socket.write(a.data);
          break;
        case 'done': {
          const rest = this.accEnd - consumedTo;
          let leftover: Buffer | null = null;
          if (rest > 0 || overflow !== null) {
            const parts: Buffer[] = [Buffer.from(this.acc.subarray(consumedTo, this.accEnd))];
            if (overflow !== null) parts.push(overflow);
            leftover = Buffer.concat(parts);
          }
          this.settle({ type: 'done', upstream: this.upstream, reply: a.reply, leftover });
          return true;
        }
        case 'rejected': {
          const text = printable(a.line);
          this.fail(
            {
              level: this.o.passErrorMessage ? 'info' : 'error',
              message: `upstream sent invalid response: "${text}"`,
              action: this.o.module.phase(this.state),
            },
            this.o.passErrorMessage ? a.raw : null,
            'upstreamRejected',
          );
          return true;
        }
        case 'error':
          this.fail({ level: 'error', message: a.message, action: a.phase }, null, 'upstreamError');
          return true;
      }
    }
    return false;
  }

  upstreamEnd(): void {
    if (this.settled) return;
    // nginx treats EOF during the login as "no message": an internal error.
    this.fail(
      {
        level: 'error',
        message: 'upstream prematurely closed connection',
        action: this.o.module.phase(this.state),
      },
      null,
      'upstreamError',
    );
  }

  upstreamError(err: NodeJS.ErrnoException): void {
    if (this.settled) return;
    const e = errnoOf(err);
    if (!this.connected && ASYNC_CONNECT_ERRORS.has(err.code ?? '')) {
      // nginx: the non-blocking connect() returned EINPROGRESS, so the refusal surfaces in the first
      // recv() of ngx_mail_proxy_read_response, which has set its action by then.
      this.fail({ level: 'error', message: 'recv() failed', action: READING_ACTION, err: e }, null, 'upstreamConnect');
      return;
    }
    if (!this.connected) {
      // nginx: ngx_event_connect_peer logs these at ERR, any other errno at CRIT
      const unusual = !['ECONNREFUSED', 'EAGAIN', 'ECONNRESET', 'ENETDOWN', 'ENETUNREACH', 'EHOSTDOWN', 'EHOSTUNREACH'].includes(
        err.code ?? '',
      );
      this.fail(
        {
          level: unusual ? 'crit' : 'error',
          message: `connect() to ${this.o.addrText} failed`,
          action: 'connecting to upstream',
          err: e,
        },
        null,
        'upstreamConnect',
      );
      return;
    }
    // nginx: ngx_mail_proxy_read_response sets its action before every recv()
    this.fail({ level: 'error', message: 'recv() failed', action: READING_ACTION, err: e }, null, 'upstreamError');
  }

  upstreamClose(): void {
    if (!this.settled) this.upstreamEnd();
  }

  private readonly onTimeout = (): void => {
    if (this.settled) return;
    this.fail(
      {
        level: 'info',
        message: 'upstream timed out',
        action: this.connected ? this.o.module.phase(this.state) : 'connecting to upstream',
        err: { errno: 110, text: 'Connection timed out' },
      },
      null,
      'upstreamTimeout',
    );
  };

  private fail(log: LoginFailureLog, backendReply: Buffer | null, reason: LoginOutcomeReason): void {
    this.upstream.destroy();
    this.settle({ type: 'failed', log, backendReply, reason });
  }

  private settle(outcome: LoginOutcome): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.releaseAcc();
    this.o.onOutcome(outcome);
  }

  private accReleased = false;
  private releaseAcc(): void {
    if (this.accReleased) return;
    this.accReleased = true;
    this.o.pool.release(this.acc);
  }
}

type LoginOutcomeReason = Extract<LoginOutcome, { type: 'failed' }>['reason'];

/** A backend line for a log message: without its final CRLF, control bytes escaped (no log injection). */
export function printable(line: Buffer): string {
  let end = line.length;
  if (end > 0 && line[end - 1] === 0x0a) end--;
  if (end > 0 && line[end - 1] === 0x0d) end--;
  let out = '';
  for (let i = 0; i < end; i++) {
    const c = line[i] as number;
    out += c < 0x20 || c === 0x7f || c === 0x22 || c === 0x5c ? `\\x${c.toString(16).padStart(2, '0')}` : String.fromCharCode(c);
  }
  return out;
}
