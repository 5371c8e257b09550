/**
 * Directive tree → MainConfig: walks the tree (walk.ts), applies nginx's defaults and the mail→server
 * merge in nginx's module order with its merge-time errors, runs the checks nginx makes once the whole
 * file is read, and deep-freezes the result.
 *
 * Owns: defaults (from nginx 1.22 and src/limits.ts), reference 1.4's merge rules, and the cross-checks:
 * protocol, auth_http, ssl certificates and verify, missing events, worker_connections vs listening
 * sockets. Does not own: parsing values (directives.ts and its helpers) or reading files (parser.ts).
 */
import { ConfigError } from '../errors.js';
import {
  AUTH_HTTP_MAX_RESPONSE_DEFAULT,
  AUTH_HTTP_TIMEOUT_DEFAULT_MS,
  MAX_ERRORS_DEFAULT,
  PAGE_SIZE,
  POP3_CLIENT_BUFFER_DEFAULT,
  PROXY_TIMEOUT_DEFAULT_MS,
  RESOLVER_TIMEOUT_DEFAULT_MS,
  SSL_SESSION_TIMEOUT_DEFAULT_MS,
  TIMEOUT_DEFAULT_MS,
  WORKER_CONNECTIONS_DEFAULT,
} from '../limits.js';
import { fullName } from './paths.js';
import { Level, type ListValues, type ScalarValues } from './level.js';
import type { ParsedConfig } from './parser.js';
import type { Environment, LoadState } from './state.js';
import type {
  AuthHttpConfig,
  CertificatePair,
  ErrorLogConfig,
  ListenConfig,
  MailProtocolName,
  MainConfig,
  ServerConfig,
  SourceRef,
  SslConfig,
  SslSessionCacheConfig,
} from './types.js';
import { walk } from './walk.js';
import type { ConfigWarning } from './warnings.js';

