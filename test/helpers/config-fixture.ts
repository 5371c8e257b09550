/**
 * Config values with nginx's defaults, built by hand, for tests that need them without the config loader
 * (TLS, process and worker tests), and as what the loader must produce for a bare server block
 * (test/unit/config/resolve.test.ts). Change a value only when nginx's default changes.
 *
 * Owns: the defaults shared by more than one test folder. Does not own whole servers or main configs
 * (test/integration/process/config-fixture.ts builds those from these parts).
 */
import type { SslConfig } from '../../src/config/types.js';

/** nginx's defaults for the ssl_* directives of a mail server (reference 1.2), with `over` applied. */
export function sslDefaults(over: Partial<SslConfig> = {}): SslConfig {
  return {
    starttls: 'off',
    certificates: [],
    passwordFile: null,
    protocols: ['TLSv1.2', 'TLSv1.3'],
    ciphers: 'HIGH:!aNULL:!MD5',
    preferServerCiphers: false,
    ecdhCurve: 'auto',
    dhparam: null,
    sessionCache: { mode: 'none', builtinSize: null, shared: null },
    sessionTickets: true,
    sessionTicketKeys: [],
    sessionTimeoutMs: 300_000,
    verifyClient: 'off',
    verifyDepth: 1,
    clientCertificate: null,
    trustedCertificate: null,
    crl: null,
    confCommands: [],
    certificateCompression: false,
    sniCertificates: [],
    ...over,
  };
}
