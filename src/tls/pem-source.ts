/**
 * Reading the files the ssl_* directives name, with nginx's error texts.
 *
 * Owns: certificate/key values (a path, or nginx's `data:<PEM>` form), `ssl_password_file` (nginx:
 * ngx_ssl_read_password_file — one password per line, CR stripped, empty lines skipped, an empty password
 * when the file has none), `ssl_session_ticket_key` files (48 or 80 bytes) and the system error text
 * nginx appends (`(2: No such file or directory)`). Does not own: parsing what was read (contexts.ts).
 *
 * A `data:` value is never echoed in an error: nginx prints the whole value, which for a key would put
 * private key material in the log; here it is shown as `data:…`.
 */
import { readFileSync } from 'node:fs';
import { ProxyError } from '../errors.js';

/** nginx: NGX_SSL_PASSWORD_BUFFER_SIZE — a password line must be shorter than this. */
const PASSWORD_LINE_MAX = 4096;

const LINUX_ERRNO: Readonly<Record<string, readonly [number, string]>> = {
  EPERM: [1, 'Operation not permitted'],
  ENOENT: [2, 'No such file or directory'],
  EIO: [5, 'Input/output error'],
  EACCES: [13, 'Permission denied'],
  ENOTDIR: [20, 'Not a directory'],
  EISDIR: [21, 'Is a directory'],
  EMFILE: [24, 'Too many open files'],
  ENAMETOOLONG: [36, 'File name too long'],
  ELOOP: [40, 'Too many levels of symbolic links'],
};

/** `2: No such file or directory` for an fs error; the error code itself when unknown. */
export function systemErrorText(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code ?? 'EIO';
  const known = LINUX_ERRNO[code];
  return known === undefined ? code : `${String(known[0])}: ${known[1]}`;
}

/** How a value appears in messages: the path, or `data:…` for inline PEM. */
export function sourceLabel(value: string): string {
  return value.startsWith('data:') ? 'data:…' : value;
}

export type ReadResult = { readonly ok: true; readonly data: Buffer } | { readonly ok: false; readonly sysError: string };

/** The bytes of a path or `data:` value; an unreadable file gives its system error text. */
export function readSource(value: string): ReadResult {
  if (value.startsWith('data:')) return { ok: true, data: Buffer.from(value.slice(5), 'utf8') };
  try {
    return { ok: true, data: readFileSync(value) };
  } catch (err) {
    return { ok: false, sysError: systemErrorText(err) };
  }
}

function configError(message: string, cause?: unknown): ProxyError {
  return new ProxyError('ERR_TLS_CONFIG', message, cause === undefined ? undefined : { cause });
}

/** nginx: ngx_ssl_read_password_file. Throws ProxyError(ERR_TLS_CONFIG) in nginx's words. */
export function readPasswordFile(path: string): string[] {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (err) {
    throw configError(`open() "${path}" failed (${systemErrorText(err)})`, err);
  }
  const passwords: string[] = [];
  let start = 0;
  while (start < data.length) {
    let end = data.indexOf(0x0a, start);
    const last = end === -1;
    if (last) end = data.length;
    let lineEnd = end;
    if (lineEnd > start && data[lineEnd - 1] === 0x0d) lineEnd--;
    if (end - start >= PASSWORD_LINE_MAX) throw configError(`too long line in "${path}"`);
    if (lineEnd > start) passwords.push(data.subarray(start, lineEnd).toString('utf8'));
    start = end + 1;
  }
  data.fill(0);
  if (passwords.length === 0) passwords.push('');
  return passwords;
}

/** nginx: ngx_ssl_session_ticket_keys — each file holds exactly 48 or 80 bytes. */
export function readTicketKeyFile(path: string): Buffer {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (err) {
    throw configError(`open() "${path}" failed (${systemErrorText(err)})`, err);
  }
  if (data.length !== 48 && data.length !== 80) throw configError(`"${path}" must be 48 or 80 bytes`);
  return data;
}

/** The PEM blocks (`-----BEGIN <label>-----` … `-----END <label>-----`) of a text, in order. */
export function pemBlocks(data: Buffer): { readonly label: string; readonly pem: string }[] {
  const text = data.toString('latin1');
  const out: { label: string; pem: string }[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    out.push({ label: m[1] ?? '', pem: `${m[0]}\n` });
  }
  return out;
}
