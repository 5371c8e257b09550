/**
 * Which sockets to open for the configured `listen`s (reference 2.4, nginx: ngx_mail_add_ports,
 * ngx_mail_optimize_servers): per family and port, a wildcard (`0.0.0.0`, `::`) and every `bind`
 * address get their own socket; other specific addresses share the wildcard's socket, and the worker
 * picks their server by the connection's local address. Without a wildcard, every address is a socket.
 *
 * Owns: the grouping and the socket identity used to keep sockets across reloads. Pure.
 */
import type { ListenConfig, MainConfig } from '../config/types.js';
import type { ListenerTarget } from './ipc.js';

export interface SocketPlan {
  /** identity across reloads: same key → the same open socket is kept */
  readonly key: string;
  readonly listen: ListenConfig;
  readonly targets: readonly ListenerTarget[];
}

/** Socket identity: what cannot change on an open socket (address, port, IPV6_V6ONLY). */
export function socketKey(l: ListenConfig): string {
  if (l.kind === 'unix') return `unix:${l.host}`;
  return `${l.family}|${l.host}|${l.port}|${l.family === 6 && l.ipv6only ? 'v6only' : ''}`;
}

function isWildcard(l: ListenConfig): boolean {
  return l.kind === 'tcp' && (l.host === '0.0.0.0' || l.host === '::');
}

interface Entry {
  readonly listen: ListenConfig;
  readonly target: ListenerTarget;
}

/** The sockets a configuration needs, in configuration order of their first listen. */
export function planSockets(config: MainConfig): SocketPlan[] {
  const servers = config.mail?.servers ?? [];
  // family|port → entries, in order of appearance
  const ports = new Map<string, Entry[]>();
  const unix: Entry[] = [];
  servers.forEach((server, serverIndex) => {
    server.listens.forEach((listen, listenIndex) => {
      const entry: Entry = {
        listen,
        target: { serverIndex, listenIndex, host: listen.kind === 'unix' ? '' : listen.host, port: listen.port },
      };
      if (listen.kind === 'unix') {
        unix.push(entry);
        return;
      }
      const k = `${listen.family}|${listen.port}`;
      const list = ports.get(k);
      if (list === undefined) ports.set(k, [entry]);
      else list.push(entry);
    });
  });

  const plans: SocketPlan[] = [];
  for (const entries of ports.values()) {
    const wildcard = entries.find((e) => isWildcard(e.listen));
    if (wildcard === undefined) {
      for (const e of entries) plans.push({ key: socketKey(e.listen), listen: e.listen, targets: [e.target] });
      continue;
    }
    // nginx sorts bind entries first and the wildcard last; the order of sockets does not matter here
    for (const e of entries) {
      if (e !== wildcard && e.listen.bind) {
        plans.push({ key: socketKey(e.listen), listen: e.listen, targets: [e.target] });
      }
    }
    const shared = entries.filter((e) => e !== wildcard && !e.listen.bind).map((e) => e.target);
    plans.push({ key: socketKey(wildcard.listen), listen: wildcard.listen, targets: [wildcard.target, ...shared] });
  }
  for (const e of unix) plans.push({ key: socketKey(e.listen), listen: e.listen, targets: [e.target] });
  return plans;
}
