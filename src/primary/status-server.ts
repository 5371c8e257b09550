/**
 * The status listener of the primary (`status_listen`, ours): a small HTTP server on uWebSockets.js
 * serving `/metrics` (Prometheus text), `/status` (JSON) and `/status.html` or `/` (the same for a
 * person), behind `status_allow` / `status_deny` evaluated as nginx's http access module does.
 *
 * Owns: the listening socket, routing, access checks and HTTP responses. Does not own the data
 * (status-probe.ts, status-report.ts, status-page.ts) or when the listener opens and closes
 * (primary.ts at start and exit, reload.ts on HUP; status-source.ts holds it).
 *
 * Every response closes its connection: a scrape every few seconds gains nothing from keep-alive, and
 * an idle kept-alive connection would otherwise outlive the listener on QUIT. This uWebSockets.js
 * build does not answer HTTP/1.0 requests at all (docs/metrics.md); Prometheus and browsers use 1.1.
 */
import uWS from 'uWebSockets.js';
import type { AccessRule } from '../config/types.js';
import { ProxyError } from '../errors.js';
import type { Logger } from '../log/types.js';
import { ACCESS_FORBIDDEN_LOG, checkAccess, compileAccess, type CompiledAccess } from '../net/access.js';
import { inetNtop } from '../net/inet-text.js';
import { PROMETHEUS_CONTENT_TYPE } from '../metrics/aggregate.js';
import { renderStatusPage } from './status-page.js';
import type { StatusDocument } from './status-report.js';

/** What the listener serves; the primary implements it. */
export interface StatusSource {
  metricsText(): Promise<string>;
  status(): Promise<StatusDocument>;
}

export interface StatusListen {
  readonly host: string;
  readonly port: number;
}

/** `127.0.0.1:9100`, `[::1]:9100`: nginx's address text, for log lines. */
export function statusAddrText(l: StatusListen): string {
  return l.host.includes(':') ? `[${l.host}]:${l.port}` : `${l.host}:${l.port}`;
}

type Route = 'metrics' | 'status' | 'page';

const ROUTES: ReadonlyMap<string, Route> = new Map([
  ['/metrics', 'metrics'],
  ['/status', 'status'],
  ['/status.json', 'status'],
  ['/status.html', 'page'],
  ['/', 'page'],
]);

/** uSockets' LIBUS_LISTEN_EXCLUSIVE_PORT (exported at runtime, typed only as an enum member): no SO_REUSEPORT. */
const LISTEN_EXCLUSIVE_PORT = 1;

/** The page has inline styles only: no script, image, font or connection is allowed to load. */
const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

interface Reply {
  readonly status: string;
  readonly type: string;
  readonly body: string;
  readonly extra?: readonly (readonly [string, string])[];
}

function text(status: string, body: string, extra?: readonly (readonly [string, string])[]): Reply {
  return extra === undefined
    ? { status, type: 'text/plain; charset=utf-8', body }
    : { status, type: 'text/plain; charset=utf-8', body, extra };
}

export class StatusServer {
  readonly addrText: string;
  readonly listen: StatusListen;
  private access: CompiledAccess;
  private token: uWS.us_listen_socket | null;

  private constructor(listen: StatusListen, token: uWS.us_listen_socket, access: CompiledAccess) {
    this.listen = listen;
    this.addrText = statusAddrText(listen);
    this.token = token;
    this.access = access;
  }

  /** The port actually bound (differs from `listen.port` only when it was 0, in tests). */
  get port(): number {
    return this.token === null ? 0 : uWS.us_socket_local_port(this.token);
  }

