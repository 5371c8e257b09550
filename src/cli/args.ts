/**
 * nginx's command line (nginx: ngx_get_options): `-?hvVtTq`, `-s signal`, `-p prefix`, `-e file`,
 * `-c file`, `-g directives`. Flags bundle (`-tq`); a value may be attached (`-c/etc/x.conf`) or be the
 * next argument. Pure: argv in, options or nginx's error text out.
 *
 * Owns: flag syntax and its error messages. Does not own what the flags do (main.ts and siblings).
 */

export const SIGNAL_NAMES = ['stop', 'quit', 'reopen', 'reload'] as const;
export type SignalName = (typeof SIGNAL_NAMES)[number];

export interface CliOptions {
  readonly showHelp: boolean;
  readonly showVersion: boolean;
  readonly showConfigure: boolean;
  readonly testConfig: boolean;
  readonly dumpConfig: boolean;
  readonly quiet: boolean;
  readonly signal: SignalName | null;
  readonly prefix: string | null;
  readonly errorLog: string | null;
  readonly confFile: string | null;
  readonly globalDirectives: string | null;
}

export type ParseArgsResult =
  | { readonly ok: true; readonly options: CliOptions }
  | { readonly ok: false; readonly message: string };

const VALUE_NAMES: Readonly<Record<string, string>> = {
  p: 'directory name',
  e: 'file name',
  c: 'file name',
  g: 'parameter',
  s: 'parameter',
};

/** argv without the node binary and script. Messages are nginx's text without the `nginx: ` prefix. */
export function parseArgs(argv: readonly string[]): ParseArgsResult {
  const o = {
    showHelp: false,
    showVersion: false,
    showConfigure: false,
    testConfig: false,
    dumpConfig: false,
    quiet: false,
    signal: null as SignalName | null,
    prefix: null as string | null,
    errorLog: null as string | null,
    confFile: null as string | null,
    globalDirectives: null as string | null,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('-')) return { ok: false, message: `invalid option: "${arg}"` };
    let p = 1;
    while (p < arg.length) {
      const flag = arg.charAt(p++);
      switch (flag) {
        case '?':
        case 'h':
          o.showVersion = true;
          o.showHelp = true;
          continue;
        case 'v':
          o.showVersion = true;
          continue;
        case 'V':
          o.showVersion = true;
          o.showConfigure = true;
          continue;
        case 't':
          o.testConfig = true;
          continue;
        case 'T':
          o.testConfig = true;
          o.dumpConfig = true;
          continue;
        case 'q':
          o.quiet = true;
          continue;
        case 'p':
        case 'e':
        case 'c':
        case 'g':
        case 's': {
          let value: string;
          if (p < arg.length) {
            value = arg.slice(p);
          } else if (i + 1 < argv.length) {
            value = argv[++i] ?? '';
          } else {
            return { ok: false, message: `option "-${flag}" requires ${VALUE_NAMES[flag] ?? 'parameter'}` };
          }
          if (flag === 'p') o.prefix = value;
          else if (flag === 'e') o.errorLog = value;
          else if (flag === 'c') o.confFile = value;
          else if (flag === 'g') o.globalDirectives = value;
          else {
            if (!(SIGNAL_NAMES as readonly string[]).includes(value)) {
              return { ok: false, message: `invalid option: "-s ${value}"` };
            }
            o.signal = value as SignalName;
          }
          p = arg.length; // the value used the rest of this argument
          continue;
        }
        default:
          return { ok: false, message: `invalid option: "${flag}"` };
      }
    }
  }
  return { ok: true, options: o };
}
