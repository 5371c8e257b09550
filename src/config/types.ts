/**
 * The validated, deep-frozen configuration that `config/resolve.ts` produces from nginx-syntax files.
 *
 * Owns: the shape every other module reads. nginx directive spellings stay inside `config/`; here fields
 * are camelCase and carry their units (`timeoutMs`, `clientBufferBytes`). Every value is final: defaults
 * applied and the mail→server merge (reference 1.4) done, so consumers never look at the `mail {}` level.
 */

/** Where a directive or block was written; used for nginx-style `in <file>:<line>` messages. */
export interface SourceRef {
  readonly file: string;
  readonly line: number;
}

/** nginx's eight error_log levels, most verbose first. */
export const LOG_LEVELS = ['debug', 'info', 'notice', 'warn', 'error', 'crit', 'alert', 'emerg'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type LogTarget =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'stderr' }
  | {
      readonly kind: 'syslog';
      /** `server=` address: host, host:port, [v6]:port or unix:/path; default port 514 */
      readonly server: string;
      readonly facility: string; // default 'local7'
      readonly severity: LogLevel | null; // `severity=`: overrides the level of every line; null = the line's own
      readonly tag: string; // default 'nginx'
      readonly nohostname: boolean;
    };

/** One `error_log` line. Several may be active at once (reference 1.1). */
export interface ErrorLogConfig {
  readonly target: LogTarget;
  /** Lines at this level and more severe are written. */
  readonly level: LogLevel;
  readonly source: SourceRef | null; // null for built-in defaults
}

/** Ours: the text layout of error_log lines. `nginx` keeps existing log parsers working. */
export type LogFormat = 'nginx' | 'json';

/** Ours: how connections reach workers (events { accept_policy ... }). */
export type AcceptPolicy = 'shared' | 'least_conn';

export type SoKeepalive =
  | { readonly kind: 'default' }
  | { readonly kind: 'on' }
  | { readonly kind: 'off' }
  | { readonly kind: 'tuned'; readonly idleSec: number | null; readonly intervalSec: number | null; readonly count: number | null };

/** One address a server listens on (one `listen` may expand to several when a hostname resolves). */
export interface ListenConfig {
  /** nginx's canonical text: `0.0.0.0:143`, `127.0.0.1:8143`, `[::]:993`, `unix:/run/x.sock`. Used in logs. */
  readonly addrText: string;
  readonly kind: 'tcp' | 'unix';
  /** IP literal for tcp (`0.0.0.0`, `::`), the socket path for unix */
  readonly host: string;
  /** 0 for unix */
  readonly port: number;
  readonly family: 4 | 6 | 0; // 0 for unix
  readonly ssl: boolean;
  readonly proxyProtocol: boolean;
  readonly bind: boolean;
  /** listen() backlog; nginx default 511 */
  readonly backlog: number;
  readonly rcvbufBytes: number | null;
  readonly sndbufBytes: number | null;
  /** IPV6_V6ONLY for [::] sockets; nginx default on */
  readonly ipv6only: boolean;
  readonly soKeepalive: SoKeepalive;
  readonly multipath: boolean;
  readonly source: SourceRef;
}

export type MailProtocolName = 'imap' | 'pop3' | 'smtp';

/** `auth_http` target, split the way nginx splits it (reference 1.3). */
export interface AuthHttpConfig {
  /** the URL as written, for messages */
  readonly url: string;
  readonly address:
    | { readonly kind: 'tcp'; readonly host: string /* IP literal after resolution */; readonly port: number }
    | { readonly kind: 'unix'; readonly path: string };
  /** nginx's `<addr>` in log lines: `127.0.0.1:9000` or `unix:/path` */
  readonly addrText: string;
  /** Host: header value (host part of the URL without port, `localhost` for unix) */
  readonly hostHeader: string;
  /** request URI, `/` when empty */
  readonly uri: string;
}

export interface ResolverConfig {
  readonly addresses: readonly string[]; // canonical `ip:port` / `[ipv6]:port` (port default 53; a host name expands to its addresses)
  readonly validSec: number | null;
  readonly ipv4: boolean;
  readonly ipv6: boolean;
}

export interface ImapSettingsConfig {
  readonly auth: { readonly plain: boolean; readonly login: boolean; readonly cramMd5: boolean; readonly external: boolean };
  /** `imap_capabilities`, verbatim entries */
  readonly capabilities: readonly string[];
  readonly clientBufferBytes: number;
}

export interface Pop3SettingsConfig {
  readonly auth: { readonly plain: boolean; readonly apop: boolean; readonly cramMd5: boolean; readonly external: boolean };
  readonly capabilities: readonly string[];
  /** Ours (`pop3_client_buffer`): nginx hard-codes 128 bytes, which breaks long logins and tokens. */
  readonly clientBufferBytes: number;
}

export interface SmtpSettingsConfig {
  readonly auth: {
    readonly plain: boolean;
    readonly login: boolean;
    readonly cramMd5: boolean;
    readonly external: boolean;
    readonly none: boolean;
  };
  readonly capabilities: readonly string[];
  readonly clientBufferBytes: number;
  readonly greetingDelayMs: number;
}

export interface CertificatePair {
  /** absolute path (a relative one is resolved against the main config file's directory, as nginx does) or `data:...` */
  readonly certificate: string;
  readonly key: string;
}

