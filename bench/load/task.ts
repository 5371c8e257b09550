/**
 * A load thread (piscina task): runs `concurrency` client lanes on this thread's event loop until the
 * session budget, the deadline or the release flag ends them, and returns merged-ready histograms,
 * counts and errors by cause.
 *
 * Owns: the loop per kind of load, per-session timeouts, error bucketing, and the shared progress
 * counters. Does not own what is said on the wire (dialogues.ts) or merging across threads (pool.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Histogram } from 'hdr-histogram-js';
import { benchMessage } from '../servers/message.js';
import { ClientConn, LoadError, clientTlsOptions } from './client-conn.js';
import { mailClient, type MailClient, type Marks } from './dialogues.js';
import { encode, newHistogram, recordMs } from './histograms.js';
import { COUNTER, THREAD_SLOT, threadSlot, type LoadJob, type LoadResult, type Series } from './job.js';

/** Idle runs log in at most this many sessions at once per thread (a burst would overflow backlogs). */
const IDLE_LOGIN_PARALLEL = 32;
/** Pause after a failed session so a dead target does not turn the loop into a busy spin. */
const ERROR_PAUSE_MS = 10;
const MAX_ERROR_SAMPLES = 5;
/** How long a `resumed` lane waits after the greeting for a session ticket that has not come yet. */
const SESSION_TICKET_WAIT_MS = 1_000;

class LoadThread {
  private readonly counters: Int32Array;
  private readonly hist: Record<Series, Histogram> = {
    connect: newHistogram(),
    login: newHistogram(),
    session: newHistogram(),
  };
  private readonly errors: Record<string, number> = {};
  private readonly samples: string[] = [];
  private readonly client: MailClient;
  private readonly deadline: number;
  private completed = 0;
  private resumed = 0;
  private bytesIn = 0;
  private bytesOut = 0;
  private firstStart = 0;
  private lastEnd = 0;
  private sessionNo = 0;
  private loginSlots = IDLE_LOGIN_PARALLEL;
  private readonly loginQueue: (() => void)[] = [];
  private releaseWait: Promise<void> | null = null;
  private admissionQueue: { index: number; resolve: () => void }[] = [];
  private admissionPoll: NodeJS.Timeout | null = null;

  constructor(private readonly job: LoadJob) {
    this.counters = new Int32Array(job.shared);
    this.client = mailClient(job.protocol, benchMessage(job.messageBytes));
    this.deadline = performance.now() + job.durationMs;
  }

  async run(): Promise<LoadResult> {
    const lanes: Promise<void>[] = [];
    for (let i = 0; i < this.job.concurrency; i++) lanes.push(this.lane(i));
    await Promise.all(lanes);
    return {
      completed: this.completed,
      errors: this.errors,
      errorSamples: this.samples,
      histograms: {
        connect: encode(this.hist.connect),
        login: encode(this.hist.login),
        session: encode(this.hist.session),
      },
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      resumed: this.resumed,
      firstStartMs: this.firstStart,
      lastEndMs: this.lastEnd,
    };
  }

  private released(): boolean {
    return Atomics.load(this.counters, COUNTER.release) !== 0;
  }

  /** Claims one session from the global budget, within the deadline. */
  private claim(): boolean {
    if (performance.now() >= this.deadline || this.released()) return false;
    return Atomics.add(this.counters, COUNTER.claimed, 1) < this.job.maxSessions;
  }

  private bump(slot: number, n = 1): void {
    Atomics.add(this.counters, threadSlot(this.job.thread, slot), n);
  }

  private epoch(): number {
    return performance.timeOrigin + performance.now();
  }

  private async lane(index: number): Promise<void> {
    let tlsSession: Buffer | null = null;
    if (this.job.kind === 'idle') {
      await this.admission(index);
      if (this.claim()) await this.guard(() => this.idleSession());
      return;
    }
    while (this.claim()) {
      if (this.job.kind === 'handshake') {
        const resume = this.job.resume ? tlsSession : null;
        await this.guard(async () => {
          tlsSession = await this.handshake(resume);
        });
      } else if (this.job.kind === 'relay') {
        await this.guard(() => this.relaySession());
      } else {
        await this.guard(() => this.fullSession(this.job.kind === 'starttls'));
      }
    }
  }

