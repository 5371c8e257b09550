/**
 * The HTTP endpoints the `http` scenario runs autocannon against: the hook another part of the
 * project fills in. Add an entry whose `prepare` returns the URL (starting what it needs and returning
 * `stop` to end it), or `{ skip: why }` while the endpoint does not exist.
 *
 * Present: the bench's own auth responder (calibrates the machine's HTTP path; nginx's auth requests
 * look like this). Waiting: postern's `/metrics` (status_listen; not served yet) and the bundled
 * auth service (auth-service/; its own benches belong to it and can plug in here).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../paths.js';
import type { BenchContext } from '../run/context.js';

export interface HttpEndpoint {
  readonly url: string;
  readonly method?: string;
  readonly headers?: Record<string, string>;
  /** what the row means, for the report */
  readonly note: string;
  stop(): Promise<void>;
}

export interface HttpBenchTarget {
  readonly id: string;
  prepare(ctx: BenchContext): Promise<HttpEndpoint | { readonly skip: string }>;
}

/** The headers nginx sends for an IMAP LOGIN (reference 3.2), with test credentials. */
export const NGINX_STYLE_AUTH_HEADERS: Record<string, string> = {
  Host: 'localhost',
  'Auth-Method': 'plain',
  'Auth-User': 'bench',
  'Auth-Pass': 'bench-password',
  'Auth-Protocol': 'imap',
  'Auth-Login-Attempt': '1',
  'Client-IP': '127.0.0.1',
};

export const HTTP_TARGETS: readonly HttpBenchTarget[] = [
  {
    id: 'auth-responder',
    prepare: (ctx) =>
      Promise.resolve({
        url: ctx.auth.url,
        headers: NGINX_STYLE_AUTH_HEADERS,
        note: "the bench's fast auth responder over keep-alive HTTP/1.1 (machine calibration)",
        stop: () => Promise.resolve(),
      }),
  },
  {
    id: 'postern-metrics',
    // Fill in once status_listen serves /metrics: start postern with `status_listen 127.0.0.1:<port>;`
    // (startProxy) and return `http://127.0.0.1:<port>/metrics`.
    prepare: () => Promise.resolve({ skip: 'postern does not serve /metrics yet' }),
  },
  {
    id: 'auth-service',
    prepare: () =>
      Promise.resolve({
        skip: existsSync(join(REPO_ROOT, 'auth-service'))
          ? 'auth-service/ exists but has no bench hook here yet'
          : 'auth-service/ is not in this tree yet',
      }),
  },
];
