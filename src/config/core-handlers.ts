/**
 * Handlers of the main- and events-context directives that are more than a generic slot: worker
 * processes, user, priority, CPU affinity, load_module, error_log, the events and mail blocks, status
 * listener, worker_connections, use, debug_connection.
 *
 * Owns: the checks and texts of ngx_set_worker_processes, ngx_set_user, ngx_set_priority,
 * ngx_set_cpu_affinity, ngx_load_module (src/core/nginx.c), ngx_events_block, ngx_event_connections,
 * ngx_event_use, ngx_event_debug_connection (src/event/ngx_event.c) and ngx_mail_block's duplicate rule.
 * Does not own: the table (directives.ts) or defaults (resolve.ts).
 */
import { parseAddressRule } from './address-rules.js';
import { parseErrorLog } from './error-log.js';
import { Level } from './level.js';
import type { BlockResult, SetContext } from './state.js';
import { parseUrl } from './url.js';
import { atoi } from './values.js';

/** Debian's nginx 1.22 on Linux has only the epoll event module (`use select` is "invalid event type" there). */
export const EVENT_METHODS = ['epoll'];

/** nginx: CPU_SETSIZE */
const CPU_SETSIZE = 1024;

/** nginx: ngx_set_worker_processes */
export function setWorkerProcesses(c: SetContext): void {
  if (c.level.has(c.name)) throw c.fail('is duplicate');
  const v = c.args[0] ?? '';
  const n = v === 'auto' ? c.state.env.cpuCount : atoi(v);
  if (n === null) throw c.fail('invalid value');
  c.level.set(c.name, n, c.source);
}

/** nginx: ngx_set_user */
export function setUser(c: SetContext): void {
  if (c.level.has(c.name)) throw c.fail('is duplicate');
  if (!c.state.env.isRoot) {
    c.warn(
      'the "user" directive makes sense only if the master process runs with super-user privileges, ignored',
    );
    return;
  }
  const user = c.args[0] ?? '';
  if (!c.state.env.userExists(user)) throw c.error(`getpwnam("${user}") failed`);
  const group = c.args[1] ?? user;
  if (!c.state.env.groupExists(group)) throw c.error(`getgrnam("${group}") failed`);
  c.level.set(c.name, { user, group }, c.source);
}

/** nginx: ngx_set_priority (a value of 0 does not count as set, so a later line is no duplicate) */
export function setPriority(c: SetContext): void {
  if ((c.level.value('worker_priority') ?? 0) !== 0) throw c.fail('is duplicate');
  const v = c.args[0] ?? '';
  const signed = v.startsWith('-') || v.startsWith('+');
  const n = atoi(signed ? v.slice(1) : v);
  if (n === null) throw c.fail('invalid number');
  c.level.set(c.name, v.startsWith('-') ? -n : n, c.source);
}

/** nginx: ngx_set_cpu_affinity */
export function setCpuAffinity(c: SetContext): void {
  if (c.level.has(c.name)) throw c.fail('is duplicate');
  c.level.set(c.name, c.args, c.source);
  let n = 0;
  if (c.args[0] === 'auto') {
    if (c.args.length > 2) throw c.error('invalid number of arguments in "worker_cpu_affinity" directive');
    n = 1;
  }
  for (; n < c.args.length; n++) {
    const mask = c.args[n] ?? '';
    if (mask.length > CPU_SETSIZE) {
      throw c.error(`"worker_cpu_affinity" supports up to ${String(CPU_SETSIZE)} CPUs only`);
    }
    for (let i = mask.length - 1; i >= 0; i--) {
      const ch = mask.charAt(i);
      if (ch !== ' ' && ch !== '0' && ch !== '1')
        throw c.error(`invalid character "${ch}" in "worker_cpu_affinity"`);
    }
  }
}

/** nginx: ngx_load_module — postern has no loadable modules; only nginx's ordering rule is kept. */
export function setLoadModule(c: SetContext): void {
  if (c.state.modulesUsed) throw c.fail('is specified too late');
}

/** nginx: ngx_log_set_log for the main level (every line is used) */
export async function setErrorLog(c: SetContext): Promise<void> {
  const log = await parseErrorLog({
    args: c.args,
    prefix: c.state.env.prefix,
    lookup: c.state.env.lookup,
    source: c.source,
    error: (m) => c.error(m),
  });
  c.level.push('error_log', log, c.source);
}

/** nginx: ngx_events_block */
export function openEvents(c: SetContext): BlockResult {
  if (c.state.events !== null) throw c.fail('is duplicate');
  c.state.modulesUsed = true;
  const level = new Level('events', c.source);
  c.state.events = level;
  return { context: 'events', level };
}

/** nginx: ngx_mail_block */
export function openMail(c: SetContext): BlockResult {
  if (c.state.mail !== null) throw c.fail('is duplicate');
  c.state.modulesUsed = true;
  const level = new Level('mail', c.source);
  c.state.mail = level;
  return {
    context: 'mail',
    level,
    close: () => {
      c.state.onMailClose();
    },
  };
}

/** postern serves mail only: an http{} or stream{} block would silently do nothing, so it is refused. */
export function refuseModule(c: SetContext): void {
  throw c.error(`the "${c.name}" module is not supported by postern`);
}

/** Ours: `status_listen addr:port` (or a port, meaning 0.0.0.0) */
export async function setStatusListen(c: SetContext): Promise<void> {
  if (c.level.has(c.name)) throw c.fail('is duplicate');
  const text = c.args[0] ?? '';
  const r = await parseUrl(text, {
    listen: true,
    uriPart: false,
    defaultPort: 0,
    lookup: c.state.env.lookup,
  });
  if (!r.ok) throw c.error(`${r.err} in "${text}" of the "status_listen" directive`);
  const url = r.url;
  if (url.kind === 'unix')
    throw c.error(`invalid value "${text}": status_listen needs an address and a port`);
  const a = url.addrs[0];
  if (a === undefined || url.noPort || url.addrs.length !== 1 || a.port === 0) {
    throw c.error(`invalid value "${text}": status_listen needs one address and one port`);
  }
  c.level.set(c.name, { host: a.ip, port: a.port }, c.source);
}

/** nginx: ngx_event_connections */
export function setWorkerConnections(c: SetContext): void {
  if (c.level.has(c.name)) throw c.fail('is duplicate');
  const n = atoi(c.args[0] ?? '');
  if (n === null) throw c.error(`invalid number "${c.args[0] ?? ''}"`);
  c.level.set(c.name, n, c.source);
}

/** nginx: ngx_event_use */
export function setUse(c: SetContext): void {
  if (c.level.has(c.name)) throw c.fail('is duplicate');
  const v = c.args[0] ?? '';
  if (!EVENT_METHODS.includes(v)) throw c.error(`invalid event type "${v}"`);
  c.level.set(c.name, v, c.source);
}

export async function setDebugConnection(c: SetContext): Promise<void> {
  for (const r of await parseAddressRule(c, 'debug_connection')) c.level.push(c.name, r, c.source);
}
