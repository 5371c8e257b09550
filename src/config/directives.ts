/**
 * THE directive table: every directive postern accepts, with its contexts, arity, value parser, default
 * and mail→server merge rule; plus the names nginx knows only for http (so they are "not allowed here"
 * rather than "unknown").
 *
 * Owns: which names exist where and how each line is checked and stored, mirroring the ngx_command_t
 * arrays of nginx 1.22 (core, events, mail core/auth_http/proxy/imap/pop3/smtp/ssl/realip) and our own
 * additions (origin 'postern', listed in docs/directives.md). Does not own: the handlers behind the
 * generic slots (slots.ts) and the special ones (core-handlers.ts, mail-handlers.ts), or defaults and
 * merging (resolve.ts applies them; `default` and `merge` here are what it follows and what docs show).
 */
import { accessRule } from './address-rules.js';
import {
  EVENT_METHODS,
  openEvents,
  openMail,
  refuseModule,
  setCpuAffinity,
  setDebugConnection,
  setErrorLog,
  setLoadModule,
  setPriority,
  setStatusListen,
  setUse,
  setUser,
  setWorkerConnections,
  setWorkerProcesses,
} from './core-handlers.js';
import { FOREIGN_DIRECTIVES } from './foreign-names.js';
import type { Context } from './level.js';
import {
  MAIL_PROTOCOLS,
  listenHandler,
  openServer,
  setAuthHttp,
  setPasswordFile,
  setProtocol,
  setProxyProtocol,
  setRealIpFrom,
  setResolver,
  setSessionCache,
  setSniCertificate,
  setSsl,
  setStarttls,
} from './mail-handlers.js';
import {
  bitmaskSlot,
  capabilitiesSlot,
  enumSlot,
  flagSlot,
  keyvalSlot,
  msecSlot,
  numSlot,
  offSlot,
  secSlot,
  sizeSlot,
  strArraySlot,
  strSlot,
} from './slots.js';
import type { BlockResult, SetContext } from './state.js';

/**
 * nginx's NGX_CONF_NOARGS/TAKEn/FLAG/1MORE/2MORE/ANY: `take` lists the allowed argument counts.
 */
export type Arity =
  | { readonly kind: 'take'; readonly counts: readonly number[] }
  | { readonly kind: 'flag' }
  | { readonly kind: '1more' }
  | { readonly kind: '2more' }
  | { readonly kind: 'any' };

/** How a mail{} value reaches a server{} (reference 1.4). */
export type MergeRule =
  /** the server's value, else mail's, else the default */
  | 'scalar'
  /** like scalar; several lines on one level add up, a server line replaces the inherited set */
  | 'bitmask'
  /** all or nothing: any entry at the server level hides every mail-level entry */
  | 'list'
  /** URL, address, Host header and URI move together; the last line on a level wins */
  | 'authHttp'
  /** the server's lines, else mail's, else main's */
  | 'errorLog'
  /** listen, protocol: server only */
  | 'never'
  /** not a mail{} / server{} directive */
  | 'none';

export type ValueKind =
  | 'block'
  | 'flag'
  | 'string'
  | 'path'
  | 'number'
  | 'size'
  | 'offset'
  | 'time-ms'
  | 'time-s'
  | 'enum'
  | 'bitmask'
  | 'list'
  | 'pair'
  | 'address'
  | 'url'
  | 'special';

export interface DirectiveSpec {
  readonly name: string;
  readonly contexts: readonly Context[];
  readonly block: boolean;
  readonly arity: Arity;
  readonly value: ValueKind;
  /** accepted words for enum/bitmask values */
  readonly choices?: readonly string[];
  readonly merge: MergeRule;
  /** the default as the docs show it; null when there is none */
  readonly default: string | null;
  /** `nginx` directives behave as nginx 1.22's; `postern` ones are ours (docs/directives.md) */
  readonly origin: 'nginx' | 'postern';
  /** accepted and checked, then recorded in MainConfig.ignored (nothing in postern acts on it) */
  readonly ignored?: boolean;
  /** checks and stores one line (for blocks: nothing, `open` does the work) */
  readonly set: (c: SetContext) => void | Promise<void>;
  /** blocks only: the context and level the block's statements go to */
  readonly open?: (c: SetContext) => BlockResult;
}

const take = (...counts: number[]): Arity => ({ kind: 'take', counts });
const T1 = take(1);
const FLAG: Arity = { kind: 'flag' };
const MORE1: Arity = { kind: '1more' };

