/**
 * The listening sockets the primary holds open, keyed by address (listen-groups.ts), across reloads: a
 * socket whose address stays in the configuration keeps its id and its handle, so workers of the new
 * generation listen on the very same socket (nginx: ngx_init_cycle inherits listening sockets).
 *
 * Owns: binding new sockets all-or-nothing, the ids workers know them by, and closing them (with their
 * unix socket files). Does not own handing them to workers (worker-pool.ts) or accepting on them
 * (least-conn.ts sets `server`).
 */
import type * as net from 'node:net';
import type { MainConfig } from '../config/types.js';
import type { Logger } from '../log/types.js';
import type { ListenerSpec } from './ipc.js';
import { planSockets, type SocketPlan } from './listen-groups.js';
import { bindWithRetries, removeSocketFile, type ServerHandle } from './listeners.js';

export interface ListenSocket {
  /** what workers call it in `listener` and `connection` messages */
  readonly id: number;
  plan: SocketPlan;
  readonly handle: ServerHandle;
  /** least_conn: the primary's own accepting server on the handle */
  server: net.Server | null;
}

export class ListenSockets {
  private readonly byKey = new Map<string, ListenSocket>();
  private nextId = 1;

  /**
   * Binds every socket `config` plans that is not open yet, then points every open socket at its new
   * plan. All or nothing: when one bind fails, the ones this call opened are closed and it throws.
   */
  async open(config: MainConfig, log: Logger): Promise<void> {
    const opened: ListenSocket[] = [];
    try {
      for (const plan of planSockets(config)) {
        const existing = this.byKey.get(plan.key);
        if (existing !== undefined) continue;
        const handle = await bindWithRetries(plan.listen, log);
        opened.push({ id: this.nextId++, plan, handle, server: null });
      }
    } catch (err) {
      for (const s of opened) {
        s.handle.close();
        removeSocketFile(s.plan.listen);
      }
      throw err;
    }
    const plans = planSockets(config);
    for (const s of opened) this.byKey.set(s.plan.key, s);
    for (const plan of plans) {
      const s = this.byKey.get(plan.key);
      if (s !== undefined) s.plan = plan;
    }
  }

  /** The listeners a worker running `config` is given. */
  specsFor(config: MainConfig): ListenerSpec[] {
    const specs: ListenerSpec[] = [];
    for (const plan of planSockets(config)) {
      const s = this.byKey.get(plan.key);
      if (s === undefined) continue;
      specs.push({ id: s.id, addrText: plan.listen.addrText, backlog: plan.listen.backlog, targets: plan.targets });
    }
    return specs;
  }

  /** The open socket with this id, if any. */
  byId(id: number): ListenSocket | undefined {
    for (const s of this.byKey.values()) if (s.id === id) return s;
    return undefined;
  }

  values(): IterableIterator<ListenSocket> {
    return this.byKey.values();
  }

  /** Reload: close the sockets `config` no longer plans. */
  closeUnplanned(config: MainConfig): void {
    const keep = new Set(planSockets(config).map((p) => p.key));
    for (const [key, s] of this.byKey) {
      if (keep.has(key)) continue;
      s.server?.close();
      if (s.server === null) s.handle.close();
      removeSocketFile(s.plan.listen);
      this.byKey.delete(key);
    }
  }

  /** QUIT, TERM: close every socket. */
  closeAll(): void {
    for (const s of this.byKey.values()) {
      if (s.server !== null) s.server.close();
      else s.handle.close();
      removeSocketFile(s.plan.listen);
    }
    this.byKey.clear();
  }
}
