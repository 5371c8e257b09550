/**
 * Hand-built MainConfig objects for process tests that must not depend on the config loader
 * (unit tests of log/, primary/, worker/), with nginx's defaults where a field needs a value.
 */
import type { ErrorLogConfig, ListenConfig, MainConfig, MailProtocolName, ServerConfig } from '../../../src/config/types.js';
import { sslDefaults } from '../../helpers/config-fixture.js';

const SRC = { file: '/test/postern.conf', line: 1 };

export function tcpListen(host: string, port: number, extra: Partial<ListenConfig> = {}): ListenConfig {
  const family = host.includes(':') ? 6 : 4;
  return {
    addrText: family === 6 ? `[${host}]:${port}` : `${host}:${port}`,
    kind: 'tcp',
    host,
    port,
    family,
    ssl: false,
    proxyProtocol: false,
    bind: false,
    backlog: 511,
    rcvbufBytes: null,
    sndbufBytes: null,
    ipv6only: true,
    soKeepalive: { kind: 'default' },
    multipath: false,
    source: SRC,
    ...extra,
  };
}

export function unixListen(path: string): ListenConfig {
  return { ...tcpListen('0.0.0.0', 0), addrText: `unix:${path}`, kind: 'unix', host: path, port: 0, family: 0 };
}

export function server(protocol: MailProtocolName, listens: readonly ListenConfig[], extra: Partial<ServerConfig> = {}): ServerConfig {
  const base = {
    source: SRC,
    listens,
    protocol,
    serverName: 'mail.example.com',
    timeoutMs: 60_000,
    resolver: null,
    resolverTimeoutMs: 30_000,
    maxErrors: 5,
    errorLogs: [],
    authHttp: {
      url: 'http://127.0.0.1:9/auth',
      address: { kind: 'tcp', host: '127.0.0.1', port: 9 },
      addrText: '127.0.0.1:9',
      hostHeader: '127.0.0.1',
      uri: '/auth',
    },
    authHttpHeaders: [],
    authHttpTimeoutMs: 60_000,
    authHttpPassClientCert: false,
    authHttpKeepalive: 0,
    authHttpMaxResponseBytes: 1024,
    proxyBufferBytes: 4096,
    proxyTimeoutMs: 86_400_000,
    proxyPassErrorMessage: false,
    proxyProtocol: 'off',
    proxySmtpAuth: false,
    xclient: true,
    imap: { auth: { plain: true, login: false, cramMd5: false, external: false }, capabilities: [], clientBufferBytes: 4096 },
    pop3: { auth: { plain: true, apop: false, cramMd5: false, external: false }, capabilities: [], clientBufferBytes: 128 },
    smtp: {
      auth: { plain: true, login: true, cramMd5: false, external: false, none: false },
      capabilities: [],
      clientBufferBytes: 4096,
      greetingDelayMs: 0,
    },
    ssl: sslDefaults(),
    realIpFrom: [],
    access: [],
  } satisfies ServerConfig;
  return { ...base, ...extra };
}

export function fileLog(path: string, level: ErrorLogConfig['level'] = 'info'): ErrorLogConfig {
  return { target: { kind: 'file', path }, level, source: null };
}

export function mainConfig(prefix: string, servers: readonly ServerConfig[], extra: Partial<MainConfig> = {}): MainConfig {
  const errorLogs = extra.errorLogs ?? [fileLog(`${prefix}logs/error.log`)];
  const withLogs = servers.map((s) => (s.errorLogs.length === 0 ? { ...s, errorLogs } : s));
  return {
    prefix,
    confFile: `${prefix}conf/postern.conf`,
    files: [],
    workerProcesses: 1,
    workerConnections: 512,
    acceptPolicy: 'shared',
    pidFile: `${prefix}logs/postern.pid`,
    daemon: false,
    masterProcess: true,
    workerShutdownTimeoutMs: null,
    workerRlimitNofile: null,
    user: null,
    errorLogs,
    logFormat: 'nginx',
    debugConnection: [],
    status: { listen: null, access: [] },
    ignored: [],
    mail: { servers: withLogs, source: SRC },
    ...extra,
  };
}
