/**
 * SMTP settings, precomputed once per server block (nginx: ngx_mail_smtp_merge_srv_conf).
 *
 * Owns: the plain input the lead maps from ServerConfig (protocol/ never imports config/), and every
 * reply that depends on it — the greeting, the HELO reply and the three EHLO variants (normal, with
 * STARTTLS, `starttls only`) — built as Buffers once.
 * Does not own per-session values (the CRAM-MD5 salt, the resolved host name): see `machine.ts`.
 */
import { ProxyError } from '../../errors.js';

export type StarttlsMode = 'off' | 'on' | 'only';

/** What the lead passes in: final values from ServerConfig (`smtp_*`, `starttls`, `server_name`, `resolver`, `max_errors`). */
export interface SmtpSettingsInput {
  readonly serverName: string;
  /** `smtp_auth` */
  readonly auth: {
    readonly plain: boolean;
    readonly login: boolean;
    readonly cramMd5: boolean;
    readonly external: boolean;
    readonly none: boolean;
  };
  /** `smtp_capabilities` entries, verbatim (each becomes one `250-` line) */
  readonly capabilities: readonly string[];
  readonly starttls: StarttlsMode;
  /** `resolver` is not `off`: the session starts with a client host name lookup */
  readonly resolver: boolean;
  /** `smtp_greeting_delay`, 0 = none */
  readonly greetingDelayMs: number;
  /** `max_errors`: parse-level invalid commands before the session closes (0 closes on the first) */
  readonly maxErrors: number;
  /** `smtp_client_buffer` (nginx default: one page) */
  readonly clientBufferBytes: number;
}

export interface SmtpSettings {
  readonly serverName: string;
  readonly starttls: StarttlsMode;
  readonly resolver: boolean;
  readonly greetingDelayMs: number;
  readonly maxErrors: number;
  readonly clientBufferBytes: number;
  readonly cramMd5Enabled: boolean;
  readonly externalEnabled: boolean;
  readonly noneEnabled: boolean;
  /** `220 <server_name> ESMTP ready` */
  readonly greeting: Buffer;
  /** `250 <server_name>`, the HELO reply */
  readonly helo: Buffer;
  /** EHLO reply: normal, and after TLS */
  readonly ehlo: Buffer;
  /** EHLO reply with `250 STARTTLS` last (`starttls on`, no TLS yet) */
  readonly ehloStarttls: Buffer;
  /** EHLO reply without the AUTH line, `250 STARTTLS` last (`starttls only`, no TLS yet) */
  readonly ehloStarttlsOnly: Buffer;
}

/** Multi-line reply from its lines: `250-` on every line but the last, which gets `250 `. */
function multiline(lines: readonly string[]): Buffer {
  const text = lines.map((l, i) => `${i === lines.length - 1 ? '250 ' : '250-'}${l}\r\n`).join('');
  return Buffer.from(text, 'utf8');
}

/** Config text (capabilities, server_name) is UTF-8 as read from the file; replies carry its bytes. */
export function makeSmtpSettings(input: SmtpSettingsInput): SmtpSettings {
  // A bad value here is a bug in the caller's mapping (config validated it), not a user error.
  if (!Number.isInteger(input.clientBufferBytes) || input.clientBufferBytes < 1) {
    throw new ProxyError('ERR_INTERNAL', 'client buffer size must be a positive integer', {
      details: { clientBufferBytes: input.clientBufferBytes },
    });
  }
  if (!Number.isInteger(input.maxErrors) || input.maxErrors < 0) {
    throw new ProxyError('ERR_INTERNAL', 'max_errors must be a non-negative integer', { details: { maxErrors: input.maxErrors } });
  }
  if (!Number.isFinite(input.greetingDelayMs) || input.greetingDelayMs < 0) {
    throw new ProxyError('ERR_INTERNAL', 'greeting delay must be a non-negative number', {
      details: { greetingDelayMs: input.greetingDelayMs },
    });
  }
  const mechs: string[] = [];
  if (input.auth.plain) mechs.push('PLAIN');
  if (input.auth.login) mechs.push('LOGIN');
  if (input.auth.cramMd5) mechs.push('CRAM-MD5');
  if (input.auth.external) mechs.push('EXTERNAL');
  const base = [input.serverName, ...input.capabilities];
  // nginx: the AUTH line only when at least one SASL mechanism is enabled (`none` is not one).
  const withAuth = mechs.length > 0 ? [...base, `AUTH ${mechs.join(' ')}`] : base;
  return Object.freeze({
    serverName: input.serverName,
    starttls: input.starttls,
    resolver: input.resolver,
    greetingDelayMs: input.greetingDelayMs,
    maxErrors: input.maxErrors,
    clientBufferBytes: input.clientBufferBytes,
    cramMd5Enabled: input.auth.cramMd5,
    externalEnabled: input.auth.external,
    noneEnabled: input.auth.none,
    greeting: Buffer.from(`220 ${input.serverName} ESMTP ready\r\n`, 'utf8'),
    helo: Buffer.from(`250 ${input.serverName}\r\n`, 'utf8'),
    ehlo: multiline(withAuth),
    ehloStarttls: multiline([...withAuth, 'STARTTLS']),
    ehloStarttlsOnly: multiline([...base, 'STARTTLS']),
  });
}
