/**
 * What the main thread asks a load thread to do, and what comes back. Plain data: it crosses the
 * worker-thread boundary by structured clone.
 *
 * Shared counters (an Int32Array over one SharedArrayBuffer) let the main thread draw the progress
 * line, hand out a global session budget, and drive idle runs (ready count, release flag) while tasks
 * are still running.
 */

export const MAIL_PROTOCOLS = ['imap', 'pop3', 'smtp'] as const;
export type MailProtocol = (typeof MAIL_PROTOCOLS)[number];

/**
 * - `sessions`: connect, greeting, login, one command (SELECT / STAT / MAIL+RCPT+DATA), logout, repeat.
 * - `relay`: log in once, then repeat FETCH / RETR (download) or MAIL+RCPT+DATA (upload) of
 *   `messageBytes`; bytes are the result.
 * - `idle`: log in `concurrency` sessions as the main thread admits them, hold them until released,
 *   then log out.
 * - `handshake`: TLS on connect, read the greeting, close (with or without session resumption).
 * - `starttls`: the `sessions` dialogue with STARTTLS/STLS before the login.
 */
export type LoadKind = 'sessions' | 'relay' | 'idle' | 'handshake' | 'starttls';

export interface LoadJob {
  readonly kind: LoadKind;
  readonly protocol: MailProtocol;
  readonly host: string;
  readonly port: number;
  /** sessions this thread keeps in flight */
  readonly concurrency: number;
  /** global bound on sessions started, over all threads (via the shared counter) */
  readonly maxSessions: number;
  /** stop starting sessions (and relay commands) after this long */
  readonly durationMs: number;
  /** a session (or one relay command, or an idle login) that takes longer fails with `timeout` */
  readonly sessionTimeoutMs: number;
  readonly users: readonly { readonly user: string; readonly password: string }[];
  /** SMTP DATA size for `sessions`; message size for `relay` uploads */
  readonly messageBytes: number;
  /** TLS: resume sessions (`handshake`) */
  readonly resume: boolean;
  /** idle: stop holding after this long even if never released */
  readonly holdMaxMs: number;
  /** index of this thread's slots in the shared counters */
  readonly thread: number;
  readonly shared: SharedArrayBuffer;
}

/** Counter layout: global slots first, then SLOTS_PER_THREAD per thread. */
export const COUNTER = {
  /** sessions claimed so far (global budget) */
  claimed: 0,
  /** set to 1 by the main thread: idle sessions may log out; running loads stop early */
  release: 1,
  /** idle: per mille of each thread's sessions allowed to log in (the main thread raises it in steps) */
  admitPermille: 2,
} as const;
export const GLOBAL_SLOTS = 3;
export const THREAD_SLOT = {
  completed: 0,
  errors: 1,
  /** idle: sessions logged in and holding */
  ready: 2,
  /** relay: KiB moved so far */
  kib: 3,
} as const;
export const SLOTS_PER_THREAD = 4;

export function sharedCounters(threads: number): SharedArrayBuffer {
  return new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT * (GLOBAL_SLOTS + SLOTS_PER_THREAD * threads));
}

export function threadSlot(thread: number, slot: number): number {
  return GLOBAL_SLOTS + thread * SLOTS_PER_THREAD + slot;
}

/** Latency series recorded, in microseconds. */
export const SERIES = ['connect', 'login', 'session'] as const;
export type Series = (typeof SERIES)[number];

export interface LoadResult {
  readonly completed: number;
  /** cause → count, e.g. `connect ECONNREFUSED`, `timeout in login`, `reply to login` */
  readonly errors: Readonly<Record<string, number>>;
  /** the first few error messages, for the report */
  readonly errorSamples: readonly string[];
  /** compressed base64 hdr histograms (microseconds) */
  readonly histograms: Readonly<Record<Series, string>>;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** TLS handshakes that resumed a session */
  readonly resumed: number;
  /** epoch ms of the first session start and last session end of this thread (0 when none) */
  readonly firstStartMs: number;
  readonly lastEndMs: number;
}
