/**
 * Which ConnectionHandler a worker runs: real sessions (session-handler.ts), reporting to the worker's
 * metrics (metrics/worker-metrics.ts) when one is given.
 *
 * Owns: that choice and its wiring. Does not own sessions or metrics.
 */
import type { MainConfig } from '../config/types.js';
import type { ConnectionHandlerFactory } from './connection-handler.js';
import { SessionHandler } from './session-handler.js';
import { NULL_METRICS, type SessionMetrics } from '../metrics/types.js';
import type { TicketKeySet } from '../tls/ticket-keys.js';

/**
 * Builds the handler of one configuration generation (a ConnectionHandlerFactory); `metrics` defaults
 * to dropping every event (`master_process off` has no primary to report to).
 */
export function createConnectionHandler(
  config: MainConfig,
  metrics: SessionMetrics = NULL_METRICS,
  ticketKeys: TicketKeySet | null = null,
): ReturnType<ConnectionHandlerFactory> {
  return new SessionHandler(config, { metrics, ticketKeys });
}