/** nginx's built-in capability lists (ngx_mail_{imap,pop3}_merge_srv_conf); SMTP has none. */
const IMAP_CAPABILITIES_DEFAULT = ['IMAP4', 'IMAP4rev1', 'UIDPLUS'];
const POP3_CAPABILITIES_DEFAULT = ['TOP', 'USER', 'UIDL'];
/** Current nginx's default (1.27.3); nginx 1.22 also enabled TLSv1 and TLSv1.1. */
const SSL_PROTOCOLS_DEFAULT = ['TLSv1.2', 'TLSv1.3'];
const SSL_PROTOCOL_ORDER = ['SSLv2', 'SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
/** OpenSSL's SSL_SESSION_CACHE_MAX_SIZE_DEFAULT, what `builtin` without a size means. */
const BUILTIN_SESSION_CACHE_DEFAULT = 20480;

export interface ResolveInput {
  readonly parsed: ParsedConfig;
  readonly confFile: string;
  readonly env: Environment;
}

export interface ResolveResult {
  readonly config: MainConfig;
  readonly warnings: readonly ConfigWarning[];
}

/** A server as merged at the end of `mail {}`; error logs fall back to main's at the very end. */
type MergedServer = Omit<ServerConfig, 'errorLogs'> & {
  readonly ownErrorLogs: readonly ErrorLogConfig[] | null;
};

export async function resolveConfig(input: ResolveInput): Promise<ResolveResult> {
  const main = new Level('main', null);
  const merged: { servers: MergedServer[] } = { servers: [] };
  const state: LoadState = {
    env: input.env,
    main,
    events: null,
    mail: null,
    servers: [],
    mailListens: [],
    shmZones: new Map(),
    ignored: [],
    warnings: [],
    modulesUsed: false,
    onMailClose: () => {
      merged.servers = mergeMail(state);
    },
  };
  await walk(input.parsed.nodes, 'main', main, state);

  // nginx: ngx_core_module_init_conf, after the whole configuration is read
  const affinity = main.value('worker_cpu_affinity');
  const workerProcesses = main.value('worker_processes') ?? 1;
  if (
    affinity !== undefined &&
    affinity[0] !== 'auto' &&
    affinity.length !== 1 &&
    affinity.length !== workerProcesses
  ) {
    state.warnings.push({
      level: 'warn',
      message:
        'the number of "worker_processes" is not equal to the number of "worker_cpu_affinity" masks, ' +
        'using last mask for remaining worker processes',
      source: null,
    });
  }

  // nginx: ngx_event_init_conf
  if (state.events === null) throw new ConfigError('no "events" section in configuration');
  const workerConnections = state.events.value('worker_connections') ?? WORKER_CONNECTIONS_DEFAULT;
  const sockets = countListeningSockets(state.mailListens);
  if (workerConnections < sockets + 1) {
    throw new ConfigError(
      `${String(workerConnections)} worker_connections are not enough for ${String(sockets)} listening sockets`,
    );
  }

  const mainLogs = mainErrorLogs(main, input.env);
  const servers: ServerConfig[] = merged.servers.map(({ ownErrorLogs, ...s }) => ({
    ...s,
    errorLogs: ownErrorLogs ?? mainLogs,
  }));
  const mailLevel = state.mail;

  const config: MainConfig = {
    prefix: input.env.prefix,
    confFile: input.confFile,
    files: input.parsed.files,
    workerProcesses,
    workerConnections,
    acceptPolicy: state.events.value('accept_policy') ?? 'shared',
    pidFile: fullName(input.env.prefix, main.value('pid') ?? 'logs/postern.pid'),
    daemon: main.value('daemon') ?? true,
    masterProcess: main.value('master_process') ?? true,
    workerShutdownTimeoutMs: main.value('worker_shutdown_timeout') ?? null,
    workerRlimitNofile: main.value('worker_rlimit_nofile') ?? null,
    user: main.value('user') ?? null,
    errorLogs: mainLogs,
    logFormat: main.value('error_log_format') ?? 'nginx',
    debugConnection: state.events.list('debug_connection') ?? [],
    status: {
      listen: main.value('status_listen') ?? null,
      access: main.list('status_access') ?? [],
    },
    ignored: state.ignored,
    mail:
      mailLevel === null ? null : { servers, source: mailLevel.source ?? { file: input.confFile, line: 0 } },
  };
  return { config: deepFreeze(config), warnings: state.warnings };
}

function mainErrorLogs(main: Level, env: Environment): readonly ErrorLogConfig[] {
  const own = main.list('error_log');
  if (own !== undefined) return own;
  return [
    { target: { kind: 'file', path: fullName(env.prefix, 'logs/error.log') }, level: 'error', source: null },
  ];
}

/**
 * nginx: ngx_mail_optimize_servers — per (family, port), a wildcard address takes one socket and the
 * specific addresses share it unless they have `bind`; without a wildcard each address has its own.
 */
export function countListeningSockets(listens: readonly ListenConfig[]): number {
  const groups = new Map<string, ListenConfig[]>();
  for (const l of listens) {
    const key = l.kind === 'unix' ? `unix:${l.host}` : `${String(l.family)}/${String(l.port)}`;
    const g = groups.get(key);
    if (g === undefined) groups.set(key, [l]);
    else g.push(l);
  }
  let n = 0;
  for (const g of groups.values()) {
    const wildcard = g.some(isWildcard);
    n += wildcard ? 1 + g.filter((l) => !isWildcard(l) && l.bind).length : g.length;
  }
  return n;
}

function isWildcard(l: ListenConfig): boolean {
  return l.kind === 'tcp' && (l.host === '0.0.0.0' || l.host === '::');
}

// ---------------------------------------------------------------------------------------------------------
// the mail → server merge (nginx: ngx_mail_block, module by module, each over every server)

/** Scalars: the server's value if set there, else mail's (nginx: ngx_conf_merge_*_value). */
function pick<K extends keyof ScalarValues>(
  server: Level,
  mail: Level,
  name: K,
): ScalarValues[K] | undefined {
  return server.has(name) ? server.value(name) : mail.value(name);
}

/** Lists, all or nothing: the server's entries if it has any, else mail's. */
function pickList<K extends keyof ListValues>(
  server: Level,
  mail: Level,
  name: K,
): readonly ListValues[K][] | undefined {
  return server.list(name) ?? mail.list(name);
}

function mergeMail(state: LoadState): MergedServer[] {
  const mail = state.mail;
  if (mail === null) return [];
  const servers = state.servers;
  const env = state.env;

  // ngx_mail_core_module
  for (const s of servers) {
    if (s.protocol === null) throw new ConfigError('unknown mail protocol for server', s.source);
  }
  // ngx_mail_ssl_module
  const ssl = servers.map((s) => mergeSsl(s, mail, env));
  // ngx_mail_auth_http_module
  const auth = servers.map((s) => {
    const a = pick(s, mail, 'auth_http');
    if (a === undefined) throw new ConfigError('no "auth_http" is defined for server', s.source);
    return a;
  });

  return servers.map((s, i): MergedServer => {
    const sslConf = ssl[i] as SslConfig & { readonly sslOn: boolean };
    const { sslOn, ...sslConfig } = sslConf;
    const serverName = pick(s, mail, 'server_name') ?? '';
    return {
      source: s.source ?? { file: 'command line', line: 1 },
      listens: sslOn ? s.listens.map((l) => ({ ...l, ssl: true })) : s.listens,
      protocol: s.protocol as MailProtocolName,
      serverName: serverName === '' ? env.hostname : serverName,
      timeoutMs: pick(s, mail, 'timeout') ?? TIMEOUT_DEFAULT_MS,
      resolver: pick(s, mail, 'resolver') ?? null,
      resolverTimeoutMs: pick(s, mail, 'resolver_timeout') ?? RESOLVER_TIMEOUT_DEFAULT_MS,
      maxErrors: pick(s, mail, 'max_errors') ?? MAX_ERRORS_DEFAULT,
      ownErrorLogs: pickList(s, mail, 'error_log') ?? null,

      authHttp: auth[i] as AuthHttpConfig,
      authHttpHeaders: pickList(s, mail, 'auth_http_header') ?? [],
      authHttpTimeoutMs: pick(s, mail, 'auth_http_timeout') ?? AUTH_HTTP_TIMEOUT_DEFAULT_MS,
      authHttpPassClientCert: pick(s, mail, 'auth_http_pass_client_cert') ?? false,
      authHttpKeepalive: pick(s, mail, 'auth_http_keepalive') ?? 0,
      authHttpMaxResponseBytes: pick(s, mail, 'auth_http_max_response') ?? AUTH_HTTP_MAX_RESPONSE_DEFAULT,

      proxyBufferBytes: pick(s, mail, 'proxy_buffer') ?? PAGE_SIZE,
      proxyTimeoutMs: pick(s, mail, 'proxy_timeout') ?? PROXY_TIMEOUT_DEFAULT_MS,
      proxyPassErrorMessage: pick(s, mail, 'proxy_pass_error_message') ?? false,
      proxyProtocol: pick(s, mail, 'proxy_protocol') ?? 'off',
      proxySmtpAuth: pick(s, mail, 'proxy_smtp_auth') ?? false,
      xclient: pick(s, mail, 'xclient') ?? true,

      imap: {
        auth: authFlags(pick(s, mail, 'imap_auth') ?? new Set(['plain'])),
        capabilities: pickList(s, mail, 'imap_capabilities') ?? IMAP_CAPABILITIES_DEFAULT,
        clientBufferBytes: pick(s, mail, 'imap_client_buffer') ?? PAGE_SIZE,
      },
      pop3: {
        auth: pop3Flags(pick(s, mail, 'pop3_auth') ?? new Set(['plain'])),
        capabilities: pickList(s, mail, 'pop3_capabilities') ?? POP3_CAPABILITIES_DEFAULT,
        clientBufferBytes: pick(s, mail, 'pop3_client_buffer') ?? POP3_CLIENT_BUFFER_DEFAULT,
      },
      smtp: {
        auth: smtpFlags(pick(s, mail, 'smtp_auth') ?? new Set(['plain', 'login'])),
        capabilities: pickList(s, mail, 'smtp_capabilities') ?? [],
        clientBufferBytes: pick(s, mail, 'smtp_client_buffer') ?? PAGE_SIZE,
        greetingDelayMs: pick(s, mail, 'smtp_greeting_delay') ?? 0,
      },
      ssl: sslConfig,

      realIpFrom: pickList(s, mail, 'set_real_ip_from') ?? [],
      access: pickList(s, mail, 'access') ?? [],
    };
  });
}

function authFlags(set: ReadonlySet<string>): ServerConfig['imap']['auth'] {
  return {
    plain: set.has('plain'),
    login: set.has('login'),
    cramMd5: set.has('cram-md5'),
    external: set.has('external'),
  };
}

function pop3Flags(set: ReadonlySet<string>): ServerConfig['pop3']['auth'] {
  return {
    plain: set.has('plain'),
    apop: set.has('apop'),
    cramMd5: set.has('cram-md5'),
    external: set.has('external'),
  };
}

function smtpFlags(set: ReadonlySet<string>): ServerConfig['smtp']['auth'] {
  return {
    plain: set.has('plain'),
    login: set.has('login'),
    cramMd5: set.has('cram-md5'),
    external: set.has('external'),
    none: set.has('none'),
  };
}

/** nginx: ngx_mail_ssl_merge_conf */
function mergeSsl(s: Level, mail: Level, env: Environment): SslConfig & { readonly sslOn: boolean } {
  const sslOn = pick(s, mail, 'ssl') ?? false;
  const starttls = pick(s, mail, 'starttls') ?? 'off';
  const certs = pickList(s, mail, 'ssl_certificate');
  const keys = pickList(s, mail, 'ssl_certificate_key');
  const verify = pick(s, mail, 'ssl_verify_client') ?? 'off';
  const clientCertificate = pick(s, mail, 'ssl_client_certificate') ?? '';
  const trustedCertificate = pick(s, mail, 'ssl_trusted_certificate') ?? '';

  const mode = s.sslListen ? 'listen ... ssl' : sslOn ? 'ssl' : starttls !== 'off' ? 'starttls' : null;
  if (mode !== null) {
    const where: SourceRef | null = s.sslSource ?? mail.sslSource;
    if (certs === undefined) {
      throw new ConfigError(`no "ssl_certificate" is defined for the "${mode}" directive`, where);
    }
    if (keys === undefined) {
      throw new ConfigError(`no "ssl_certificate_key" is defined for the "${mode}" directive`, where);
    }
    if (keys.length < certs.length) {
      throw new ConfigError(
        `no "ssl_certificate_key" is defined for certificate "${certs.at(-1) ?? ''}" and the "${mode}" directive`,
        where,
      );
    }
    // current nginx also accepts ssl_trusted_certificate here (1.22 wanted ssl_client_certificate)
    if (
      verify !== 'off' &&
      verify !== 'optional_no_ca' &&
      clientCertificate === '' &&
      trustedCertificate === ''
    ) {
      throw new ConfigError('no ssl_client_certificate or ssl_trusted_certificate for ssl_verify_client');
    }
  }

  const conf = env.confPrefix;
  const path = (p: string): string | null => (p === '' ? null : fullName(conf, p));
  const certificates: CertificatePair[] = (certs ?? []).map((c, i) => ({
    certificate: fullName(conf, c),
    key: fullName(conf, keys?.[i] ?? ''),
  }));
  const protocols = pick(s, mail, 'ssl_protocols');
  return {
    sslOn,
    starttls,
    certificates,
    passwordFile: pick(s, mail, 'ssl_password_file') ?? null,
    protocols:
      protocols === undefined ? SSL_PROTOCOLS_DEFAULT : SSL_PROTOCOL_ORDER.filter((p) => protocols.has(p)),
    ciphers: pick(s, mail, 'ssl_ciphers') ?? 'HIGH:!aNULL:!MD5',
    preferServerCiphers: pick(s, mail, 'ssl_prefer_server_ciphers') ?? false,
    ecdhCurve: pick(s, mail, 'ssl_ecdh_curve') ?? 'auto',
    dhparam: path(pick(s, mail, 'ssl_dhparam') ?? ''),
    sessionCache: sessionCache(s, mail),
    sessionTickets: pick(s, mail, 'ssl_session_tickets') ?? true,
    sessionTicketKeys: (pickList(s, mail, 'ssl_session_ticket_key') ?? []).map((k) => fullName(conf, k)),
    sessionTimeoutMs: (pick(s, mail, 'ssl_session_timeout') ?? SSL_SESSION_TIMEOUT_DEFAULT_MS / 1000) * 1000,
    verifyClient: verify,
    verifyDepth: pick(s, mail, 'ssl_verify_depth') ?? 1,
    clientCertificate: path(clientCertificate),
    trustedCertificate: path(trustedCertificate),
    crl: path(pick(s, mail, 'ssl_crl') ?? ''),
    confCommands: pickList(s, mail, 'ssl_conf_command') ?? [],
    certificateCompression: pick(s, mail, 'ssl_certificate_compression') ?? false,
    sniCertificates: pickList(s, mail, 'ssl_sni_certificate') ?? [],
  };
}

/** nginx: the session cache part of ngx_mail_ssl_merge_conf and ngx_ssl_session_cache */
function sessionCache(s: Level, mail: Level): SslSessionCacheConfig {
  const builtin = pick(s, mail, 'ssl_session_cache.builtin') ?? 'none';
  const shared = pick(s, mail, 'ssl_session_cache.shared') ?? null;
  if (builtin === 'off') return { mode: 'off', builtinSize: null, shared };
  if (builtin === 'none') return { mode: 'none', builtinSize: null, shared };
  if (builtin === 'noBuiltin') return { mode: 'on', builtinSize: null, shared };
  return { mode: 'on', builtinSize: builtin === 'builtin' ? BUILTIN_SESSION_CACHE_DEFAULT : builtin, shared };
}

/** Object.freeze, all the way down. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}
