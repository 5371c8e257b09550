/**
 * Operational faults: the only place error codes exist (STYLE 2.4). Client protocol mistakes are not
 * errors here (they are values that become replies); bugs are `node:assert` failures.
 *
 * `docs/errors.md` lists every code; a test keeps the two in step.
 */

export const ERROR_CODES = {
  ERR_CONFIG_SYNTAX: 'the configuration cannot be parsed or validated',
  ERR_CONFIG_FILE: 'a configuration file cannot be read',
  ERR_CLI_USAGE: 'the command line is not valid',
  ERR_PID_FILE: 'the pid file cannot be read, written or holds no valid pid',
  ERR_LISTEN: 'a listening socket cannot be opened',
  ERR_AUTH_HTTP_CONNECT: 'the auth_http service cannot be reached',
  ERR_AUTH_HTTP_TIMEOUT: 'the auth_http service did not answer within auth_http_timeout',
  ERR_AUTH_HTTP_RESPONSE: 'the auth_http response is malformed, too large or incomplete',
  ERR_UPSTREAM_CONNECT: 'the backend cannot be reached',
  ERR_UPSTREAM_TIMEOUT: 'the backend did not complete the login within timeout',
  ERR_UPSTREAM_RESPONSE: 'the backend rejected the login or sent an invalid reply',
  ERR_TLS_CONFIG: 'certificates, keys or TLS parameters cannot be loaded',
  ERR_TLS_HANDSHAKE: 'a TLS handshake failed',
  ERR_IPC: 'a message between primary and worker is malformed',
  ERR_INTERNAL: 'an unexpected internal failure',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Details never hold secrets: no passwords, no auth response bodies, no client payloads. */
export type ErrorDetails = Readonly<Record<string, string | number | boolean | null>>;

export class ProxyError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: ErrorDetails }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProxyError';
    this.code = code;
    this.details = options?.details ?? {};
  }
}

/**
 * A configuration error in nginx's words. `message` is nginx's text without the location
 * (`"auth_http" directive is duplicate`); `toString()` adds ` in <file>:<line>` when known,
 * which is exactly what follows `[emerg] ` in nginx's output.
 */
export class ConfigError extends ProxyError {
  readonly file: string | null;
  readonly line: number | null;
  constructor(message: string, where?: { file: string; line: number } | null, code: ErrorCode = 'ERR_CONFIG_SYNTAX') {
    super(code, message, { details: where ? { file: where.file, line: where.line } : {} });
    this.name = 'ConfigError';
    this.file = where?.file ?? null;
    this.line = where?.line ?? null;
  }
  /** nginx's form: `<text> in <file>:<line>` (or just `<text>`). */
  override toString(): string {
    return this.file === null ? this.message : `${this.message} in ${this.file}:${String(this.line)}`;
  }
}
