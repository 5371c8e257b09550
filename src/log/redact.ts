/**
 * Keeping credentials out of log lines (STYLE 2.4): structured fields whose key names a secret are
 * replaced, and client command lines that carry one are masked before anyone logs them.
 *
 * Owns: what counts as a secret key and how a command line is masked. Does not own the decision of
 * what to log; callers use these before passing data to a Logger.
 */

export const REDACTED = '[redacted]';

/** Field names that may hold a password, SASL response, token or digest. */
const SECRET_KEY = /pass|secret|token|authori[sz]ation|cookie|credential|digest|response|salt/i;

/** True when a structured field with this name must not be logged as is. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** A copy of `fields` with every secret-named value replaced by `[redacted]`. */
export function redactFields(
  fields: Readonly<Record<string, string | number | boolean | null>>,
): Record<string, string | number | boolean | null> {
  const out: Record<string, string | number | boolean | null> = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = isSecretKey(key) ? REDACTED : value;
  }
  return out;
}

// `[tag ]VERB rest`: IMAP LOGIN/AUTHENTICATE (tagged), POP3 PASS/APOP/AUTH, SMTP AUTH.
const CREDENTIAL_COMMAND = /^(\s*(?:[A-Za-z0-9._-]+ +)?)(LOGIN|PASS|APOP|AUTH|AUTHENTICATE)\b(.*)$/is;

/**
 * A client command line with its credential arguments masked: `a1 LOGIN ***`, `PASS ***`,
 * `AUTH PLAIN ***` (the mechanism name is kept). Lines of a running SASL exchange are all secret:
 * callers log them as `***` without calling this.
 */
export function maskCredentials(line: string): string {
  const m = CREDENTIAL_COMMAND.exec(line);
  if (m === null) return line;
  const head = m[1] ?? '';
  const verb = m[2] ?? '';
  const rest = (m[3] ?? '').trim();
  if (rest === '') return line;
  if (/^AUTH(ENTICATE)?$/i.test(verb)) {
    const space = rest.search(/\s/);
    if (space === -1) return line; // mechanism only, nothing secret
    return `${head}${verb} ${rest.slice(0, space)} ***`;
  }
  return `${head}${verb} ***`;
}
