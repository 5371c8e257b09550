/**
 * The corpus cases where postern's `-t` verdict differs from nginx 1.22.1's on purpose, with postern's
 * expected outcome and the reason. docs/config-differences.md explains each entry; the differential test
 * fails when a case here stops differing or differs in another way.
 */
import type { Outcome } from './runner.js';

export interface ExpectedDifference {
  readonly postern: Outcome;
  /** one line; the full story is in docs/config-differences.md under the same heading */
  readonly why: string;
}

const ok: Outcome = { ok: true, error: null, warnings: [] };
const fails = (error: string): Outcome => ({ ok: false, error, warnings: [] });

export const EXPECTED_DIFFERENCES: Readonly<Record<string, ExpectedDifference>> = {
  'postern-allow-deny-in-mail': {
    postern: ok,
    why: 'allow/deny in mail{} and server{} are a postern extension',
  },
  'postern-auth-http-extensions': {
    postern: ok,
    why: 'auth_http_keepalive, auth_http_max_response and pop3_client_buffer are postern directives',
  },
  'postern-sni-certificate': { postern: ok, why: 'ssl_sni_certificate is a postern directive' },
  'postern-status-listen': {
    postern: ok,
    why: 'status_listen, status_allow/deny, error_log_format and accept_policy are postern directives',
  },
  'postern-http-block': {
    postern: fails('the "http" module is not supported by postern in P/nginx.conf:2'),
    why: 'postern serves mail only; an http{} block is refused rather than silently not served',
  },
  'postern-stream-block': {
    postern: fails('the "stream" module is not supported by postern in P/nginx.conf:2'),
    why: 'postern serves mail only; stream{} is refused with the same words as http{}',
  },
  'listen-multipath': { postern: ok, why: 'listen ... multipath is nginx 1.29.7' },
  'mail-proxy-protocol-v2': { postern: ok, why: 'proxy_protocol v2 is nginx 1.31.4' },
  'mail-resolver-ipv4-off': { postern: ok, why: 'resolver ... ipv4=off is nginx 1.23.1' },
  'ssl-certificate-compression': { postern: ok, why: 'ssl_certificate_compression is nginx 1.29.1' },
  'ssl-verify-client-trusted-only': {
    postern: {
      ok: true,
      error: null,
      warnings: [
        '"ssl_trusted_certificate" CAs are also sent to clients as acceptable CA names (Node.js cannot separate them)',
      ],
    },
    why: 'current nginx accepts ssl_trusted_certificate alone for ssl_verify_client; Node.js cannot keep those CAs out of the list sent to clients, and postern says so',
  },
  'ssl-verify-client-without-ca': {
    postern: fails('no ssl_client_certificate or ssl_trusted_certificate for ssl_verify_client'),
    why: "current nginx's wording of the same check",
  },
  'mail-resolver-unix': {
    postern: fails(
      'unix domain sockets are not supported in resolver "unix:/run/dns.sock" in P/nginx.conf:7',
    ),
    why: 'nginx accepts a unix socket as a DNS server and fails at run time; postern says so at load',
  },
  'ssl-password-file-missing': {
    postern: ok,
    why: 'nginx reads ssl_password_file when it parses the directive, even in a server without TLS; postern reads TLS files (in -t too) only for servers that use TLS',
  },
  'core-load-module-missing-file': {
    postern: ok,
    why: 'postern has no loadable modules: load_module is accepted and ignored',
  },
};
