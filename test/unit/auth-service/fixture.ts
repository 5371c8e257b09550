/**
 * Shared set-up for the auth service's tests: password hashes made by the real tools (doveadm pw,
 * openssl passwd — never pasted), a users file, an in-process service on port 0 with both listener
 * kinds, and a raw HTTP client that sends exact bytes and returns the exact answer.
 */
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { runOk } from '../../helpers/proc.js';
import { subDir } from '../../helpers/run-dir.js';
import { parseConfig } from '../../../auth-service/config/load.js';
import type { ServiceConfig } from '../../../auth-service/config/types.js';
import type { Log } from '../../../auth-service/core/log.js';
import { startAuthService, type AuthService } from '../../../auth-service/service.js';

/** A stored password for `password` in `scheme`, made by doveadm (openssl for the crypt schemes' -5/-6 check). */
export async function makeHash(scheme: string, password: string): Promise<string> {
  if (scheme === 'PLAIN') return `{PLAIN}${password}`;
  const r = await runOk('doveadm', ['pw', '-s', scheme, '-p', password], { timeoutMs: 30_000 });
  return r.stdout.toString().trim();
}

export async function opensslCrypt(variant: '5' | '6', password: string): Promise<string> {
  const r = await runOk('openssl', ['passwd', `-${variant}`, password], { timeoutMs: 20_000 });
  return r.stdout.toString().trim();
}

export interface LogLine {
  readonly level: string;
  readonly msg: string;
  readonly obj: Record<string, unknown>;
}

/** A Log that records every line. */
export function recordingLog(): Log & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: string) => (obj: Record<string, unknown>, msg: string) => {
    lines.push({ level, msg, obj });
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export interface Fixture {
  readonly service: AuthService;
  readonly raw: number;
  readonly uws: number;
  readonly log: ReturnType<typeof recordingLog>;
  readonly dir: string;
  close(): Promise<void>;
}

/** Writes `users` (passwd-file lines) and `conf` (extra directives) and starts the service. */
export async function startFixture(users: readonly string[], conf = ''): Promise<Fixture> {
  const dir = subDir('authsvc');
  writeFileSync(join(dir, 'users'), users.join('\n') + '\n');
  const file = join(dir, 'postern-auth.conf');
  const text = `listen 127.0.0.1:0;\nlisten 127.0.0.1:0 uws;\nusers file users;\n${conf}\n`;
  writeFileSync(file, text);
  const config: ServiceConfig = parseConfig(text, file);
  const log = recordingLog();
  const service = await startAuthService(config, { log });
  const raw = service.listeners.find((l) => l.kind === 'raw')!.port;
  const uws = service.listeners.find((l) => l.kind === 'uws')!.port;
  return { service, raw, uws, log, dir, close: () => service.close() };
}

/** Sends `bytes` to 127.0.0.1:port, returns everything received until the server closes (or `untilBlank` ends a head). */
export function exchange(
  port: number,
  bytes: string | Buffer,
  opts: { untilBlank?: boolean; timeoutMs?: number; pieces?: readonly (string | Buffer)[]; gapMs?: number } = {},
): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    let got = Buffer.alloc(0);
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ text: got.toString('latin1'), closed });
    };
    const timer = setTimeout(() => {
      finish(false);
    }, opts.timeoutMs ?? 5000);
    s.on('connect', () => {
      if (opts.pieces === undefined) {
        // requests are built as latin1 strings (one char per byte), see authRequest
        s.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
        return;
      }
      let i = 0;
      const next = (): void => {
        if (i >= opts.pieces!.length || s.destroyed) return;
        const piece = opts.pieces![i++]!;
        s.write(typeof piece === 'string' ? Buffer.from(piece, 'latin1') : piece);
        setTimeout(next, opts.gapMs ?? 10);
      };
      next();
    });
    s.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (opts.untilBlank === true && got.includes('\r\n\r\n')) finish(false);
    });
    s.on('error', () => undefined);
    s.on('close', () => {
      finish(true);
    });
  });
}

export interface AuthReq {
  readonly method?: string;
  readonly user?: string;
  readonly pass?: string;
  readonly salt?: string;
  readonly protocol?: string;
  readonly attempt?: number;
  readonly ip?: string;
  readonly extra?: readonly (readonly [string, string])[];
  readonly version?: '1.0' | '1.1';
}

/**
 * nginx's request bytes (reference 3.2 order) as a latin1 string, one char per byte; user and pass are
 * UTF-8 encoded and escaped as nginx escapes them.
 */
export function authRequest(r: AuthReq): string {
  const esc = (s: string): string =>
    Buffer.from(s, 'utf8')
      .toString('latin1')
      // eslint-disable-next-line no-control-regex -- nginx escapes exactly the control bytes
      .replace(/[\x00-\x20%]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
  let s = `GET /auth HTTP/${r.version ?? '1.0'}\r\nHost: localhost\r\nAuth-Method: ${r.method ?? 'plain'}\r\n`;
  s += `Auth-User: ${esc(r.user ?? '')}\r\nAuth-Pass: ${esc(r.pass ?? '')}\r\n`;
  if (r.salt !== undefined) s += `Auth-Salt: ${r.salt}\r\n`;
  s += `Auth-Protocol: ${r.protocol ?? 'imap'}\r\nAuth-Login-Attempt: ${r.attempt ?? 1}\r\nClient-IP: ${r.ip ?? '192.0.2.1'}\r\n`;
  for (const [k, v] of r.extra ?? []) s += `${k}: ${v}\r\n`;
  return `${s}\r\n`;
}

/** The Auth-* header lines of a response, in order, as `Name: value` strings. */
export function authLines(response: string): string[] {
  const head = response.split('\r\n\r\n')[0] ?? '';
  return head.split('\r\n').filter((l) => l.startsWith('Auth-'));
}

/** One request over a fresh HTTP/1.0 connection to the raw listener; the Auth-* lines answered. */
export async function ask(port: number, r: AuthReq): Promise<string[]> {
  const res = await exchange(port, authRequest(r));
  return authLines(res.text);
}

/**
 * Several requests one after another on one keep-alive connection (each sent once the previous answer's
 * head arrived, as postern's pool does); returns each answer's text and whether the server closed.
 */
export function sequential(port: number, requests: readonly string[], timeoutMs = 5000): Promise<{ answers: string[]; closed: boolean }> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    const answers: string[] = [];
    let got = '';
    let closed = false;
    const timer = setTimeout(() => {
      s.destroy();
    }, timeoutMs);
    const send = (): void => {
      const r = requests[answers.length];
      if (r === undefined) {
        clearTimeout(timer);
        // give a closing server a moment to show it
        setTimeout(() => {
          s.destroy();
        }, 100);
        return;
      }
      s.write(Buffer.from(r, 'latin1'));
    };
    s.on('connect', send);
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      const end = got.indexOf('\r\n\r\n');
      if (end >= 0) {
        answers.push(got.slice(0, end + 4));
        got = got.slice(end + 4);
        send();
      }
    });
    s.on('error', () => undefined);
    s.on('end', () => {
      closed = true;
    });
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ answers, closed });
    });
  });
}
