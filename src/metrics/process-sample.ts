/**
 * One process's health numbers for `/metrics` and `/status`: resident memory, V8 heap in use, and the
 * event-loop delay measured by Node's own sampler (perf_hooks.monitorEventLoopDelay).
 *
 * Owns: the sampler's life and reading it. Does not own labels or export (worker-metrics.ts,
 * primary-metrics.ts).
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { memoryUsage } from 'node:process';

/** Sampling period of the event-loop delay timer: fine enough for p99 at a negligible cost (one timer). */
const LOOP_RESOLUTION_MS = 20;

export interface ProcessSample {
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  /** event-loop delay percentiles since the last `reset`, in seconds (0 before any sample) */
  readonly loopLagP50Seconds: number;
  readonly loopLagP99Seconds: number;
  readonly loopLagMaxSeconds: number;
}

export class ProcessSampler {
  private readonly loop: IntervalHistogram;

  constructor() {
    this.loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
    this.loop.enable();
  }

  /**
   * Current numbers. `reset` starts a new event-loop window (done on each scrape, so the lag is "since
   * the previous scrape"; `/status` reads without resetting).
   */
  sample(reset: boolean): ProcessSample {
    const h = this.loop;
    // The histogram is in nanoseconds and includes the timer's own period; report the delay beyond it.
    const lag = (ns: number): number => (h.count === 0 ? 0 : Math.max(0, ns / 1e9 - LOOP_RESOLUTION_MS / 1000));
    const mem = memoryUsage();
    const s: ProcessSample = {
      rssBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
      loopLagP50Seconds: lag(h.percentile(50)),
      loopLagP99Seconds: lag(h.percentile(99)),
      loopLagMaxSeconds: lag(h.max),
    };
    if (reset) h.reset();
    return s;
  }

  stop(): void {
    this.loop.disable();
  }
}

/** Seconds rounded to the microsecond: the sampler's resolution, without float noise in the text page. */
export function micro(seconds: number): number {
  return Math.round(seconds * 1e6) / 1e6;
}
