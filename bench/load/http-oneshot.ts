/**
 * One request per connection: HTTP/1.0, the way nginx (and postern with `auth_http_keepalive 0`) talks
 * to its auth_http service, or HTTP/1.1 with `Connection: close`, the way a scraper meets postern's
 * status listener (which closes after every answer). autocannon's latencies are not usable when the
 * server closes every connection, and it speaks no HTTP/1.0, so the `http` scenario uses this loader
 * for those rows: `connections` lanes, each connecting, writing the request, reading the answer until
 * the server closes, and starting over, until `seconds` pass or `maxRequests` have been sent.
 *
 * Owns: the lanes, the bounds, latency (connect to close) and counting answers by status class. Does
 * not own what is requested (scenarios/http-targets.ts) or any CPU accounting (scenarios/http.ts).
 */
import { connect } from 'node:net';

export type OneShotVersion = 'HTTP/1.0' | 'HTTP/1.1';

export interface OneShotOptions {
  readonly host: string;
  readonly port: number;
  /** path and query, e.g. `/auth` */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly version: OneShotVersion;
  readonly connections: number;
  readonly seconds: number;
  readonly maxRequests: number;
  /** a request not answered within this is an error (its connection destroyed) */
  readonly timeoutMs: number;
}

export interface OneShotResult {
  /** requests answered with a 2xx status */
  readonly ok: number;
  /** answered with another status */
  readonly non2xx: number;
  /** refused, reset, timed out, or closed without a status line */
  readonly errors: number;
  readonly elapsedS: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
}

/**
 * `GET <path> HTTP/1.x` with the headers, as one buffer written at once; HTTP/1.1 adds
 * `Connection: close` (one request per connection either way).
 */
export function oneShotRequest(
  path: string,
  headers: Readonly<Record<string, string>>,
  version: OneShotVersion = 'HTTP/1.0',
): Buffer {
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
  if (version === 'HTTP/1.1') lines.push('Connection: close\r\n');
  return Buffer.from(`GET ${path} ${version}\r\n${lines.join('')}\r\n`, 'latin1');
}

/** The status code of `HTTP/1.x NNN …` at the start of `head`, or 0. */
export function statusOf(head: Buffer): number {
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(head.subarray(0, 16).toString('latin1'));
  return m === null ? 0 : Number(m[1]);
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

type Outcome = 'ok' | 'non2xx' | 'error';

function once(o: OneShotOptions, request: Buffer): Promise<{ outcome: Outcome; ms: number }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const s = connect({ host: o.host, port: o.port });
    let head: Buffer | null = null;
    let settled = false;
    const finish = (outcome: Outcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ outcome, ms: performance.now() - t0 });
    };
    const timer = setTimeout(() => {
      finish('error');
    }, o.timeoutMs);
    s.setNoDelay(true);
    s.on('connect', () => s.write(request));
    s.on('data', (d: Buffer) => {
      // Only the status line matters; keep the first bytes until it is complete.
      if (head === null || head.length < 16) head = head === null ? d : Buffer.concat([head, d]);
    });
    s.on('error', () => {
      finish('error');
    });
    s.on('close', () => {
      const status = head === null ? 0 : statusOf(head);
      finish(status === 0 ? 'error' : status >= 200 && status < 300 ? 'ok' : 'non2xx');
    });
  });
}

export async function runOneShot(o: OneShotOptions): Promise<OneShotResult> {
  const request = oneShotRequest(o.path, o.headers, o.version);
  const latencies: number[] = [];
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  let sent = 0;
  const t0 = performance.now();
  const end = t0 + o.seconds * 1000;
  const lane = async (): Promise<void> => {
    while (performance.now() < end && sent < o.maxRequests) {
      sent++;
      const r = await once(o, request);
      if (r.outcome === 'ok') {
        ok++;
        latencies.push(r.ms);
      } else if (r.outcome === 'non2xx') non2xx++;
      else errors++;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.connections) }, lane));
  const elapsedS = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    ok,
    non2xx,
    errors,
    elapsedS,
    latencyP50Ms: percentile(latencies, 0.5),
    latencyP99Ms: percentile(latencies, 0.99),
  };
}
