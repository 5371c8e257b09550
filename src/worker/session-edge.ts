/**
 * A connection's edge, before the greeting (ARCHITECTURE steps 1–3, reference 6): the PROXY header
 * and real IP, allow/deny, and implicit TLS with nginx's client-certificate verdict.
 *
 * Owns: the order of those steps and turning each way they can end into one outcome. Does not own the
 * deadline (the session arms `timeout` around the whole edge and destroys the socket when it fires,
 * which settles every await here) or logging (the outcome says what to log).
 */
import type { Socket } from 'node:net';
import type { ListenConfig } from '../config/types.js';
import type { EndReason } from '../protocol/types.js';
import { readProxyHeader } from '../net/proxy-protocol-reader.js';
import { realClientAddress, type RealIpTrust } from '../net/realip.js';
import { ACCESS_FORBIDDEN_LOG, checkAccess, type CompiledAccess } from '../net/access.js';
import { handshakeLogOf } from '../tls/handshake-error.js';
import type { ClientTlsInfo, ProxyProtocolInfo, TlsDetails, TlsPort } from './session-types.js';
import type { SessionLogLine } from '../log/types.js';

export type EdgeLog = SessionLogLine;

export type EdgeOutcome =
  | {
      readonly type: 'ready';
      readonly socket: Socket;
      /** the client after realip (address text as nginx prints it, port), when a PROXY header changed it */
      readonly client: { readonly address: string; readonly port: number } | null;
      readonly proxy: ProxyProtocolInfo | null;
      readonly tls: { readonly info: ClientTlsInfo; readonly details: TlsDetails } | null;
    }
  | {
      readonly type: 'fail';
      readonly log: EdgeLog | null;
      /** a protocol reply to send before closing (certificate verdicts), else close silently */
      readonly reply: 'certificateError' | 'noCertificate' | null;
      readonly reason: EndReason;
      readonly refused: 'access' | null;
      /** the socket to close (the TLS one once the handshake succeeded) */
      readonly socket: Socket;
    }
  | { readonly type: 'closed' };

export interface EdgeInput {
  readonly socket: Socket;
  readonly listen: ListenConfig;
  /** the client address as the socket reports it (`unix:` for UNIX sockets) */
  readonly peer: string;
  readonly access: CompiledAccess;
  readonly realIp: RealIpTrust;
  readonly tls: TlsPort | null;
  /** tells the session which nginx action a timeout would name */
  readonly onAction: (action: string) => void;
  /**
   * a PROXY header from a trusted peer changed the client (nginx: ngx_mail_realip_handler rewrites
   * c->addr_text at once), so every later line — a denial, a failed handshake, a timeout — names it
   */
  readonly onClient: (client: { readonly address: string; readonly port: number }) => void;
}

export async function runEdge(input: EdgeInput): Promise<EdgeOutcome> {
  const { socket, listen } = input;
  let client: { address: string; port: number } | null = null;
  let proxy: ProxyProtocolInfo | null = null;

  if (listen.proxyProtocol) {
    input.onAction('reading PROXY protocol');
    const r = await readProxyHeader(socket);
    if (r.type === 'closed') return { type: 'closed' };
    if (r.type === 'invalid') {
      // nginx: ngx_mail_proxy_protocol_handler — broken header, closed without a reply
      return {
        type: 'fail',
        log: { level: 'error', message: r.log, action: 'reading PROXY protocol' },
        reply: null,
        reason: 'rejected',
        refused: null,
        socket,
      };
    }
    proxy = r.header.addresses;
    const real = realClientAddress(input.realIp, input.peer, r.header);
    if (real.changed) {
      client = { address: real.address, port: real.port };
      input.onClient(client);
    }
  }

  const decision = checkAccess(input.access, client?.address ?? input.peer);
  if (!decision.allowed) {
    return {
      type: 'fail',
      log: { level: 'error', message: ACCESS_FORBIDDEN_LOG, action: null },
      reply: null,
      reason: 'accessDenied',
      refused: 'access',
      socket,
    };
  }

  if (!listen.ssl || input.tls === null) return { type: 'ready', socket, client, proxy, tls: null };

  input.onAction('SSL handshaking');
  const up = await upgradeTls(input.tls, socket, 'SSL handshaking');
  if (up.type !== 'ready') return up;
  return { type: 'ready', socket: up.socket, client, proxy, tls: { info: up.info, details: up.details } };
}

export type TlsOutcome =
  | {
      readonly type: 'ready';
      readonly socket: Socket;
      readonly info: ClientTlsInfo;
      readonly details: TlsDetails;
    }
  | Extract<EdgeOutcome, { type: 'fail' } | { type: 'closed' }>;

/**
 * The handshake and nginx's post-handshake certificate verdict (ngx_mail_verify_cert), for implicit TLS
 * and STARTTLS alike; `action` is nginx's "while ..." for the failure lines.
 */
export async function upgradeTls(tls: TlsPort, socket: Socket, action: string): Promise<TlsOutcome> {
  let up;
  try {
    up = await tls.upgrade(socket);
  } catch (err) {
    const l = handshakeLogOf(err);
    return {
      type: 'fail',
      log: { level: l.level, message: l.message, action, ...(l.err === undefined ? {} : { err: l.err }) },
      reply: null,
      reason: 'clientClosed',
      refused: null,
      socket,
    };
  }
  if (up.check !== 'ok') {
    return {
      type: 'fail',
      log: { level: 'info', message: up.check.log, action },
      reply: up.check.reply,
      reason: 'certificateError',
      refused: null,
      socket: up.socket,
    };
  }
  return { type: 'ready', socket: up.socket, info: up.info, details: up.details };
}
