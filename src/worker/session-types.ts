/**
 * What a session needs from its worker, per server block: the protocol binding (pure module + its
 * precomputed settings + the upstream login), the auth client, buffer pools, TLS and the logger.
 * Built once per configuration generation (`server-runtime.ts`), shared by every session of that server.
 */
import type { ServerConfig, ListenConfig } from '../config/types.js';
import type {
  ProtocolModule,
  UpstreamLoginModule,
  UpstreamLoginSettings,
  AuthRequest,
  ProtocolName,
} from '../protocol/types.js';
import type { AuthHttpResult } from '../auth/types.js';
import type { BufferPools } from '../relay/buffer-pool.js';
import type { Logger } from '../log/types.js';
import type { SessionMetrics } from '../metrics/types.js';
import type { CompiledAccess } from '../net/access.js';
import type { RealIpTrust } from '../net/realip.js';

/** A protocol with its settings, type parameters hidden so sessions of every protocol share one shape. */
export interface ProtocolBinding {
  readonly name: ProtocolName;
  // The shell only stores and passes back what the module returns, so `unknown` states are safe here.
  readonly module: ProtocolModule<unknown, unknown>;
  readonly settings: unknown;
  readonly login: UpstreamLoginModule<unknown>;
  /**
   * per-server part of the upstream login settings; the session adds the client's address and host.
   * Protocols may read extra fields (IMAP: proxyBufferBytes, forwardId), so this is open-ended.
   */
  readonly loginSettings: Omit<UpstreamLoginSettings, 'clientAddr' | 'clientIsIpv6' | 'clientHost'> &
    Readonly<Record<string, unknown>>;
  /** the client command buffer size (imap/smtp/pop3_client_buffer) */
  readonly clientBufferBytes: number;
}

/** TLS details of the client connection, as auth_http's Auth-SSL-* headers need them. */
export interface ClientTlsInfo {
  readonly protocol: string;
  readonly cipher: string;
  readonly verify: string | null;
  readonly subject: string | null;
  readonly issuer: string | null;
  readonly serial: string | null;
  readonly fingerprint: string | null;
  readonly certPem: string | null;
}

/** TLS facts beyond the Auth-SSL-* values (for a PROXY v2 header to the backend, and metrics). */
export interface TlsDetails {
  readonly commonName: string | null;
  readonly resumed: boolean;
  readonly serverName: string | null;
  readonly alpn: string | null;
}

/** PROXY protocol addresses the client connection carried (reference 6.4). */
export interface ProxyProtocolInfo {
  readonly srcAddr: string;
  readonly srcPort: number;
  readonly dstAddr: string;
  readonly dstPort: number;
}

/** Everything the auth client needs for one request, beyond what the protocol decided. */
export interface SessionAuthInput {
  readonly request: AuthRequest;
  readonly protocol: ProtocolName;
  readonly attempt: number;
  readonly clientIp: string;
  /** SMTP only: the resolved host or its placeholder; '' for IMAP/POP3 (no Client-Host header) */
  readonly clientHost: string;
  readonly proxyProtocol: ProxyProtocolInfo | null;
  readonly tls: ClientTlsInfo | null;
  /** true when the session has no password of its own for the backend (APOP, CRAM-MD5, EXTERNAL) */
  readonly needPassword: boolean;
  /** the session's log context, for the auth client's own lines (WAIT and keep-alive retries) */
  readonly logCtx?: import('../log/types.js').SessionLogContext;
}

/** The auth client as the session uses it (implemented by auth/auth-http.ts). */
export interface AuthPort {
  /** Start a request; `done` is called exactly once unless the request is cancelled first. */
  begin(input: SessionAuthInput, done: (result: AuthHttpResult) => void): AuthTicketLike;
  /** The session ended first: drop the request (and its connection); `done` is not called. */
  cancel(ticket: AuthTicketLike): void;
}

/** An auth request in flight (opaque to the session). */
export interface AuthTicketLike {
  readonly settled: boolean;
}

/** TLS for a server: an upgrade function the session calls for STARTTLS and implicit TLS. */
export interface TlsPort {
  /**
   * Wrap a plain socket (whose readable side is paused and whose buffered bytes were discarded) as a
   * TLS server socket; resolves once the handshake is done. Rejects with ProxyError(ERR_TLS_HANDSHAKE)
   * whose message is nginx's log text (`handshakeLogOf` in tls/handshake-error.ts gives its level);
   * destroying the plain socket (the deadline) settles it at once. Implemented by tls/upgrade.ts.
   */
  upgrade(socket: import('node:net').Socket): Promise<{
    socket: import('node:net').Socket;
    info: ClientTlsInfo;
    /**
     * reference 6.3 (ngx_mail_verify_cert): `ok`, or the protocol's reply to send before closing and the
     * line to log at info (`client SSL certificate verify error: (23:certificate revoked)`)
     */
    check: 'ok' | { readonly reply: 'certificateError' | 'noCertificate'; readonly log: string };
    /** what a PROXY v2 header to the backend reports of the client's TLS */
    details: TlsDetails;
  }>;
}

export interface ServerRuntime {
  readonly server: ServerConfig;
  readonly binding: ProtocolBinding;
  readonly auth: AuthPort;
  readonly pools: BufferPools;
  readonly logger: Logger;
  readonly metrics: SessionMetrics;
  /** null when the server has neither `listen ... ssl` nor `starttls` */
  readonly tls: TlsPort | null;
  /** `allow`/`deny`, compiled once */
  readonly access: CompiledAccess;
  /** `set_real_ip_from`, compiled once */
  readonly realIp: RealIpTrust;
  /** SMTP with a `resolver`: the client's host name lookup (reference 4.3.1); absent = `[UNAVAILABLE]` */
  readonly lookupClientHost?: (clientIp: string) => Promise<ClientHostLookup>;
}

export interface ClientHostLookup {
  readonly host: string;
  readonly log?: { readonly level: 'error' | 'info'; readonly message: string; readonly action: string | null };
}

export interface SessionStart {
  readonly cid: number;
  readonly runtime: ServerRuntime;
  readonly listen: ListenConfig;
}