  /** Runs one session; counts it, or its error by cause. */
  private async guard(body: () => Promise<void>): Promise<void> {
    if (this.firstStart === 0) this.firstStart = this.epoch();
    try {
      await body();
      if (this.job.kind !== 'relay') {
        this.completed++;
        this.bump(THREAD_SLOT.completed);
      }
    } catch (err) {
      const bucket = err instanceof LoadError ? err.bucket : 'exception';
      this.errors[bucket] = (this.errors[bucket] ?? 0) + 1;
      if (this.samples.length < MAX_ERROR_SAMPLES) this.samples.push(`${bucket}: ${(err as Error).message}`);
      this.bump(THREAD_SLOT.errors);
      await sleep(ERROR_PAUSE_MS);
    } finally {
      this.lastEnd = this.epoch();
    }
  }

  private credentials(): { user: string; password: string } {
    const users = this.job.users;
    return users[this.sessionNo++ % users.length]!;
  }

  /** Fails the connection's pending read with `timeout` when the session's time is up. */
  private arm(conn: ClientConn): NodeJS.Timeout {
    const ms = this.job.sessionTimeoutMs;
    return setTimeout(() => {
      conn.fail(new LoadError('timeout', `no progress within ${ms} ms`));
    }, ms);
  }

  private open(tls: boolean, session: Buffer | null): Promise<ClientConn> {
    const j = this.job;
    return ClientConn.open(j.host, j.port, tls ? clientTlsOptions(session) : null, j.sessionTimeoutMs);
  }

  private account(conn: ClientConn): void {
    this.bytesIn += conn.bytesIn;
    this.bytesOut += conn.bytesOut;
    conn.destroy();
  }

  /** Greeting, hello, optional STARTTLS and login on a fresh connection, recording connect and login. */
  private async logIn(conn: ClientConn, t0: number, starttls = false): Promise<void> {
    const c = this.client;
    const marks: Marks = { greeting: 0, loginStart: 0, loginEnd: 0 };
    await c.greeting(conn);
    recordMs(this.hist.connect, performance.now() - t0);
    await c.hello(conn);
    if (starttls) await c.starttls(conn, clientTlsOptions(null));
    await c.login(conn, this.credentials(), marks);
    recordMs(this.hist.login, marks.loginEnd - marks.loginStart);
  }

  private async fullSession(starttls: boolean): Promise<void> {
    const t0 = performance.now();
    const conn = await this.open(false, null);
    const timer = this.arm(conn);
    try {
      const c = this.client;
      await this.logIn(conn, t0, starttls);
      await c.command(conn);
      await c.logout(conn);
      await conn.endAndWaitClose();
      recordMs(this.hist.session, performance.now() - t0);
    } finally {
      clearTimeout(timer);
      this.account(conn);
    }
  }

  private async handshake(session: Buffer | null): Promise<Buffer | null> {
    const t0 = performance.now();
    const conn = await this.open(true, session);
    const timer = this.arm(conn);
    try {
      await this.client.greeting(conn);
      recordMs(this.hist.connect, performance.now() - t0);
      if (conn.reused) this.resumed++;
      // After a full handshake, resuming needs the server's ticket, which may follow the greeting: wait
      // for it, bounded. After a resumed one a server may send no new ticket (Node's TLS 1.3 server
      // does not): keep the session that resumed, as OpenSSL-based clients keep their cached one.
      if (this.job.resume && !conn.reused) await conn.waitForSession(SESSION_TICKET_WAIT_MS);
      recordMs(this.hist.session, performance.now() - t0);
      return conn.tlsSession ?? session;
    } finally {
      clearTimeout(timer);
      this.account(conn);
    }
  }