export interface SslSessionCacheConfig {
  readonly mode: 'off' | 'none' | 'on';
  readonly builtinSize: number | null; // sessions; null = not configured
  readonly shared: { readonly name: string; readonly sizeBytes: number } | null;
}

export interface SslConfig {
  readonly starttls: 'off' | 'on' | 'only';
  readonly certificates: readonly CertificatePair[];
  readonly passwordFile: string | null;
  /** e.g. ['TLSv1.2', 'TLSv1.3'] */
  readonly protocols: readonly string[];
  readonly ciphers: string;
  readonly preferServerCiphers: boolean;
  readonly ecdhCurve: string;
  readonly dhparam: string | null;
  readonly sessionCache: SslSessionCacheConfig;
  readonly sessionTickets: boolean;
  readonly sessionTicketKeys: readonly string[];
  readonly sessionTimeoutMs: number;
  readonly verifyClient: 'off' | 'on' | 'optional' | 'optional_no_ca';
  readonly verifyDepth: number;
  readonly clientCertificate: string | null;
  readonly trustedCertificate: string | null;
  readonly crl: string | null;
  readonly confCommands: readonly (readonly [string, string])[];
  readonly certificateCompression: boolean;
  /** Ours (`ssl_sni_certificate name cert key`): per-name certificate pairs chosen by SNI. */
  readonly sniCertificates: readonly { readonly serverName: string; readonly pair: CertificatePair }[];
}

/** One allow/deny rule (ours for mail; nginx has these only in http/stream). */
export interface AccessRule {
  readonly action: 'allow' | 'deny';
  /** `all`, `unix:`, or a CIDR in canonical text (a single address gets /32 or /128: `192.0.2.1/32`) */
  readonly match: string;
}

export interface ServerConfig {
  /** where the `server {` block starts */
  readonly source: SourceRef;
  readonly listens: readonly ListenConfig[];
  readonly protocol: MailProtocolName;
  readonly serverName: string;
  /** pre-auth deadline and backend-login deadline (reference 1.3, Q-3) */
  readonly timeoutMs: number;
  readonly resolver: ResolverConfig | null;
  readonly resolverTimeoutMs: number;
  readonly maxErrors: number;
  /** the server's own error_log lines, else mail's, else main's (reference 1.4 rule 5) */
  readonly errorLogs: readonly ErrorLogConfig[];

  readonly authHttp: AuthHttpConfig;
  readonly authHttpHeaders: readonly (readonly [string, string])[];
  readonly authHttpTimeoutMs: number;
  readonly authHttpPassClientCert: boolean;
  /** Ours (`auth_http_keepalive N`): idle connections kept to the auth service; 0 = nginx's one connection per request. */
  readonly authHttpKeepalive: number;
  /** Ours (`auth_http_max_response`): response header limit; nginx's fixed 1024 bytes is the default. */
  readonly authHttpMaxResponseBytes: number;

  readonly proxyBufferBytes: number;
  readonly proxyTimeoutMs: number;
  readonly proxyPassErrorMessage: boolean;
  readonly proxyProtocol: 'off' | 'v1' | 'v2';
  readonly proxySmtpAuth: boolean;
  readonly xclient: boolean;

  readonly imap: ImapSettingsConfig;
  readonly pop3: Pop3SettingsConfig;
  readonly smtp: SmtpSettingsConfig;
  readonly ssl: SslConfig;

  /** `set_real_ip_from` entries: CIDRs in canonical text (`10.0.0.0/8`, `192.0.2.1/32`), or `unix:` */
  readonly realIpFrom: readonly string[];
  readonly access: readonly AccessRule[];
}

export interface StatusConfig {
  readonly listen: { readonly host: string; readonly port: number } | null;
  readonly access: readonly AccessRule[];
}

export interface MainConfig {
  /** with trailing `/` */
  readonly prefix: string;
  /** absolute path of the main config file */
  readonly confFile: string;
  /** every file read, in order, with its text (for `-T`) */
  readonly files: readonly { readonly path: string; readonly text: string }[];

  readonly workerProcesses: number; // `auto` already resolved to the CPU count
  readonly workerConnections: number;
  readonly acceptPolicy: AcceptPolicy;
  readonly pidFile: string; // absolute
  readonly daemon: boolean;
  readonly masterProcess: boolean;
  readonly workerShutdownTimeoutMs: number | null; // null = wait forever (nginx default)
  readonly workerRlimitNofile: number | null;
  /**
   * `user name [group]` (group defaults to the user's name, as nginx). null when there is no `user`
   * directive, or when not running as root (nginx then warns and ignores it). Note: nginx started as root
   * without the directive runs its workers as nobody:nogroup; applying that is the primary's choice.
   */
  readonly user: { readonly user: string; readonly group: string } | null;
  readonly errorLogs: readonly ErrorLogConfig[];
  /** Ours (`error_log_format nginx|json`, main context) */
  readonly logFormat: LogFormat;
  /** events { debug_connection ... }: client CIDRs whose sessions log at debug */
  readonly debugConnection: readonly string[];
  /** Ours (`status_listen`, `status_allow`/`status_deny`, main context) */
  readonly status: StatusConfig;
  /** directives accepted and ignored, each with where it was written (a notice is logged once per name) */
  readonly ignored: readonly { readonly name: string; readonly source: SourceRef }[];

  /** null when the file has no `mail {}` block */
  readonly mail: { readonly servers: readonly ServerConfig[]; readonly source: SourceRef } | null;
}
