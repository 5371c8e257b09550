/**
 * The configuration both proxies run, in nginx's syntax: postern is a drop-in replacement, so one text
 * serves both, and only postern's own directives (`auth_http_keepalive`, `accept_policy`) are added for it.
 *
 * Owns: the main context (workers, pid, error_log, events; postern's `status_listen` when asked), the `mail {}` block with one plain server
 * per protocol and, for the tls scenario, implicit-TLS and STARTTLS servers. Pure: returns text.
 */
import type { MailProtocol } from '../load/job.js';

export interface TlsListen {
  readonly certificate: string;
  readonly key: string;
  /** `listen … ssl` ports */
  readonly implicit: Readonly<Record<MailProtocol, number>>;
  /** plain ports with `starttls on` */
  readonly starttls: Readonly<Record<MailProtocol, number>>;
}

export interface MailConfigInput {
  readonly kind: 'nginx' | 'postern';
  /** directory for pid and error log */
  readonly dir: string;
  readonly workers: number;
  readonly workerConnections: number;
  /** error_log level (nginx's default is `error`; `info` adds a line per session) */
  readonly logLevel: string;
  readonly authUrl: string;
  /** postern's `auth_http_keepalive`; written only when above 0 so an older build reads the config too */
  readonly keepalive: number;
  /** postern's `accept_policy`; written only when not the default, so an older build reads the config too */
  readonly acceptPolicy?: 'shared' | 'least_conn';
  readonly ports: Readonly<Record<MailProtocol, number>>;
  /** `proxy_buffer` (nginx default: one page) */
  readonly proxyBuffer: string | null;
  readonly tls: TlsListen | null;
  /** postern only: `status_listen 127.0.0.1:<port>;` in the main context (the http scenario's scrapes) */
  readonly statusPort?: number | null;
}

export function renderMailConfig(c: MailConfigInput): string {
  const servers: string[] = [];
  for (const p of ['imap', 'pop3', 'smtp'] as const) {
    if (c.ports[p] > 0) servers.push(`    server { listen 127.0.0.1:${c.ports[p]}; protocol ${p}; }`);
  }
  const tls: string[] = [];
  if (c.tls !== null) {
    tls.push(
      `    ssl_certificate ${c.tls.certificate};`,
      `    ssl_certificate_key ${c.tls.key};`,
      // nginx 1.22's default leaves TLS 1.3 out; both proxies get the same list.
      '    ssl_protocols TLSv1.2 TLSv1.3;',
      '    ssl_session_cache shared:BENCH:10m;',
      '    ssl_session_timeout 10m;',
    );
    for (const p of ['imap', 'pop3', 'smtp'] as const) {
      servers.push(`    server { listen 127.0.0.1:${c.tls.implicit[p]} ssl; protocol ${p}; }`);
      servers.push(`    server { listen 127.0.0.1:${c.tls.starttls[p]}; protocol ${p}; starttls on; }`);
    }
  }
  const ours = c.kind === 'postern' && c.keepalive > 0 ? [`    auth_http_keepalive ${c.keepalive};`] : [];
  const status =
    c.kind === 'postern' && c.statusPort != null ? `status_listen 127.0.0.1:${c.statusPort};\n` : '';
  return `# written by bench/proxies/mail-config.ts (${c.kind})
daemon off;
master_process on;
worker_processes ${c.workers};
pid ${c.dir}/proxy.pid;
error_log ${c.dir}/error.log ${c.logLevel};
${status}
events {
    worker_connections ${c.workerConnections};
${c.kind === 'postern' && c.acceptPolicy === 'least_conn' ? '    accept_policy least_conn;\n' : ''}}

mail {
    server_name bench.postern.test;
    auth_http ${c.authUrl};
${ours.join('\n')}${ours.length > 0 ? '\n' : ''}    proxy_pass_error_message on;
    imap_auth plain login;
    pop3_auth plain;
    smtp_auth plain login;
    xclient on;
${c.proxyBuffer === null ? '' : `    proxy_buffer ${c.proxyBuffer};\n`}${tls.join('\n')}${tls.length > 0 ? '\n' : ''}
${servers.join('\n')}
}
`;
}
