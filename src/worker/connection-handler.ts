/**
 * How the worker starts a session on an accepted connection. The worker owns accepting, limits,
 * the `connected to` log line and draining; a ConnectionHandler owns everything after that.
 * `placeholder-session.ts` implements it until the protocol sessions land.
 *
 * Owns: the contract between the worker's process code and session code. No behaviour.
 */
import type { Socket } from 'node:net';
import type { ListenConfig, MainConfig, ServerConfig } from '../config/types.js';
import type { Logger } from '../log/types.js';
import type { TicketKeySet } from '../tls/ticket-keys.js';

export interface ConnectionContext {
  /** nginx's connection number `*<cid>`, unique across the workers of a running primary */
  readonly cid: number;
  /** the server chosen by the connection's local address (reference 2.4) */
  readonly server: ServerConfig;
  /** the listen that matched; its `addrText` is nginx's `server:` in log lines */
  readonly listen: ListenConfig;
  /** the server's error_log (server → mail → main already resolved) */
  readonly logger: Logger;
}

export type ShutdownReason = 'shutdown' | 'fast';

export interface SessionHandle {
  /** settles when the session has released its socket(s); never rejects */
  readonly closed: Promise<void>;
  /**
   * `shutdown`: worker_shutdown_timeout expired during a graceful drain (nginx logs
   * `shutdown timeout` for relay sessions). `fast`: TERM/INT, close now.
   */
  shutdown(reason: ShutdownReason): void;
}

export interface ConnectionHandler {
  /** Takes ownership of `socket` (which already has an `error` listener). Must not throw. */
  start(socket: Socket, context: ConnectionContext): SessionHandle;
  /** Called once when the worker exits; releases pools, timers, TLS contexts. */
  close?(): void;
  /** The primary rotated the shared session-ticket key. */
  setTicketKeys?(keys: TicketKeySet): void;
}

/** Builds the handler of one configuration generation (a worker serves exactly one). */
export type ConnectionHandlerFactory = (config: MainConfig) => ConnectionHandler | Promise<ConnectionHandler>;
