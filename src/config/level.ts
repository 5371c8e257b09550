/**
 * The raw values of one configuration level (main, events, mail, or one server) as directives set them,
 * before defaults and the mail→server merge: nginx's per-module conf structs with their UNSET markers.
 *
 * Owns: storage and the "is duplicate" bookkeeping of slots. Does not own: parsing values (directives.ts)
 * or defaults and merging (resolve.ts).
 */
import type {
  AcceptPolicy,
  AccessRule,
  AuthHttpConfig,
  CertificatePair,
  ErrorLogConfig,
  ListenConfig,
  MailProtocolName,
  ResolverConfig,
  SourceRef,
} from './types.js';

export type Context = 'main' | 'events' | 'mail' | 'server';

/** ssl_session_cache's built-in part: nginx's NGX_SSL_NO/NONE/DFLT_BUILTIN/NO_BUILTIN_SCACHE or a size */
export type BuiltinCache = 'off' | 'none' | 'builtin' | 'noBuiltin' | number;

/** The stored value of each single-valued directive (times in ms, or s for `*_sec` slots, sizes in bytes). */
export interface ScalarValues {
  readonly daemon: boolean;
  readonly master_process: boolean;
  readonly timer_resolution: number;
  readonly pid: string;
  readonly lock_file: string;
  readonly worker_processes: number;
  readonly debug_points: string;
  readonly user: { readonly user: string; readonly group: string };
  readonly worker_priority: number;
  readonly worker_cpu_affinity: readonly string[];
  readonly worker_rlimit_nofile: number;
  readonly worker_rlimit_core: number;
  readonly worker_shutdown_timeout: number;
  readonly working_directory: string;
  readonly pcre_jit: boolean;
  readonly ssl_engine: string;
  readonly error_log_format: 'nginx' | 'json';
  readonly status_listen: { readonly host: string; readonly port: number };
  readonly worker_connections: number;
  readonly use: string;
  readonly multi_accept: boolean;
  readonly accept_mutex: boolean;
  readonly accept_mutex_delay: number;
  readonly epoll_events: number;
  readonly worker_aio_requests: number;
  readonly accept_policy: AcceptPolicy;
  readonly listen: true;
  readonly timeout: number;
  readonly server_name: string;
  readonly resolver: ResolverConfig | null;
  readonly resolver_timeout: number;
  readonly max_errors: number;
  readonly auth_http: AuthHttpConfig;
  readonly auth_http_timeout: number;
  readonly auth_http_pass_client_cert: boolean;
  readonly auth_http_keepalive: number;
  readonly auth_http_max_response: number;
  readonly proxy: boolean;
  readonly proxy_buffer: number;
  readonly proxy_timeout: number;
  readonly proxy_pass_error_message: boolean;
  readonly proxy_protocol: 'off' | 'v1' | 'v2';
  readonly proxy_smtp_auth: boolean;
  readonly xclient: boolean;
  readonly imap_client_buffer: number;
  readonly imap_auth: ReadonlySet<string>;
  readonly pop3_auth: ReadonlySet<string>;
  readonly pop3_client_buffer: number;
  readonly smtp_client_buffer: number;
  readonly smtp_greeting_delay: number;
  readonly smtp_auth: ReadonlySet<string>;
  readonly ssl: boolean;
  readonly starttls: 'off' | 'on' | 'only';
  readonly ssl_password_file: string;
  readonly ssl_dhparam: string;
  readonly ssl_ecdh_curve: string;
  readonly ssl_protocols: ReadonlySet<string>;
  readonly ssl_ciphers: string;
  readonly ssl_prefer_server_ciphers: boolean;
  readonly 'ssl_session_cache.builtin': BuiltinCache;
  readonly 'ssl_session_cache.shared': { readonly name: string; readonly sizeBytes: number };
  readonly ssl_session_tickets: boolean;
  readonly ssl_session_timeout: number;
  readonly ssl_verify_client: 'off' | 'on' | 'optional' | 'optional_no_ca';
  readonly ssl_verify_depth: number;
  readonly ssl_client_certificate: string;
  readonly ssl_trusted_certificate: string;
  readonly ssl_crl: string;
  readonly ssl_certificate_compression: boolean;
}

/** The entry type of each repeatable directive. */
export interface ListValues {
  readonly error_log: ErrorLogConfig;
  readonly status_access: AccessRule;
  readonly access: AccessRule;
  readonly debug_connection: string;
  readonly set_real_ip_from: string;
  readonly auth_http_header: readonly [string, string];
  readonly ssl_conf_command: readonly [string, string];
  readonly imap_capabilities: string;
  readonly pop3_capabilities: string;
  readonly smtp_capabilities: string;
  readonly ssl_certificate: string;
  readonly ssl_certificate_key: string;
  readonly ssl_session_ticket_key: string;
  readonly ssl_sni_certificate: { readonly serverName: string; readonly pair: CertificatePair };
}

export interface Setting<T> {
  readonly value: T;
  readonly source: SourceRef | null;
}

export class Level {
  private readonly scalars = new Map<string, Setting<unknown>>();
  private readonly lists = new Map<string, Setting<unknown>[]>();

  // server{} only
  readonly listens: ListenConfig[] = [];
  protocol: MailProtocolName | null = null;
  /** nginx: sslcf->listen — a `listen ... ssl` in this server */
  sslListen = false;
  /** nginx: sslcf->file/line — set by the last `listen ... ssl`, `ssl on` or `starttls` at this level */
  sslSource: SourceRef | null = null;

  constructor(
    readonly context: Context,
    /** where the block starts (nginx: the line of its `{`) */
    readonly source: SourceRef | null,
  ) {}

  has(name: string): boolean {
    return this.scalars.has(name);
  }

  /** Where a scalar was set (null for -g text), undefined when unset. */
  sourceOf(name: string): SourceRef | null | undefined {
    return this.scalars.get(name)?.source;
  }

  value<K extends keyof ScalarValues>(name: K): ScalarValues[K] | undefined {
    return this.scalars.get(name)?.value as ScalarValues[K] | undefined;
  }

  set(name: string, value: unknown, source: SourceRef | null): void {
    this.scalars.set(name, { value, source });
  }

  /** Entries appended by repeatable directives; undefined when the directive never appeared here. */
  list<K extends keyof ListValues>(name: K): readonly ListValues[K][] | undefined {
    return this.lists.get(name)?.map((s) => s.value as ListValues[K]);
  }

  push(name: string, value: unknown, source: SourceRef | null): void {
    const l = this.lists.get(name);
    if (l === undefined) this.lists.set(name, [{ value, source }]);
    else l.push({ value, source });
  }
}