  /**
   * Opens the listener. Rejects with ProxyError(ERR_LISTEN) when the address cannot be bound (the
   * port is exclusive: a second process cannot share it through SO_REUSEPORT).
   */
  static open(listen: StatusListen, rules: readonly AccessRule[], source: StatusSource, log: Logger): Promise<StatusServer> {
    const app = uWS.App();
    let server: StatusServer | null = null;
    app.any('/*', (res, req) => {
      // Everything from `req` must be read now: it is gone once this handler returns.
      const method = req.getMethod().toUpperCase();
      const url = req.getUrl();
      const client = clientText(res);
      if (server === null) {
        res.close();
        return;
      }
      server.handle(res, method, url, client, source, log);
    });
    return new Promise((resolve, reject) => {
      // The 4-argument form (host, port, options, cb) exists at runtime but not in the typings.
      const listenFn = app.listen.bind(app) as unknown as (
        host: string,
        port: number,
        options: number,
        cb: (token: uWS.us_listen_socket | false) => void,
      ) => void;
      listenFn(listen.host, listen.port, LISTEN_EXCLUSIVE_PORT, (token) => {
        if (token === false) {
          reject(new ProxyError('ERR_LISTEN', `bind() to ${statusAddrText(listen)} failed for "status_listen"`));
          return;
        }
        server = new StatusServer(listen, token, compileAccess(rules));
        resolve(server);
      });
    });
  }

  /** A reload with the same address: new rules, same socket. */
  setAccess(rules: readonly AccessRule[]): void {
    this.access = compileAccess(rules);
  }

  /** Stops listening; requests in progress are still answered. */
  close(): void {
    if (this.token !== null) {
      uWS.us_listen_socket_close(this.token);
      this.token = null;
    }
  }

  private handle(res: uWS.HttpResponse, method: string, url: string, client: string, source: StatusSource, log: Logger): void {
    const decision = checkAccess(this.access, client);
    if (!decision.allowed) {
      // nginx: ngx_http_access_found logs this at error, with the client and the request
      log.error(`${ACCESS_FORBIDDEN_LOG}, client: ${client}, server: ${this.addrText}, request: "${method} ${url}"`);
      send(res, method, text('403 Forbidden', '403 forbidden\n'));
      return;
    }
    const route = ROUTES.get(url);
    if (route === undefined) {
      send(res, method, text('404 Not Found', '404 not found\n'));
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      send(res, method, text('405 Method Not Allowed', '405 method not allowed\n', [['Allow', 'GET, HEAD']]));
      return;
    }
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    this.produce(route, source).then(
      (reply) => {
        if (!aborted) res.cork(() => { send(res, method, reply); });
      },
      (err: unknown) => {
        log.alert(`status listener: ${route} failed: ${err instanceof Error ? err.message : String(err)}`);
        if (!aborted) res.cork(() => { send(res, method, text('500 Internal Server Error', '500 internal server error\n')); });
      },
    );
  }

  private async produce(route: Route, source: StatusSource): Promise<Reply> {
    switch (route) {
      case 'metrics':
        return { status: '200 OK', type: PROMETHEUS_CONTENT_TYPE, body: await source.metricsText() };
      case 'status':
        return { status: '200 OK', type: 'application/json', body: JSON.stringify(await source.status(), null, 2) + '\n' };
      case 'page':
        return {
          status: '200 OK',
          type: 'text/html; charset=utf-8',
          body: renderStatusPage(await source.status()),
          extra: [['Content-Security-Policy', PAGE_CSP]],
        };
    }
  }
}

function send(res: uWS.HttpResponse, method: string, r: Reply): void {
  res.writeStatus(r.status);
  res.writeHeader('Content-Type', r.type);
  res.writeHeader('Cache-Control', 'no-store');
  for (const [k, v] of r.extra ?? []) res.writeHeader(k, v);
  if (method === 'HEAD') res.endWithoutBody(Buffer.byteLength(r.body), true);
  else res.end(r.body, true);
}

/** The peer's address as nginx prints it (`127.0.0.1`, `::1`), for access rules and log lines. */
function clientText(res: uWS.HttpResponse): string {
  const bytes = new Uint8Array(res.getRemoteAddress());
  return bytes.length === 4 || bytes.length === 16 ? inetNtop(bytes) : '';
}