  /** Logs in once, then repeats the transfer until the deadline; each transfer counts as completed. */
  private async relaySession(): Promise<void> {
    const t0 = performance.now();
    const conn = await this.open(false, null);
    const timer = this.arm(conn);
    try {
      const c = this.client;
      await this.logIn(conn, t0);
      await c.beforeTransfers(conn);
      let moved = conn.bytesIn + conn.bytesOut;
      do {
        const t1 = performance.now();
        timer.refresh();
        await c.transfer(conn);
        recordMs(this.hist.session, performance.now() - t1);
        this.completed++;
        this.bump(THREAD_SLOT.completed);
        const now = conn.bytesIn + conn.bytesOut;
        this.bump(THREAD_SLOT.kib, Math.round((now - moved) / 1024));
        moved = now;
      } while (performance.now() < this.deadline && !this.released());
      timer.refresh();
      await c.logout(conn);
    } finally {
      clearTimeout(timer);
      this.account(conn);
    }
  }

  /** Idle lanes this thread may log in now (the main thread's per-mille of this thread's lanes). */
  private admitted(): number {
    return Math.floor((this.job.concurrency * Atomics.load(this.counters, COUNTER.admitPermille)) / 1000);
  }

  /** Waits until lane `index` is admitted (or released, or holdMaxMs passed); one poller per thread. */
  private admission(index: number): Promise<void> {
    if (index < this.admitted()) return Promise.resolve();
    return new Promise((resolve) => {
      this.admissionQueue.push({ index, resolve });
      if (this.admissionPoll !== null) return;
      const until = performance.now() + this.job.holdMaxMs;
      this.admissionPoll = setInterval(() => {
        const n = this.released() || performance.now() >= until ? Infinity : this.admitted();
        const stay: { index: number; resolve: () => void }[] = [];
        for (const w of this.admissionQueue) {
          if (w.index < n) w.resolve();
          else stay.push(w);
        }
        this.admissionQueue = stay;
        if (stay.length === 0 && this.admissionPoll !== null) {
          clearInterval(this.admissionPoll);
          this.admissionPoll = null;
        }
      }, 20);
    });
  }

  /** One poller per thread (not one timer per held session): resolves on release or after holdMaxMs. */
  private waitForRelease(): Promise<void> {
    this.releaseWait ??= new Promise((resolve) => {
      const until = performance.now() + this.job.holdMaxMs;
      const poll = setInterval(() => {
        if (!this.released() && performance.now() < until) return;
        clearInterval(poll);
        resolve();
      }, 50);
    });
    return this.releaseWait;
  }

  private async loginTurn(): Promise<void> {
    if (this.loginSlots > 0) {
      this.loginSlots--;
      return;
    }
    await new Promise<void>((resolve) => this.loginQueue.push(resolve));
  }

  private loginDone(): void {
    const next = this.loginQueue.shift();
    if (next) next();
    else this.loginSlots++;
  }

  /** Logs in (a bounded number at once), holds until released (or holdMaxMs), logs out. */
  private async idleSession(): Promise<void> {
    await this.loginTurn();
    let inLogin = true;
    let conn: ClientConn | null = null;
    let timer: NodeJS.Timeout | null = null;
    try {
      const t0 = performance.now();
      conn = await this.open(false, null);
      timer = this.arm(conn);
      const c = this.client;
      await this.logIn(conn, t0);
      if (this.job.protocol !== 'smtp') await c.command(conn);
      clearTimeout(timer);
      inLogin = false;
      this.loginDone();
      this.bump(THREAD_SLOT.ready);
      await this.waitForRelease();
      timer = this.arm(conn);
      await c.logout(conn);
      await conn.endAndWaitClose();
    } finally {
      if (inLogin) this.loginDone();
      if (timer !== null) clearTimeout(timer);
      if (conn !== null) this.account(conn);
    }
  }
}

/** The piscina entry point. */
export default function runLoad(job: LoadJob): Promise<LoadResult> {
  return new LoadThread(job).run();
}
