/**
 * POP3 settings, precomputed once per server block (nginx: ngx_mail_pop3_merge_srv_conf).
 *
 * Owns: the plain input the lead maps from ServerConfig (protocol/ never imports config/), and every
 * reply that depends on it — the three CAPA variants, the plain CAPA for the `user` state (Q-12) and the
 * `AUTH` mechanism listing — built as Buffers so a session only copies references.
 * Does not own per-session values (the salt): see `machine.ts`.
 */
import { ProxyError } from '../../errors.js';

export type StarttlsMode = 'off' | 'on' | 'only';

/** What the lead passes in: final values from ServerConfig (`pop3_*`, `starttls`, `server_name`, `max_errors`). */
export interface Pop3SettingsInput {
  readonly serverName: string;
  /** `pop3_auth`; `plain` also enables the LOGIN SASL mechanism, as in nginx */
  readonly auth: { readonly plain: boolean; readonly apop: boolean; readonly cramMd5: boolean; readonly external: boolean };
  /** `pop3_capabilities` entries, verbatim; empty means nginx's default `TOP USER UIDL` */
  readonly capabilities: readonly string[];
  readonly starttls: StarttlsMode;
  /** `max_errors`: parse-level invalid commands before the session closes (0 closes on the first) */
  readonly maxErrors: number;
  /** Ours (`pop3_client_buffer`, default POP3_CLIENT_BUFFER_DEFAULT): nginx hard-codes 128 bytes */
  readonly clientBufferBytes: number;
}

export interface Pop3Settings {
  readonly serverName: string;
  readonly starttls: StarttlsMode;
  readonly maxErrors: number;
  /** the client command buffer: a command longer than this is "too long" (reference 4.0.3) */
  readonly clientBufferBytes: number;
  readonly apopEnabled: boolean;
  readonly cramMd5Enabled: boolean;
  readonly externalEnabled: boolean;
  /** a salt is made at connect time and shown in the greeting (APOP or CRAM-MD5 enabled) */
  readonly needsSalt: boolean;
  /** CAPA reply: normal, and after TLS; also the one for the `user` state (Q-12, mirrored) */
  readonly capa: Buffer;
  /** CAPA with `STLS` added (`starttls on`, no TLS yet) */
  readonly capaStarttls: Buffer;
  /** CAPA for `starttls only` before TLS: no USER, no SASL line, STLS */
  readonly capaStarttlsOnly: Buffer;
  /** reply to `AUTH` without arguments */
  readonly authListing: Buffer;
}

export const POP3_DEFAULT_CAPABILITIES: readonly string[] = ['TOP', 'USER', 'UIDL'];

/** A bad value here is a bug in the caller's mapping (config validated it), not a user error. */
export function checkLimits(clientBufferBytes: number, maxErrors: number): void {
  if (!Number.isInteger(clientBufferBytes) || clientBufferBytes < 1) {
    throw new ProxyError('ERR_INTERNAL', 'client buffer size must be a positive integer', { details: { clientBufferBytes } });
  }
  if (!Number.isInteger(maxErrors) || maxErrors < 0) {
    throw new ProxyError('ERR_INTERNAL', 'max_errors must be a non-negative integer', { details: { maxErrors } });
  }
}

/** nginx's mechanism order for the SASL line and the AUTH listing. */
function mechanisms(auth: Pop3SettingsInput['auth']): string[] {
  const out: string[] = [];
  if (auth.plain) out.push('PLAIN', 'LOGIN');
  if (auth.cramMd5) out.push('CRAM-MD5');
  if (auth.external) out.push('EXTERNAL');
  return out;
}

/** Config text (capabilities, server_name) is UTF-8 as read from the file; replies carry its bytes. */
export function makePop3Settings(input: Pop3SettingsInput): Pop3Settings {
  checkLimits(input.clientBufferBytes, input.maxErrors);
  const caps = input.capabilities.length > 0 ? input.capabilities : POP3_DEFAULT_CAPABILITIES;
  const mechs = mechanisms(input.auth);
  const head = '+OK Capability list follows\r\n';
  const capLines = caps.map((c) => `${c}\r\n`).join('');
  const sasl = `SASL${mechs.map((m) => ` ${m}`).join('')}\r\n`;
  const capa = `${head}${capLines}${sasl}.\r\n`;
  const capaStarttls = `${head}${capLines}${sasl}STLS\r\n.\r\n`;
  // nginx compares case-insensitively with "USER" and drops that entry: USER is refused before TLS.
  const onlyLines = caps
    .filter((c) => c.toUpperCase() !== 'USER')
    .map((c) => `${c}\r\n`)
    .join('');
  const capaStarttlsOnly = `${head}${onlyLines}STLS\r\n.\r\n`;
  const authListing = `+OK methods supported:\r\n${mechs.map((m) => `${m}\r\n`).join('')}.\r\n`;
  return Object.freeze({
    serverName: input.serverName,
    starttls: input.starttls,
    maxErrors: input.maxErrors,
    clientBufferBytes: input.clientBufferBytes,
    apopEnabled: input.auth.apop,
    cramMd5Enabled: input.auth.cramMd5,
    externalEnabled: input.auth.external,
    needsSalt: input.auth.apop || input.auth.cramMd5,
    capa: Buffer.from(capa, 'utf8'),
    capaStarttls: Buffer.from(capaStarttls, 'utf8'),
    capaStarttlsOnly: Buffer.from(capaStarttlsOnly, 'utf8'),
    authListing: Buffer.from(authListing, 'utf8'),
  });
}
