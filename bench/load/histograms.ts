/**
 * Latency histograms (hdr-histogram-js): one per series per load thread, shipped to the main thread
 * as compressed base64 and merged there, so percentiles are exact over all threads (averaging
 * per-thread percentiles would not be).
 *
 * Owns: the histogram settings, encode/decode/merge, and the summary the reports print (milliseconds).
 */
import * as hdr from 'hdr-histogram-js';

/** Values are microseconds; anything above two minutes is clamped (a session timeout is far below). */
const HIGHEST_US = 120_000_000;

export function newHistogram(): hdr.Histogram {
  return hdr.build({
    numberOfSignificantValueDigits: 3,
    highestTrackableValue: HIGHEST_US,
    lowestDiscernibleValue: 1,
  });
}

/** Records a duration given in milliseconds (from performance.now() differences). */
export function recordMs(h: hdr.Histogram, ms: number): void {
  const us = Math.round(ms * 1000);
  h.recordValue(us < 1 ? 1 : us > HIGHEST_US ? HIGHEST_US : us);
}

export function encode(h: hdr.Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

/** Merges encoded histograms into one. */
export function merge(encoded: readonly string[]): hdr.Histogram {
  const total = newHistogram();
  for (const e of encoded) {
    if (e === '') continue;
    const h = hdr.decodeFromCompressedBase64(e);
    total.add(h);
    h.destroy();
  }
  return total;
}

/** Percentiles in milliseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
}

export function summarize(h: hdr.Histogram): LatencySummary {
  const ms = (us: number): number => Math.round(us) / 1000;
  if (h.totalCount === 0) return { count: 0, meanMs: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0 };
  return {
    count: h.totalCount,
    meanMs: ms(h.mean),
    p50Ms: ms(h.getValueAtPercentile(50)),
    p90Ms: ms(h.getValueAtPercentile(90)),
    p99Ms: ms(h.getValueAtPercentile(99)),
    p999Ms: ms(h.getValueAtPercentile(99.9)),
    maxMs: ms(h.maxValue),
  };
}
