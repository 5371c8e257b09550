/**
 * The load generator's main-thread side: a piscina pool of client threads, one task per thread per
 * run, the shared counters, and merging what the threads return.
 *
 * Owns: splitting a run's concurrency over the threads, the progress snapshot, the release flag, and
 * the merged result (histograms merged before percentiles are taken). Does not own the client loop
 * (task.ts) or what is measured around a run (run/measure.ts).
 */
import { Piscina } from 'piscina';
import { treeFile, tsExecArgv } from '../paths.js';
import { encode, merge, summarize, type LatencySummary } from './histograms.js';
import {
  COUNTER,
  SERIES,
  THREAD_SLOT,
  sharedCounters,
  threadSlot,
  type LoadJob,
  type LoadResult,
  type Series,
} from './job.js';

/** A run as the caller describes it: `concurrency` is the total over all threads. */
export type LoadSpec = Omit<LoadJob, 'thread' | 'shared'>;

export interface LoadProgress {
  readonly completed: number;
  readonly errors: number;
  /** idle sessions logged in and holding */
  readonly ready: number;
  /** relay KiB moved */
  readonly kib: number;
}

export interface MergedLoad {
  readonly completed: number;
  readonly errors: Readonly<Record<string, number>>;
  readonly errorCount: number;
  readonly errorSamples: readonly string[];
  readonly latency: Readonly<Record<Series, LatencySummary>>;
  /** merged histograms, compressed base64 (microseconds), kept in the JSON for later analysis */
  readonly histograms: Readonly<Record<Series, string>>;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly resumed: number;
  /** from the first session's start to the last session's end, over all threads */
  readonly windowMs: number;
}

export interface RunningLoad {
  progress(): LoadProgress;
  /** Ends holding (idle) and stops starting new sessions. */
  release(): void;
  /** Idle: lets this per mille of each thread's sessions log in; returns how many that is in total. */
  admit(permille: number): number;
  readonly done: Promise<MergedLoad>;
}

export class LoadPool {
  private readonly pool: Piscina;

  constructor(readonly threads: number) {
    this.pool = new Piscina({
      filename: treeFile('bench/load/task'),
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: 3_600_000,
      execArgv: tsExecArgv(),
      // Each task is a client event loop: one per thread.
      concurrentTasksPerWorker: 1,
    });
  }

  start(spec: LoadSpec): RunningLoad {
    const threads = Math.max(1, Math.min(this.threads, spec.concurrency));
    const shared = sharedCounters(threads);
    const counters = new Int32Array(shared);
    const tasks: Promise<LoadResult>[] = [];
    const perThread: number[] = [];
    for (let t = 0; t < threads; t++) {
      const concurrency = Math.floor(spec.concurrency / threads) + (t < spec.concurrency % threads ? 1 : 0);
      perThread.push(concurrency);
      const job: LoadJob = { ...spec, concurrency, thread: t, shared };
      tasks.push(this.pool.run(job) as Promise<LoadResult>);
    }
    const sum = (slot: number): number => {
      let n = 0;
      for (let t = 0; t < threads; t++) n += Atomics.load(counters, threadSlot(t, slot));
      return n;
    };
    return {
      progress: () => ({
        completed: sum(THREAD_SLOT.completed),
        errors: sum(THREAD_SLOT.errors),
        ready: sum(THREAD_SLOT.ready),
        kib: sum(THREAD_SLOT.kib),
      }),
      release: () => {
        Atomics.store(counters, COUNTER.release, 1);
      },
      admit: (permille) => {
        Atomics.store(counters, COUNTER.admitPermille, permille);
        return perThread.reduce((a, c) => a + Math.floor((c * permille) / 1000), 0);
      },
      done: Promise.all(tasks).then(mergeResults),
    };
  }

  async destroy(): Promise<void> {
    await this.pool.destroy();
  }
}

export function mergeResults(results: readonly LoadResult[]): MergedLoad {
  const errors: Record<string, number> = {};
  const samples: string[] = [];
  let completed = 0;
  let bytesIn = 0;
  let bytesOut = 0;
  let resumed = 0;
  let first = Infinity;
  let last = 0;
  for (const r of results) {
    completed += r.completed;
    bytesIn += r.bytesIn;
    bytesOut += r.bytesOut;
    resumed += r.resumed;
    for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
    for (const s of r.errorSamples) if (samples.length < 10) samples.push(s);
    if (r.firstStartMs > 0) first = Math.min(first, r.firstStartMs);
    last = Math.max(last, r.lastEndMs);
  }
  const latency = {} as Record<Series, LatencySummary>;
  const histograms = {} as Record<Series, string>;
  for (const s of SERIES) {
    const h = merge(results.map((r) => r.histograms[s]));
    latency[s] = summarize(h);
    histograms[s] = encode(h);
    h.destroy();
  }
  return {
    completed,
    errors,
    errorCount: Object.values(errors).reduce((a, b) => a + b, 0),
    errorSamples: samples,
    latency,
    histograms,
    bytesIn,
    bytesOut,
    resumed,
    windowMs: first === Infinity ? 0 : last - first,
  };
}
