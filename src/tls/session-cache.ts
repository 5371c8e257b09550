/**
 * `ssl_session_cache builtin|shared`: a server-side TLS session-ID cache for one worker.
 *
 * Owns: storing sessions by ID for `ssl_session_timeout`, bounded in count (oldest out first), and the
 * `newSession` / `resumeSession` events through which Node's TLSSocket asks for them (the socket is given
 * this object as its `server`). Does not own: tickets (ticket-keys.ts, contexts.ts).
 *
 * Differences from nginx, documented in docs/tls.md: the cache lives in each worker process (nginx's
 * `shared:` zone is shared memory across workers; ours share tickets instead, which is what resumes
 * across workers), and it serves TLS 1.2 session IDs only — Node resumes TLS 1.3 through tickets.
 */
import { EventEmitter } from 'node:events';

/** nginx: "one megabyte of the cache contains about 4000 sessions" (ngx_mail_ssl_module docs). */
const SHARED_BYTES_PER_SESSION = 256;

interface Entry {
  readonly data: Buffer;
  readonly expiresAtMs: number;
}

export class TlsSessionCache extends EventEmitter {
  readonly maxEntries: number;
  readonly timeoutMs: number;
  readonly #entries = new Map<string, Entry>();

  constructor(maxEntries: number, timeoutMs: number) {
    super();
    this.maxEntries = Math.max(1, maxEntries);
    this.timeoutMs = timeoutMs;
    this.on('newSession', (id: Buffer, data: Buffer, done: () => void) => {
      this.store(id, data);
      done();
    });
    this.on('resumeSession', (id: Buffer, done: (err: null, data: Buffer | null) => void) => {
      done(null, this.lookup(id));
    });
  }

  /** Entries for a `builtin[:size]` and/or `shared:name:size` configuration. */
  static entriesFor(builtinSize: number | null, sharedBytes: number | null): number {
    return Math.max(builtinSize ?? 0, Math.floor((sharedBytes ?? 0) / SHARED_BYTES_PER_SESSION));
  }

  get size(): number {
    return this.#entries.size;
  }

  store(id: Buffer, data: Buffer): void {
    const key = id.toString('hex');
    this.#entries.delete(key);
    while (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { data, expiresAtMs: Date.now() + this.timeoutMs });
  }

  lookup(id: Buffer): Buffer | null {
    const key = id.toString('hex');
    const e = this.#entries.get(key);
    if (e === undefined) return null;
    if (e.expiresAtMs <= Date.now()) {
      this.#entries.delete(key);
      return null;
    }
    return e.data;
  }

  /** nginx: ngx_ssl_remove_cached_session — a session whose certificate check failed is not resumed. */
  remove(id: Buffer): void {
    this.#entries.delete(id.toString('hex'));
  }
}
