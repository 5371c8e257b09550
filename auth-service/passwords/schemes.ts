/**
 * Dovecot's `{SCHEME}` password prefixes: which scheme a stored password uses, and whether checking it
 * is cheap (done on the event loop) or slow (sent to the piscina pool).
 *
 * Owns: the scheme names we accept (and their aliases), detecting crypt(3) strings that carry no
 * prefix (`$6$`, `$5$`, `$2y$`, `$argon2id$`, as Dovecot's CRYPT does), and the default scheme for
 * bare values. Does not own any hashing.
 */

export const SCHEMES = ['PLAIN', 'SHA512-CRYPT', 'SHA256-CRYPT', 'BLF-CRYPT', 'ARGON2ID', 'SSHA512'] as const;
export type Scheme = (typeof SCHEMES)[number];

/** Schemes that are checked off the event loop (each costs milliseconds). */
export const SLOW_SCHEMES: ReadonlySet<Scheme> = new Set<Scheme>(['SHA512-CRYPT', 'SHA256-CRYPT', 'BLF-CRYPT', 'ARGON2ID']);

const ALIASES: Readonly<Record<string, Scheme | 'CRYPT'>> = {
  PLAIN: 'PLAIN',
  CLEAR: 'PLAIN',
  CLEARTEXT: 'PLAIN',
  'SHA512-CRYPT': 'SHA512-CRYPT',
  'SHA256-CRYPT': 'SHA256-CRYPT',
  'BLF-CRYPT': 'BLF-CRYPT',
  ARGON2ID: 'ARGON2ID',
  SSHA512: 'SSHA512',
  CRYPT: 'CRYPT',
};

export interface StoredPassword {
  readonly scheme: Scheme;
  /** the value after the prefix */
  readonly value: string;
}

/** Scheme of a crypt(3) string by its `$id$`, or null. */
export function detectCrypt(value: string): Scheme | null {
  if (value.startsWith('$6$')) return 'SHA512-CRYPT';
  if (value.startsWith('$5$')) return 'SHA256-CRYPT';
  if (/^\$2[abxy]?\$/.test(value)) return 'BLF-CRYPT';
  if (value.startsWith('$argon2id$')) return 'ARGON2ID';
  return null;
}

/**
 * Splits `{SCHEME}value`. A value without a prefix uses `defaultScheme` (`CRYPT` means: detect by the
 * crypt `$id$`, Dovecot's passwd-file default). Returns a string describing the problem when the
 * scheme is unknown or the value does not fit it.
 */
export function parseStoredPassword(text: string, defaultScheme: Scheme | 'CRYPT'): StoredPassword | string {
  let scheme: Scheme | 'CRYPT' = defaultScheme;
  let value = text;
  if (text.startsWith('{')) {
    const close = text.indexOf('}');
    if (close < 0) return 'unterminated {SCHEME} prefix';
    const name = text.slice(1, close).toUpperCase();
    const known = ALIASES[name];
    if (known === undefined) return `unsupported password scheme ${name}`;
    scheme = known;
    value = text.slice(close + 1);
  }
  if (scheme === 'CRYPT') {
    const detected = detectCrypt(value);
    if (detected === null) return 'unrecognised crypt string';
    return { scheme: detected, value };
  }
  return { scheme, value };
}
