/**
 * The `postern-auth` command line: flags for the server, and two helper commands.
 *
 *   postern-auth [-c FILE] [-t] [--listen ADDR] [--listen-uws ADDR] [--users-file PATH |
 *                --sqlite PATH | --redis URL] [--log-level LEVEL]
 *   postern-auth hash -s SCHEME -p PASSWORD [-r ROUNDS]      print a stored-password string
 *   postern-auth import USERS_FILE (--sqlite PATH | --redis URL) [--prefix P]
 *                                                            copy a passwd-file into SQLite or Redis
 *   postern-auth -v | -h
 *
 * Owns: parsing argv into a Command (pure; errors are values). Does not run anything.
 */
import { parseListen, type ConfigOverrides } from './config/load.js';
import type { ListenConfig, StoreConfig } from './config/types.js';

export type Command =
  | { readonly type: 'serve'; readonly configFile: string | null; readonly testOnly: boolean; readonly overrides: ConfigOverrides }
  | { readonly type: 'hash'; readonly scheme: string; readonly password: string; readonly rounds: number | null }
  | { readonly type: 'import'; readonly usersFile: string; readonly target: StoreConfig; readonly prefix: string | null }
  | { readonly type: 'help' }
  | { readonly type: 'version' }
  | { readonly type: 'error'; readonly message: string };

export const USAGE = `Usage: postern-auth [-c file] [-t] [--listen addr] [--listen-uws addr]
                    [--users-file path | --sqlite path | --redis url] [--log-level level]
       postern-auth hash -s SCHEME -p PASSWORD [-r ROUNDS]
       postern-auth import USERS_FILE (--sqlite PATH | --redis URL) [--prefix P]
       postern-auth -v | -h

Options:
  -c file            configuration file (default: none; built-in defaults and the flags below)
  -t                 test the configuration and the users store, then exit
  --listen addr      node:net listener (HTTP/1.0 and 1.1, nginx-compatible); repeatable
  --listen-uws addr  uWebSockets.js listener (HTTP/1.1 keep-alive); repeatable
  --users-file path  users in Dovecot passwd-file format
  --sqlite path      users in an SQLite database
  --redis url        users in Redis
  --log-level level  debug, info, warn, error or silent
`;

export function parseArgs(argv: readonly string[]): Command {
  if (argv[0] === 'hash') return parseHash(argv.slice(1));
  if (argv[0] === 'import') return parseImport(argv.slice(1));
  let configFile: string | null = null;
  let testOnly = false;
  const listen: ListenConfig[] = [];
  let store: StoreConfig | undefined;
  let logLevel: ConfigOverrides['logLevel'];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const value = (): string | null => {
      const v = argv[i + 1];
      if (v === undefined) return null;
      i++;
      return v;
    };
    switch (a) {
      case '-h':
      case '--help':
        return { type: 'help' };
      case '-v':
      case '--version':
        return { type: 'version' };
      case '-t':
        testOnly = true;
        break;
      case '-c': {
        const v = value();
        if (v === null) return { type: 'error', message: 'option "-c" requires file name' };
        configFile = v;
        break;
      }
      case '--listen':
      case '--listen-uws': {
        const v = value();
        const addr = v === null ? null : parseListen(v);
        if (addr === null) return { type: 'error', message: `option "${a}" requires an address like 127.0.0.1:10080` };
        listen.push({ ...addr, kind: a === '--listen' ? 'raw' : 'uws' });
        break;
      }
      case '--users-file':
      case '--sqlite':
      case '--redis': {
        const v = value();
        if (v === null) return { type: 'error', message: `option "${a}" requires a value` };
        store = a === '--redis' ? { kind: 'redis', url: v } : { kind: a === '--sqlite' ? 'sqlite' : 'file', path: v };
        break;
      }
      case '--log-level': {
        const v = value();
        if (v === null || !['debug', 'info', 'warn', 'error', 'silent'].includes(v))
          return { type: 'error', message: 'option "--log-level" requires debug, info, warn, error or silent' };
        logLevel = v as ConfigOverrides['logLevel'];
        break;
      }
      default:
        return { type: 'error', message: `invalid option: "${a}"` };
    }
  }
  const overrides: { -readonly [K in keyof ConfigOverrides]: ConfigOverrides[K] } = {};
  if (listen.length > 0) overrides.listen = listen;
  if (store !== undefined) overrides.store = store;
  if (logLevel !== undefined) overrides.logLevel = logLevel;
  return { type: 'serve', configFile, testOnly, overrides };
}

function parseHash(argv: readonly string[]): Command {
  let scheme: string | null = null;
  let password: string | null = null;
  let rounds: number | null = null;
  for (let i = 0; i < argv.length; i += 2) {
    const v = argv[i + 1];
    if (v === undefined) return { type: 'error', message: `option "${argv[i]}" requires a value` };
    if (argv[i] === '-s') scheme = v.toUpperCase();
    else if (argv[i] === '-p') password = v;
    else if (argv[i] === '-r' && /^\d+$/.test(v)) rounds = Number(v);
    else return { type: 'error', message: `invalid option: "${argv[i]}"` };
  }
  if (scheme === null || password === null) return { type: 'error', message: 'hash needs -s SCHEME and -p PASSWORD' };
  return { type: 'hash', scheme, password, rounds };
}

function parseImport(argv: readonly string[]): Command {
  const usersFile = argv[0];
  if (usersFile === undefined) return { type: 'error', message: 'import needs a users file' };
  let target: StoreConfig | null = null;
  let prefix: string | null = null;
  for (let i = 1; i < argv.length; i += 2) {
    const v = argv[i + 1];
    if (v === undefined) return { type: 'error', message: `option "${argv[i]}" requires a value` };
    if (argv[i] === '--sqlite') target = { kind: 'sqlite', path: v };
    else if (argv[i] === '--redis') target = { kind: 'redis', url: v };
    else if (argv[i] === '--prefix') prefix = v;
    else return { type: 'error', message: `invalid option: "${argv[i]}"` };
  }
  if (target === null) return { type: 'error', message: 'import needs --sqlite PATH or --redis URL' };
  return { type: 'import', usersFile, target, prefix };
}
