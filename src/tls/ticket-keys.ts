/**
 * TLS session-ticket keys shared by every worker, so a ticket one worker issued resumes on another
 * (ours: nginx workers share keys through shared memory; ours are processes that share nothing, so the
 * primary generates the key and sends it over IPC).
 *
 * Owns: the key material type as it travels over IPC (base64 text, so it survives JSON serialisation), a
 * runtime guard for it, `rotateTicketKeys` (a fresh random key and the next generation number; the primary
 * calls it on a timer), and converting nginx's 48-byte `ssl_session_ticket_key` file layout to Node's.
 * Does not own: the timer or the IPC message (primary/, worker/), or applying keys (contexts.ts).
 *
 * Node can hold one ticket key per context (AES-128-CBC + HMAC-SHA256 with 16-byte keys), so after a
 * rotation tickets made under the previous key no longer resume: those clients do a full handshake.
 * nginx's 80-byte key files (AES-256 + 32-byte HMAC key) cannot be used by Node at all.
 */
import { randomBytes } from 'node:crypto';
import { ProxyError } from '../errors.js';

/** One ticket key, as the primary sends it to workers. */
export interface TicketKeySet {
  /** increases by one per rotation; lets a worker ignore a stale message */
  readonly generation: number;
  /** base64 of 48 bytes in Node's layout: key name (16) | HMAC secret (16) | AES key (16) */
  readonly key: string;
}

/** Node's SecureContext ticket key length. */
export const NODE_TICKET_KEY_BYTES = 48;

/** A fresh key, one generation after `previous` (generation 1 when there is none). */
export function rotateTicketKeys(previous: TicketKeySet | null): TicketKeySet {
  return {
    generation: (previous?.generation ?? 0) + 1,
    key: randomBytes(NODE_TICKET_KEY_BYTES).toString('base64'),
  };
}

/** Runtime guard for a key set received over IPC. */
export function isTicketKeySet(value: unknown): value is TicketKeySet {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.generation === 'number' &&
    Number.isSafeInteger(v.generation) &&
    v.generation > 0 &&
    typeof v.key === 'string' &&
    Buffer.from(v.key, 'base64').length === NODE_TICKET_KEY_BYTES
  );
}

/** The 48 raw bytes of a key set. */
export function ticketKeyBytes(set: TicketKeySet): Buffer {
  const b = Buffer.from(set.key, 'base64');
  if (b.length !== NODE_TICKET_KEY_BYTES) {
    throw new ProxyError('ERR_IPC', 'session ticket key is not 48 bytes', { details: { length: b.length } });
  }
  return b;
}

/**
 * nginx's 48-byte key file is name (16) | AES key (16) | HMAC secret (16) (ngx_ssl_session_ticket_keys);
 * Node's is name | HMAC | AES. Both use AES-128-CBC and HMAC-SHA256, so a converted file key encrypts
 * and decrypts the same tickets nginx would. An 80-byte file is refused: Node has no AES-256 ticket keys.
 */
export function ticketKeyFromNginxFile(path: string, data: Buffer): Buffer {
  if (data.length === 80) {
    throw new ProxyError(
      'ERR_TLS_CONFIG',
      `"${path}" is an 80-byte (AES-256) session ticket key, which Node.js cannot use; use a 48-byte key (openssl rand 48 > file)`,
    );
  }
  if (data.length !== 48) throw new ProxyError('ERR_TLS_CONFIG', `"${path}" must be 48 or 80 bytes`);
  return Buffer.concat([data.subarray(0, 16), data.subarray(32, 48), data.subarray(16, 32)]);
}
