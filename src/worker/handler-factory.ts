/**
 * Which ConnectionHandler a worker runs: real sessions (session-handler.ts).
 */
import type { ConnectionHandlerFactory } from './connection-handler.js';
import { SessionHandler } from './session-handler.js';

export const createConnectionHandler: ConnectionHandlerFactory = (config) => new SessionHandler(config);
