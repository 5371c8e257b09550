/**
 * What the runner knows about a proxy under test: the variant (which program, which settings) and a
 * running instance (its ports and processes).
 */
import type { MailProtocol } from '../load/job.js';

/** How to run one build of postern: node flags plus its `src/main` entry. */
export interface PosternEntry {
  readonly main: string;
  readonly execArgv: readonly string[];
  /** what was built: `working tree`, or `<ref> (<sha>)` */
  readonly build: string;
}

export interface ProxyVariant {
  /** short id used in tables and JSON: `nginx`, `postern`, `postern-ka32`, `v0.1.0-ka32` */
  readonly id: string;
  readonly kind: 'nginx' | 'postern';
  /** `auth_http_keepalive` (postern only; 0 for nginx) */
  readonly keepalive: number;
  /** `accept_policy` (postern only; nginx's workers always accept from the shared sockets) */
  readonly acceptPolicy: 'shared' | 'least_conn';
  /** null for nginx */
  readonly entry: PosternEntry | null;
}

export interface ProxyStartOptions {
  readonly workers: number;
  readonly workerConnections: number;
  readonly logLevel: string;
  readonly authUrl: string;
  readonly proxyBuffer: string | null;
  /** serve the TLS servers too (tls scenario) */
  readonly tls: { readonly certificate: string; readonly key: string } | null;
  /** postern only: write V8 CPU profiles of every process into this directory */
  readonly cpuProfileDir: string | null;
  /** postern only: serve /metrics and /status on 127.0.0.1:<port> (`status_listen`) */
  readonly statusPort?: number | null;
}

export interface ProxyInstance {
  readonly variant: ProxyVariant;
  readonly ports: Readonly<Record<MailProtocol, number>>;
  readonly tlsPorts: {
    readonly implicit: Readonly<Record<MailProtocol, number>>;
    readonly starttls: Readonly<Record<MailProtocol, number>>;
  } | null;
  /** the configuration file's text, for the report */
  readonly configText: string;
  /** the primary (master) and its current workers */
  pids(): number[];
  /** the error log so far (for failure messages) */
  errorLog(): string;
  stop(): Promise<void>;
}
