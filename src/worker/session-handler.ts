/**
 * The real ConnectionHandler: per configuration generation, one ServerRuntime per server block (the
 * protocol binding, a shared auth client, the worker's buffer pools, TLS), and a Session per connection.
 *
 * Owns: building and sharing the per-server resources (TLS contexts and the shared ticket key, access
 * rules, realip trust, auth clients). Does not own the session's dialogue (session.ts).
 */
import type { Socket } from 'node:net';
import type { MainConfig, ServerConfig } from '../config/types.js';
import type { Logger } from '../log/types.js';
import { AuthHttpClient, authHttpClientOptions } from '../auth/auth-http.js';
import { ClientHostResolver, resolveClientHost } from '../net/client-host.js';
import { BufferPools } from '../relay/buffer-pool.js';
import type { ConnectionContext, ConnectionHandler, SessionHandle, ShutdownReason } from './connection-handler.js';
import { protocolBinding } from './protocol-settings.js';
import { Session } from './session.js';
import type { AuthPort, ServerRuntime, TlsPort } from './session-types.js';
import { NULL_METRICS, type SessionMetrics } from '../metrics/types.js';
import { compileAccess } from '../net/access.js';
import { compileRealIpFrom } from '../net/realip.js';
import { buildTlsContexts, type TlsContexts } from '../tls/contexts.js';
import { createTlsPort } from '../tls/upgrade.js';
import type { TlsSessionCache } from '../tls/session-cache.js';
import type { TicketKeySet } from '../tls/ticket-keys.js';

export interface SessionHandlerOptions {
  /** builds the TLS port of a server, or null when it has no TLS (listen ssl / starttls) */
  readonly tlsFor?: (server: ServerConfig) => TlsPort | null;
  /** SMTP `resolver`: the client host lookup of a server, or undefined when off */
  readonly hostLookupFor?: (server: ServerConfig) => ServerRuntime['lookupClientHost'];
  /** shared by every session of this worker; exposed so tests and metrics can read the counters */
  readonly pools?: BufferPools;
  /** where sessions report metrics events (default: dropped) */
  readonly metrics?: SessionMetrics;
  /** the primary's current session-ticket key, shared by every worker so tickets resume anywhere */
  readonly ticketKeys?: TicketKeySet | null;
}

export class SessionHandler implements ConnectionHandler {
  readonly pools: BufferPools;
  private readonly runtimes = new Map<ServerConfig, ServerRuntime>();
  private readonly authClients = new Map<string, AuthHttpClient>();
  private readonly options: SessionHandlerOptions;
  /** per server with TLS, built at construction so a worker fails at start, not at a first client */
  private readonly tls = new Map<ServerConfig, TlsContexts>();
  private ticketKeys: TicketKeySet | null;

  constructor(config: MainConfig, options: SessionHandlerOptions = {}) {
    this.options = options;
    this.pools = options.pools ?? new BufferPools();
    this.ticketKeys = options.ticketKeys ?? null;
    if (options.tlsFor === undefined) this.buildTls(config);
  }

  /** `ssl_session_cache shared:NAME:size` zones are shared by the servers naming them, as in nginx. */
  private buildTls(config: MainConfig): void {
    const zones = new Map<string, TlsSessionCache | null>();
    for (const server of config.mail?.servers ?? []) {
      if (server.ssl.starttls === 'off' && !server.listens.some((l) => l.ssl)) continue;
      const zone = server.ssl.sessionCache.shared?.name ?? null;
      const contexts = buildTlsContexts(server.ssl, {
        protocol: server.protocol,
        ticketKeys: this.ticketKeys,
        sessionCache: zone === null ? null : (zones.get(zone) ?? null),
      });
      if (zone !== null && !zones.has(zone)) zones.set(zone, contexts.sessionCache);
      this.tls.set(server, contexts);
    }
  }

  /** Warnings from building TLS contexts (ignored directives), for the worker to log at start. */
  tlsWarnings(): string[] {
    const out: string[] = [];
    for (const c of this.tls.values()) for (const w of c.warnings) if (!out.includes(w)) out.push(w);
    return out;
  }

  /** The primary rotated the shared ticket key: new handshakes everywhere use it. */
  setTicketKeys(keys: TicketKeySet): void {
    this.ticketKeys = keys;
    for (const c of this.tls.values()) c.applyTicketKeys(keys);
  }

  start(socket: Socket, context: ConnectionContext): SessionHandle {
    const runtime = this.runtimeFor(context.server, context.logger);
    const session = new Session(socket, { cid: context.cid, runtime, listen: context.listen });
    session.run();
    return {
      closed: session.closed,
      shutdown: (reason: ShutdownReason) => {
        session.shutdown(reason);
      },
    };
  }

  close(): void {
    for (const c of this.authClients.values()) c.close();
    this.authClients.clear();
    this.runtimes.clear();
  }

  private runtimeFor(server: ServerConfig, logger: Logger): ServerRuntime {
    let rt = this.runtimes.get(server);
    if (rt === undefined) {
      const lookup = this.options.hostLookupFor ? this.options.hostLookupFor(server) : defaultHostLookup(server);
      rt = {
        server,
        binding: protocolBinding(server),
        auth: this.authClientFor(server, logger),
        pools: this.pools,
        logger,
        metrics: this.options.metrics ?? NULL_METRICS,
        tls: this.tlsPortFor(server),
        access: compileAccess(server.access),
        realIp: compileRealIpFrom(server.realIpFrom),
        ...(lookup === undefined ? {} : { lookupClientHost: lookup }),
      };
      this.runtimes.set(server, rt);
    }
    return rt;
  }

  private tlsPortFor(server: ServerConfig): TlsPort | null {
    if (this.options.tlsFor !== undefined) return this.options.tlsFor(server);
    const contexts = this.tls.get(server);
    return contexts === undefined ? null : createTlsPort(contexts);
  }

  /** Servers with the same auth_http target and settings share one client (and its keep-alive pool). */
  private authClientFor(server: ServerConfig, logger: Logger): AuthPort {
    const options = authHttpClientOptions(server);
    const key = JSON.stringify(options);
    let client = this.authClients.get(key);
    if (client === undefined) {
      const metrics = this.options.metrics ?? NULL_METRICS;
      client = new AuthHttpClient({
        ...options,
        logger,
        onResult: (r, ms) => {
          metrics.authHttp(ms, r.type, r.type === 'error' ? (r.kind ?? null) : null);
        },
      });
      this.authClients.set(key, client);
    }
    return client;
  }
}

/** SMTP with a `resolver`: nginx's PTR + forward-confirm lookup (reference 4.3.1); undefined when off. */
function defaultHostLookup(server: ServerConfig): ServerRuntime['lookupClientHost'] {
  const r = server.resolver;
  if (server.protocol !== 'smtp' || r === null) return undefined;
  const resolver = new ClientHostResolver({
    servers: r.addresses,
    timeoutMs: server.resolverTimeoutMs,
    ipv4: r.ipv4,
    ipv6: r.ipv6,
  });
  return (clientIp: string) =>
    resolveClientHost(resolver, clientIp === 'unix:' ? { kind: 'unix', address: '' } : { kind: 'tcp', address: clientIp });
}
