/**
 * Picking the server of a connection on a shared socket (reference 2.4, nginx:
 * ngx_mail_init_connection): the listen whose address equals the connection's local address
 * (getsockname), else the socket's own (wildcard) listen. Pure.
 */
import type { ListenerSpec, ListenerTarget } from './ipc.js';

export function selectTarget(spec: ListenerSpec, localAddress: string | undefined, localPort: number | undefined): ListenerTarget {
  const own = spec.targets[0];
  if (own === undefined) throw new RangeError(`listener ${spec.id} has no targets`);
  if (spec.targets.length === 1 || localAddress === undefined) return own;
  for (let i = 1; i < spec.targets.length; i++) {
    const t = spec.targets[i];
    if (t !== undefined && t.host === localAddress && t.port === localPort) return t;
  }
  return own;
}