const IMAP_AUTH = ['plain', 'login', 'cram-md5', 'external'] as const;
const POP3_AUTH = ['plain', 'apop', 'cram-md5', 'external'] as const;
const SMTP_AUTH = ['plain', 'login', 'cram-md5', 'external', 'none'] as const;
const SSL_PROTOCOLS = ['SSLv2', 'SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
const VERIFY = ['off', 'on', 'optional', 'optional_no_ca'] as const;

/** Accepted, checked for arity only. */
const accept = (): void => undefined;

interface Extra {
  readonly default?: string;
  readonly choices?: readonly string[];
  readonly origin?: 'nginx' | 'postern';
  readonly ignored?: boolean;
  readonly merge?: MergeRule;
}

type Set = DirectiveSpec['set'];

function spec(
  name: string,
  contexts: readonly Context[],
  arity: Arity,
  value: ValueKind,
  set: Set,
  x: Extra,
): DirectiveSpec {
  return {
    name,
    contexts,
    block: false,
    arity,
    value,
    set,
    merge: x.merge ?? 'none',
    default: x.default ?? null,
    origin: x.origin ?? 'nginx',
    ...(x.choices === undefined ? {} : { choices: x.choices }),
    ...(x.ignored === true ? { ignored: true } : {}),
  };
}

/** a main-context directive */
const main = (name: string, arity: Arity, value: ValueKind, set: Set, x: Extra = {}): DirectiveSpec =>
  spec(name, ['main'], arity, value, set, x);
/** an events-context directive */
const ev = (name: string, arity: Arity, value: ValueKind, set: Set, x: Extra = {}): DirectiveSpec =>
  spec(name, ['events'], arity, value, set, x);
/** a mail- and server-context directive; `merge` defaults to scalar */
const ms = (name: string, arity: Arity, value: ValueKind, set: Set, x: Extra = {}): DirectiveSpec =>
  spec(name, ['mail', 'server'], arity, value, set, { merge: 'scalar', ...x });
/** a block directive without arguments */
const block = (name: string, context: Context, open: (c: SetContext) => BlockResult): DirectiveSpec => ({
  ...spec(name, [context], take(0), 'block', accept, {}),
  block: true,
  open,
});

const postern = { origin: 'postern' } as const;
const ignored = { ignored: true } as const;
const list = { merge: 'list' } as const;

export const DIRECTIVES: readonly DirectiveSpec[] = [
  // core (src/core/nginx.c, ngx_log.c) — main context
  main('daemon', FLAG, 'flag', flagSlot, { default: 'on' }),
  main('master_process', FLAG, 'flag', flagSlot, { default: 'on' }),
  main('timer_resolution', T1, 'time-ms', msecSlot, ignored),
  main('pid', T1, 'path', strSlot, { default: 'logs/postern.pid' }),
  main('lock_file', T1, 'path', strSlot, ignored),
  main('worker_processes', T1, 'number', setWorkerProcesses, { default: '1' }),
  main('debug_points', T1, 'enum', enumSlot(['stop', 'abort']), { choices: ['stop', 'abort'], ...ignored }),
  main('user', take(1, 2), 'special', setUser),
  main('worker_priority', T1, 'number', setPriority, ignored),
  main('worker_cpu_affinity', MORE1, 'special', setCpuAffinity, ignored),
  main('worker_rlimit_nofile', T1, 'number', numSlot),
  main('worker_rlimit_core', T1, 'offset', offSlot, ignored),
  main('worker_shutdown_timeout', T1, 'time-ms', msecSlot),
  main('working_directory', T1, 'path', strSlot, ignored),
  main('env', T1, 'string', accept, ignored),
  main('load_module', T1, 'path', setLoadModule, ignored),
  main('thread_pool', take(2, 3), 'special', accept, ignored),
  main('pcre_jit', FLAG, 'flag', flagSlot, ignored),
  main('ssl_engine', T1, 'string', strSlot, ignored),
  main('error_log', MORE1, 'special', setErrorLog, { default: 'logs/error.log error' }),
  block('events', 'main', openEvents),
  block('mail', 'main', openMail),
  { ...spec('http', ['main'], take(0), 'block', refuseModule, {}), block: true },
  { ...spec('stream', ['main'], take(0), 'block', refuseModule, {}), block: true },
  main('error_log_format', T1, 'enum', enumSlot(['nginx', 'json']), {
    choices: ['nginx', 'json'],
    default: 'nginx',
    ...postern,
  }),
  main('status_listen', T1, 'address', setStatusListen, postern),
  main('status_allow', T1, 'address', accessRule('allow', 'status_access'), postern),
  main('status_deny', T1, 'address', accessRule('deny', 'status_access'), postern),

  // events (src/event/ngx_event.c, modules/ngx_epoll_module.c)
  ev('worker_connections', T1, 'number', setWorkerConnections, { default: '512' }),
  ev('use', T1, 'enum', setUse, { choices: EVENT_METHODS, ...ignored }),
  ev('multi_accept', FLAG, 'flag', flagSlot, ignored),
  ev('accept_mutex', FLAG, 'flag', flagSlot, ignored),
  ev('accept_mutex_delay', T1, 'time-ms', msecSlot, ignored),
  ev('debug_connection', T1, 'address', setDebugConnection),
  ev('epoll_events', T1, 'number', numSlot, ignored),
  ev('worker_aio_requests', T1, 'number', numSlot, ignored),
  ev('accept_policy', T1, 'enum', enumSlot(['shared', 'least_conn']), {
    choices: ['shared', 'least_conn'],
    default: 'shared',
    ...postern,
  }),

  // mail core (src/mail/ngx_mail_core_module.c)
  block('server', 'mail', openServer),
  spec('listen', ['server'], MORE1, 'address', listenHandler, { merge: 'never' }),
  spec('protocol', ['server'], T1, 'enum', setProtocol, {
    merge: 'never',
    choices: MAIL_PROTOCOLS,
    default: 'from the listen port',
  }),
  ms('timeout', T1, 'time-ms', msecSlot, { default: '60s' }),
  ms('server_name', T1, 'string', strSlot, { default: 'the host name' }),
  ms('error_log', MORE1, 'special', setErrorLog, { merge: 'errorLog', default: 'inherited' }),
  ms('resolver', MORE1, 'special', setResolver, { default: 'off' }),
  ms('resolver_timeout', T1, 'time-ms', msecSlot, { default: '30s' }),
  ms('max_errors', T1, 'number', numSlot, { default: '5' }),

  // auth_http (src/mail/ngx_mail_auth_http_module.c)
  ms('auth_http', T1, 'url', setAuthHttp, { merge: 'authHttp' }),
  ms('auth_http_timeout', T1, 'time-ms', msecSlot, { default: '60s' }),
  ms('auth_http_header', take(2), 'pair', keyvalSlot, list),
  ms('auth_http_pass_client_cert', FLAG, 'flag', flagSlot, { default: 'off' }),
  ms('auth_http_keepalive', T1, 'number', numSlot, { default: '0', ...postern }),
  ms('auth_http_max_response', T1, 'size', sizeSlot, { default: '1024', ...postern }),

  // proxy (src/mail/ngx_mail_proxy_module.c)
  ms('proxy', FLAG, 'flag', flagSlot, { default: 'off', ...ignored }),
  ms('proxy_buffer', T1, 'size', sizeSlot, { default: '4k' }),
  ms('proxy_timeout', T1, 'time-ms', msecSlot, { default: '24h' }),
  ms('proxy_pass_error_message', FLAG, 'flag', flagSlot, { default: 'off' }),
  ms('proxy_protocol', T1, 'enum', setProxyProtocol, { default: 'off', choices: ['off', 'on', 'v2'] }),
  ms('proxy_smtp_auth', FLAG, 'flag', flagSlot, { default: 'off' }),
  ms('xclient', FLAG, 'flag', flagSlot, { default: 'on' }),

  // imap, pop3, smtp (src/mail/ngx_mail_{imap,pop3,smtp}_module.c)
  ms('imap_client_buffer', T1, 'size', sizeSlot, { default: '4k' }),
  ms('imap_capabilities', MORE1, 'list', capabilitiesSlot, { ...list, default: 'IMAP4 IMAP4rev1 UIDPLUS' }),
  ms('imap_auth', MORE1, 'bitmask', bitmaskSlot(IMAP_AUTH), {
    merge: 'bitmask',
    default: 'plain',
    choices: IMAP_AUTH,
  }),
  ms('pop3_capabilities', MORE1, 'list', capabilitiesSlot, { ...list, default: 'TOP USER UIDL' }),
  ms('pop3_auth', MORE1, 'bitmask', bitmaskSlot(POP3_AUTH), {
    merge: 'bitmask',
    default: 'plain',
    choices: POP3_AUTH,
  }),
  ms('pop3_client_buffer', T1, 'size', sizeSlot, { default: '128', ...postern }),
  ms('smtp_client_buffer', T1, 'size', sizeSlot, { default: '4k' }),
  ms('smtp_greeting_delay', T1, 'time-ms', msecSlot, { default: '0' }),
  ms('smtp_capabilities', MORE1, 'list', capabilitiesSlot, list),
  ms('smtp_auth', MORE1, 'bitmask', bitmaskSlot(SMTP_AUTH), {
    merge: 'bitmask',
    default: 'plain login',
    choices: SMTP_AUTH,
  }),

  // ssl (src/mail/ngx_mail_ssl_module.c)
  ms('ssl', FLAG, 'flag', setSsl, { default: 'off' }),
  ms('starttls', T1, 'enum', setStarttls, { default: 'off', choices: ['off', 'on', 'only'] }),
  ms('ssl_certificate', T1, 'path', strArraySlot, list),
  ms('ssl_certificate_key', T1, 'path', strArraySlot, list),
  ms('ssl_password_file', T1, 'path', setPasswordFile),
  ms('ssl_dhparam', T1, 'path', strSlot),
  ms('ssl_ecdh_curve', T1, 'string', strSlot, { default: 'auto' }),
  ms('ssl_protocols', MORE1, 'bitmask', bitmaskSlot(SSL_PROTOCOLS), {
    merge: 'bitmask',
    default: 'TLSv1.2 TLSv1.3',
    choices: SSL_PROTOCOLS,
  }),
  ms('ssl_ciphers', T1, 'string', strSlot, { default: 'HIGH:!aNULL:!MD5' }),
  ms('ssl_prefer_server_ciphers', FLAG, 'flag', flagSlot, { default: 'off' }),
  ms('ssl_session_cache', take(1, 2), 'special', setSessionCache, { default: 'none' }),
  ms('ssl_session_tickets', FLAG, 'flag', flagSlot, { default: 'on' }),
  ms('ssl_session_ticket_key', T1, 'path', strArraySlot, list),
  ms('ssl_session_timeout', T1, 'time-s', secSlot, { default: '5m' }),
  ms('ssl_verify_client', T1, 'enum', enumSlot(VERIFY), { default: 'off', choices: VERIFY }),
  ms('ssl_verify_depth', T1, 'number', numSlot, { default: '1' }),
  ms('ssl_client_certificate', T1, 'path', strSlot),
  ms('ssl_trusted_certificate', T1, 'path', strSlot),
  ms('ssl_crl', T1, 'path', strSlot),
  ms('ssl_conf_command', take(2), 'pair', keyvalSlot, { ...list, ...ignored }),
  ms('ssl_certificate_compression', FLAG, 'flag', flagSlot, { default: 'off' }),
  ms('ssl_sni_certificate', take(3), 'special', setSniCertificate, { ...list, ...postern }),

  // realip (src/mail/ngx_mail_realip_module.c)
  ms('set_real_ip_from', T1, 'address', setRealIpFrom, list),

  // ours: access rules for mail (nginx has allow/deny in http and stream only)
  ms('allow', T1, 'address', accessRule('allow', 'access'), { ...list, ...postern }),
  ms('deny', T1, 'address', accessRule('deny', 'access'), { ...list, ...postern }),
];

const BY_NAME = new Map<string, DirectiveSpec[]>();
for (const s of DIRECTIVES) {
  const list = BY_NAME.get(s.name);
  if (list === undefined) BY_NAME.set(s.name, [s]);
  else list.push(s);
}

export type Lookup =
  | { readonly kind: 'found'; readonly spec: DirectiveSpec }
  | { readonly kind: 'notAllowed' }
  | { readonly kind: 'unknown' };

/** nginx: the module loop of ngx_conf_handler */
export function lookupDirective(name: string, context: Context): Lookup {
  const specs = BY_NAME.get(name);
  const spec = specs?.find((s) => s.contexts.includes(context));
  if (spec !== undefined) return { kind: 'found', spec };
  if (specs !== undefined || FOREIGN_DIRECTIVES.has(name)) return { kind: 'notAllowed' };
  return { kind: 'unknown' };
}

/** nginx: the argument-count check of ngx_conf_handler (NGX_CONF_MAX_ARGS is 8) */
export function arityOk(arity: Arity, argc: number): boolean {
  switch (arity.kind) {
    case 'any':
      return true;
    case 'flag':
      return argc === 1;
    case '1more':
      return argc >= 1;
    case '2more':
      return argc >= 2;
    case 'take':
      return argc <= 7 && arity.counts.includes(argc);
  }
}
