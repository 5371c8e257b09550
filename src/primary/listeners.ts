/**
 * The primary's listening sockets, created BOUND BUT NOT LISTENING with Node's
 * `net._createServerHandle` (what cluster's shared handles use): the first worker's listen() makes
 * the socket listen, and because the primary keeps its own descriptor, a dying worker or a reload
 * never closes the socket (connections wait in the backlog instead of being refused).
 *
 * Owns: bind with nginx's retries and messages, unix socket file mode and removal, closing.
 * Does not own which sockets exist (listen-groups.ts) or accepting (workers; least_conn.ts).
 */
import { BIND_RETRY_DELAY_MS, BIND_TRIES } from '../limits.js';
import * as net from 'node:net';
import { chmodSync, unlinkSync } from 'node:fs';
import { getSystemErrorName } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ListenConfig } from '../config/types.js';
import type { Logger } from '../log/types.js';
import { systemError } from '../errno.js';
import { ProxyError } from '../errors.js';

/** A libuv TCP or Pipe handle; opaque except for close() and its descriptor. */
export interface ServerHandle {
  close(): void;
  readonly fd?: number;
}

type CreateServerHandle = (
  address: string,
  port: number,
  addressType: number,
  fd: number | undefined,
  flags: number,
) => ServerHandle | number;

const createServerHandle = (net as unknown as { _createServerHandle: CreateServerHandle })._createServerHandle;

// libuv's UV_TCP_IPV6ONLY, read from Node's binding rather than hard-coded.
const UV_TCP_IPV6ONLY: number = (() => {
  const binding = (process as unknown as { binding(name: string): { constants?: { UV_TCP_IPV6ONLY?: number } } })
    .binding('tcp_wrap');
  return binding.constants?.UV_TCP_IPV6ONLY ?? 1;
})();


export type BindResult =
  | { readonly ok: true; readonly handle: ServerHandle }
  | { readonly ok: false; readonly code: string; readonly message: string };

function bindFailure(listen: ListenConfig, code: string): BindResult {
  const info = systemError({ code });
  const suffix = info === null ? '' : ` (${info.errno}: ${info.text})`;
  return { ok: false, code, message: `bind() to ${listen.addrText} failed${suffix}` };
}

/** One bind attempt; `message` is nginx's `bind() to <addr> failed (<errno>: <text>)`. */
export function bindOnce(listen: ListenConfig): BindResult {
  const result =
    listen.kind === 'unix'
      ? createServerHandle(listen.host, -1, -1, undefined, 0)
      : createServerHandle(
          listen.host,
          listen.port,
          listen.family === 6 ? 6 : 4,
          undefined,
          listen.family === 6 && listen.ipv6only ? UV_TCP_IPV6ONLY : 0,
        );
  if (typeof result === 'number') return bindFailure(listen, getSystemErrorName(result));
  if (listen.kind === 'tcp' && listen.port !== 0) {
    // libuv keeps a bind() EADDRINUSE as a "delayed error" for listen() (uv__tcp_bind); the primary
    // never listens, so find it here: an unbound socket reports no port.
    const out: { port?: number } = {};
    const err = (result as unknown as { getsockname(o: object): number }).getsockname(out);
    if (err !== 0 || out.port !== listen.port) {
      result.close();
      return bindFailure(listen, 'EADDRINUSE');
    }
  }
  if (listen.kind === 'unix') {
    // nginx makes unix listening sockets connectable by everyone (ngx_open_listening_sockets).
    try {
      chmodSync(listen.host, 0o666);
    } catch {
      // the socket still works for its owner; nginx logs and goes on
    }
  }
  return { ok: true, handle: result };
}

/**
 * Bind with nginx's retries, logging each failure at emerg; throws ProxyError(ERR_LISTEN) with
 * `still could not bind()` when the address stays in use, or at once for any other error.
 */
export async function bindWithRetries(listen: ListenConfig, log: Logger, tries = BIND_TRIES): Promise<ServerHandle> {
  for (let attempt = 1; ; attempt++) {
    const r = bindOnce(listen);
    if (r.ok) return r.handle;
    log.emerg(r.message);
    if (r.code !== 'EADDRINUSE') throw new ProxyError('ERR_LISTEN', r.message);
    if (attempt >= tries) throw new ProxyError('ERR_LISTEN', 'still could not bind()');
    await sleep(BIND_RETRY_DELAY_MS);
  }
}

/** `-t`: bind and close at once; an address in use passes (a running instance may hold it). */
export function testBind(listen: ListenConfig): string | null {
  const r = bindOnce(listen);
  if (r.ok) {
    r.handle.close();
    if (listen.kind === 'unix') removeSocketFile(listen);
    return null;
  }
  return r.code === 'EADDRINUSE' ? null : r.message;
}

/** nginx deletes unix socket files when the master exits (ngx_close_listening_sockets). */
export function removeSocketFile(listen: ListenConfig): void {
  if (listen.kind !== 'unix') return;
  try {
    unlinkSync(listen.host);
  } catch {
    // already gone
  }
}
