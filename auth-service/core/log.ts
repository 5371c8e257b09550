/**
 * The logger shape the service writes to: pino's methods, so production passes a pino logger and
 * tests pass a recorder. Owns nothing else. Credentials never go into a log call.
 */
export type LogFn = (obj: Record<string, unknown>, msg: string) => void;

export interface Log {
  readonly debug: LogFn;
  readonly info: LogFn;
  readonly warn: LogFn;
  readonly error: LogFn;
}

const noop: LogFn = () => undefined;
export const SILENT_LOG: Log = { debug: noop, info: noop, warn: noop, error: noop };
