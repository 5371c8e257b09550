/**
 * Per-server IMAP settings, precomputed once at configuration time (nginx: ngx_mail_imap_merge_srv_conf).
 *
 * Owns: the three CAPABILITY line variants and the plain values the machine reads per command. Does not
 * own: parsing nginx directives (config/ does that; worker/ maps a ServerConfig to `ImapSettingsInput`,
 * because protocol/ must not import config/).
 */

import { ProxyError } from '../../errors.js';

export type StartTlsMode = 'off' | 'on' | 'only';

/** The `imap_auth` bitmask. PLAIN and LOGIN are accepted whether or not they are listed; this only gates
 * CRAM-MD5 and EXTERNAL and chooses what CAPABILITY advertises (reference 1.3). */
export interface ImapAuthMethods {
  readonly plain: boolean;
  readonly login: boolean;
  readonly cramMd5: boolean;
  readonly external: boolean;
}

/** Plain values the lead maps from ServerConfig (`imap.*`, `maxErrors`, `ssl.starttls`, `serverName`). */
export interface ImapSettingsInput {
  /** `imap_capabilities`, verbatim entries (nginx default `IMAP4 IMAP4rev1 UIDPLUS` already applied) */
  readonly capabilities: readonly string[];
  readonly auth: ImapAuthMethods;
  /** `imap_client_buffer`: the most bytes one command (literals included) may take */
  readonly clientBufferBytes: number;
  /** `max_errors`: parse-level invalid commands before the session closes (0 closes on the first) */
  readonly maxErrors: number;
  readonly starttls: StartTlsMode;
  /** `server_name`, for the CRAM-MD5 salt */
  readonly serverName: string;
}

export interface ImapSettings {
  /** `* CAPABILITY <caps> <AUTH=...>` CRLF: after TLS, or with `starttls off` */
  readonly capability: Buffer;
  /** `starttls on` before TLS: the normal line plus ` STARTTLS` */
  readonly starttlsCapability: Buffer;
  /** `starttls only` before TLS: the caps, ` STARTTLS LOGINDISABLED`, and no `AUTH=` entries */
  readonly starttlsOnlyCapability: Buffer;
  readonly maxErrors: number;
  readonly clientBufferBytes: number;
  readonly starttls: StartTlsMode;
  readonly auth: ImapAuthMethods;
  readonly serverName: string;
}

/** nginx's fixed order of the AUTH= entries (ngx_mail_imap_auth_methods_names). */
const AUTH_NAMES: readonly (readonly [keyof ImapAuthMethods, string])[] = [
  ['plain', 'AUTH=PLAIN'],
  ['login', 'AUTH=LOGIN'],
  ['cramMd5', 'AUTH=CRAM-MD5'],
  ['external', 'AUTH=EXTERNAL'],
];

/** Builds the settings a session's machine reads; call once per server at configuration time. */
export function makeImapSettings(input: ImapSettingsInput): ImapSettings {
  if (!Number.isInteger(input.clientBufferBytes) || input.clientBufferBytes < 1) {
    throw new ProxyError('ERR_INTERNAL', 'imap client buffer size must be a positive integer', {
      details: { clientBufferBytes: input.clientBufferBytes },
    });
  }
  if (!Number.isInteger(input.maxErrors) || input.maxErrors < 0) {
    throw new ProxyError('ERR_INTERNAL', 'max_errors must be a non-negative integer', {
      details: { maxErrors: input.maxErrors },
    });
  }
  // nginx: ngx_mail_imap_merge_srv_conf. Entries are not validated: "SIZE 1000" goes out verbatim.
  let caps = '* CAPABILITY';
  for (const c of input.capabilities) caps += ` ${c}`;
  let auth = '';
  for (const [key, name] of AUTH_NAMES) if (input.auth[key]) auth += ` ${name}`;
  const auth2: ImapAuthMethods = Object.freeze({ ...input.auth });
  return Object.freeze({
    capability: Buffer.from(`${caps}${auth}\r\n`, 'latin1'),
    starttlsCapability: Buffer.from(`${caps}${auth} STARTTLS\r\n`, 'latin1'),
    starttlsOnlyCapability: Buffer.from(`${caps} STARTTLS LOGINDISABLED\r\n`, 'latin1'),
    maxErrors: input.maxErrors,
    clientBufferBytes: input.clientBufferBytes,
    starttls: input.starttls,
    auth: auth2,
    serverName: input.serverName,
  });
}
