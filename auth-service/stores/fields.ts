/**
 * The extra fields of a user or domain (`imap=127.0.0.1:143 host=10.0.0.5 destuser=bob nologin`), as
 * passwd-file lines, SQLite columns and Redis hash fields all spell them.
 *
 * Owns: parsing and validating each field's value (backends must be IP literals: Auth-Server is never
 * resolved, reference 3.5), and building records from a name → value map. Does not own where the map
 * comes from.
 */
import { isIP } from 'node:net';
import type { AuthProtocolName } from '../../src/auth/types.js';
import type { Backend, Backends, DomainRecord, UserRecord } from './types.js';

const PROTOCOLS: readonly AuthProtocolName[] = ['imap', 'pop3', 'smtp'];

/** `1.2.3.4:143` or `[2001:db8::1]:143` → Backend; a string describing the problem otherwise. */
export function parseBackend(text: string): Backend | string {
  let host: string;
  let portText: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0 || text[close + 1] !== ':') return `bad backend "${text}"`;
    host = text.slice(1, close);
    portText = text.slice(close + 2);
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) return `backend "${text}" has no port`;
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
  }
  if (isIP(host) === 0) return `backend host "${host}" is not an IP address (the proxy never resolves names)`;
  if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535)
    return `bad backend port "${portText}"`;
  return { host, port: Number(portText) };
}

function parseHost(text: string): string   {
  return isIP(text) === 0 ? `host "${text}" is not an IP address` : text;
}

/** Thrown by the record builders; the caller adds where (file:line, row, key). */
export class FieldError extends Error {}

function backendsOf(fields: ReadonlyMap<string, string>): Backends {
  const out: Partial<Record<AuthProtocolName, Backend>> = {};
  for (const p of PROTOCOLS) {
    const v = fields.get(p);
    if (v === undefined || v === '') continue;
    const b = parseBackend(v);
    if (typeof b === 'string') throw new FieldError(`${p}: ${b}`);
    out[p] = b;
  }
  return out;
}

function hostOf(fields: ReadonlyMap<string, string>): string | null {
  const v = fields.get('host');
  if (v === undefined || v === '') return null;
  if (isIP(v) === 0) throw new FieldError(parseHost(v));
  return v;
}

function opt(fields: ReadonlyMap<string, string>, key: string): string | null {
  const v = fields.get(key);
  return v === undefined || v === '' ? null : v;
}

function flag(fields: ReadonlyMap<string, string>, key: string): boolean {
  const v = fields.get(key);
  return v !== undefined && v !== '0' && v.toLowerCase() !== 'no' && v.toLowerCase() !== 'false';
}

export function userFromFields(name: string, password: string, fields: ReadonlyMap<string, string>): UserRecord {
  const backendPass = opt(fields, 'pass');
  if (backendPass !== null && /[\r\n\0]/.test(backendPass)) throw new FieldError('pass: contains CR, LF or NUL');
  const destUser = opt(fields, 'destuser');
  if (destUser !== null && /[\r\n\0]/.test(destUser)) throw new FieldError('destuser: contains CR, LF or NUL');
  return {
    name,
    password,
    backends: backendsOf(fields),
    host: hostOf(fields),
    destUser,
    backendPass,
    noLogin: flag(fields, 'nologin'),
    certFingerprint: opt(fields, 'cert_fingerprint')?.toLowerCase().replace(/:/g, '') ?? null,
    token: opt(fields, 'token'),
  };
}

export function domainFromFields(name: string, fields: ReadonlyMap<string, string>): DomainRecord {
  return { name, backends: backendsOf(fields), host: hostOf(fields) };
}

/** The field names a user may carry (SQLite columns, Redis hash fields). */
export const USER_FIELDS = ['imap', 'pop3', 'smtp', 'host', 'destuser', 'pass', 'nologin', 'cert_fingerprint', 'token'] as const;
export const DOMAIN_FIELDS = ['imap', 'pop3', 'smtp', 'host'] as const;

/**
 * Dovecot extra fields: space-separated `key=value` or bare `key` (a flag). Keys are lowercased;
 * Dovecot's `userdb_` fields are ignored (they are for the userdb, not for routing).
 */
export function parseExtraFields(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const word of text.split(/[ \t]+/)) {
    if (word === '') continue;
    const eq = word.indexOf('=');
    const key = (eq < 0 ? word : word.slice(0, eq)).toLowerCase();
    if (key.startsWith('userdb_')) continue;
    out.set(key, eq < 0 ? 'yes' : word.slice(eq + 1));
  }
  return out;
}
