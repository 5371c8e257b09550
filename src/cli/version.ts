/**
 * `-v`, `-V` and `-h` texts. The version is kept in step with package.json by a unit test.
 *
 * Owns: the wording of the version and usage output. Does not own flag parsing (args.ts).
 */
import { versions } from 'node:process';

export const VERSION = '0.1.0';

/** `-v`: scripts match `version: <name>/<x.y.z>` as they do for nginx. */
export function versionLine(): string {
  return `postern version: postern/${VERSION}\n`;
}

/**
 * `-V`: nginx's layout. `configure arguments` names the mail modules so scripts that check a build
 * with `nginx -V 2>&1 | grep with-mail` accept postern too.
 */
export function configureLines(): string {
  return (
    `built with Node.js ${versions.node}\n` +
    `built with OpenSSL ${versions.openssl}\n` +
    'TLS SNI support enabled\n' +
    'configure arguments: --with-mail --with-mail_ssl_module\n'
  );
}

/** `-h`/`-?` after the version line. `defaultPrefix` is the current directory with a trailing slash. */
export function usageText(defaultPrefix: string): string {
  return (
    'Usage: postern [-?hvVtTq] [-s signal] [-p prefix]\n' +
    '               [-e filename] [-c filename] [-g directives]\n' +
    '\n' +
    'Options:\n' +
    '  -?,-h         : print this help\n' +
    '  -v            : print the version and exit\n' +
    '  -V            : print the version and build details and exit\n' +
    '  -t            : check the configuration and exit\n' +
    '  -T            : check the configuration, print it and exit\n' +
    '  -q            : print only errors while checking the configuration\n' +
    '  -s signal     : signal the primary process: stop, quit, reopen, reload\n' +
    `  -p prefix     : set the prefix path (default: ${defaultPrefix})\n` +
    '  -e filename   : set the start-up error log (default: logs/error.log)\n' +
    '  -c filename   : set the configuration file (default: conf/postern.conf)\n' +
    '  -g directives : set main-context directives before the configuration file\n'
  );
}
