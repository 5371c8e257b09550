/**
 * `error_log syslog:server=…` targets (nginx: ngx_syslog.c): one datagram per line, RFC 3164 framing
 * `<PRI>Mmm dd HH:MM:SS <hostname> <tag>: <line>`, PRI = facility × 8 + severity.
 *
 * Owns: the framing, UDP sending and the unix-socket path. Node's dgram has no AF_UNIX datagram
 * sockets, so `server=unix:/dev/log` goes through util-linux `logger`, which frames the line itself.
 */
import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import { spawn, type ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import type { LogLevel, LogTarget } from '../config/types.js';
import { syslogSeverity } from './levels.js';

type SyslogTarget = Extract<LogTarget, { kind: 'syslog' }>;

/** nginx: ngx_syslog_facilities, in code order. */
const FACILITIES = [
  'kern', 'user', 'mail', 'daemon', 'auth', 'intern', 'lpr', 'news', 'uucp', 'clock', 'authpriv', 'ftp',
  'ntp', 'audit', 'alert', 'cron', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6',
  'local7',
] as const;

/** nginx: NGX_SYSLOG_MAX_STR, the longest datagram it sends. */
const SYSLOG_MAX_BYTES = 4096;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** RFC 3164 TIMESTAMP, local time, day padded with a space (nginx: ngx_cached_syslog_time). */
export function syslogTime(d: Date): string {
  const day = d.getDate();
  return `${MONTHS[d.getMonth()] ?? 'Jan'} ${day < 10 ? ` ${day}` : String(day)} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

export function facilityCode(name: string): number {
  const i = (FACILITIES as readonly string[]).indexOf(name);
  return i === -1 ? 23 : i; // config validates the name; local7 is nginx's default
}

/** `<PRI>TIMESTAMP HOST TAG: ` for one line (nginx: ngx_syslog_add_header). */
export function syslogHeader(target: SyslogTarget, level: LogLevel, now: Date, host: string): string {
  const severity = syslogSeverity(target.severity ?? level);
  const pri = facilityCode(target.facility) * 8 + severity;
  const hostPart = target.nohostname ? '' : `${host} `;
  return `<${pri}>${syslogTime(now)} ${hostPart}${target.tag}: `;
}

/** host, host:port, [v6], [v6]:port → address and port (default 514). */
export function parseSyslogServer(server: string): { host: string; port: number } {
  let host = server;
  let port = 514;
  if (server.startsWith('[')) {
    const end = server.indexOf(']');
    host = server.slice(1, end);
    const rest = server.slice(end + 1);
    if (rest.startsWith(':')) port = Number(rest.slice(1));
  } else {
    const colon = server.lastIndexOf(':');
    if (colon !== -1 && server.indexOf(':') === colon) {
      host = server.slice(0, colon);
      port = Number(server.slice(colon + 1));
    }
  }
  return { host, port };
}

export interface SyslogSender {
  send(line: string, level: LogLevel): void;
  close(): void;
}

class UdpSender implements SyslogSender {
  private readonly socket: DgramSocket;
  private readonly host: string;
  private readonly port: number;
  private readonly hostName = hostname().toLowerCase();
  constructor(private readonly target: SyslogTarget) {
    const { host, port } = parseSyslogServer(target.server);
    this.host = host;
    this.port = port;
    this.socket = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
    // A syslog server that is down must not take the process with it; nginx ignores send errors too.
    this.socket.on('error', () => undefined);
    this.socket.unref();
  }
  send(line: string, level: LogLevel): void {
    let msg = Buffer.from(syslogHeader(this.target, level, new Date(), this.hostName) + line);
    if (msg.length > SYSLOG_MAX_BYTES) msg = msg.subarray(0, SYSLOG_MAX_BYTES);
    this.socket.send(msg, this.port, this.host, () => undefined);
  }
  close(): void {
    this.socket.close();
  }
}

class UnixSender implements SyslogSender {
  private child: ChildProcess | null;
  constructor(private readonly target: SyslogTarget, path: string) {
    // `--prio-prefix` reads `<PRI>` per line, so each line keeps its own severity.
    this.child = spawn('logger', ['--socket', path, '--socket-errors=off', '--prio-prefix', '-t', target.tag], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: false,
    });
    this.child.on('error', () => {
      this.child = null;
    });
    this.child.stdin?.on('error', () => undefined);
    this.child.unref();
    const stdin = this.child.stdin as unknown as { unref?: () => void } | null;
    stdin?.unref?.();
  }
  send(line: string, level: LogLevel): void {
    const severity = syslogSeverity(this.target.severity ?? level);
    const pri = facilityCode(this.target.facility) * 8 + severity;
    this.child?.stdin?.write(`<${pri}>${line.replace(/\n/g, ' ')}\n`);
  }
  close(): void {
    this.child?.stdin?.end();
    this.child = null;
  }
}

export function createSyslogSender(target: SyslogTarget): SyslogSender {
  if (target.server.startsWith('unix:')) return new UnixSender(target, target.server.slice(5));
  return new UdpSender(target);
}
