/**
 * `postern-auth`: the bundled auth_http service as a process. argv → config → service; signals:
 * SIGHUP re-reads the users file, SIGTERM/SIGINT stop (listeners closed, pool and Redis shut down).
 *
 * Owns: the process edge — the pino logger on stderr (JSON lines), exit codes (0 ok, 1 config or
 * start-up error), the `listening` line tests and scripts/start.js wait for, and the helper commands.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { parseArgs, USAGE, type Command } from './cli.js';
import { loadConfig, parseConfig, ServiceConfigError } from './config/load.js';
import type { ServiceConfig } from './config/types.js';
import type { Log } from './core/log.js';
import { shaCrypt } from './passwords/sha-crypt.js';
import { ssha512 } from './passwords/simple.js';
import { openStore, startAuthService } from './service.js';
import { parsePasswdFile } from './stores/passwd-file.js';
import { redisClient, redisClose, redisReady, writeRedis } from './stores/redis.js';
import { writeSqlite } from './stores/sqlite.js';

const VERSION = '0.1.0';

function makeLog(level: ServiceConfig['logLevel']): Log & { flush(): void } {
  const logger = pino(
    { level, base: { role: 'postern-auth', pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ fd: 2, sync: false, minLength: 0 }),
  );
  const fn = (l: 'debug' | 'info' | 'warn' | 'error') => (obj: Record<string, unknown>, msg: string) => {
    logger[l](obj, msg);
  };
  return { debug: fn('debug'), info: fn('info'), warn: fn('warn'), error: fn('error'), flush: () => { logger.flush(); } };
}

function hashCommand(c: Extract<Command, { type: 'hash' }>): number {
  const pw = Buffer.from(c.password, 'utf8');
  const salt = randomBytes(12).toString('base64').replace(/\+/g, '.').replace(/=/g, '').slice(0, 16);
  switch (c.scheme) {
    case 'PLAIN':
      process.stdout.write(`{PLAIN}${c.password}\n`);
      return 0;
    case 'SSHA512':
      process.stdout.write(`{SSHA512}${ssha512(pw, randomBytes(8))}\n`);
      return 0;
    case 'SHA512-CRYPT':
    case 'SHA256-CRYPT':
      process.stdout.write(
        `{${c.scheme}}${shaCrypt(c.scheme === 'SHA512-CRYPT' ? 'sha512' : 'sha256', pw, Buffer.from(salt), c.rounds ?? undefined)}\n`,
      );
      return 0;
    default:
      process.stderr.write(`postern-auth: hash: scheme ${c.scheme} is not supported here (use doveadm pw)\n`);
      return 1;
  }
}

async function importCommand(c: Extract<Command, { type: 'import' }>): Promise<number> {
  const parsed = parsePasswdFile(readFileSync(c.usersFile, 'utf8'), c.usersFile, true);
  for (const w of parsed.warnings) process.stderr.write(`postern-auth: ${w.file}:${w.line}: ${w.message}\n`);
  const users = [...parsed.users.values()];
  if (c.target.kind === 'sqlite') writeSqlite(c.target.path, users);
  else if (c.target.kind === 'redis') {
    const redis = redisClient(c.target.url);
    try {
      if (!(await redisReady(redis, 5000))) throw new Error(`redis ${c.target.url} is not reachable`);
      await writeRedis(redis, users, [], c.prefix ?? undefined);
    } finally {
      redisClose(redis);
    }
  }
  process.stdout.write(`imported ${users.length} users\n`);
  return 0;
}

async function serve(c: Extract<Command, { type: 'serve' }>): Promise<number> {
  let config: ServiceConfig;
  try {
    config = c.configFile === null ? parseConfig('', `${process.cwd()}/postern-auth.conf`, c.overrides) : loadConfig(c.configFile, c.overrides);
  } catch (err) {
    if (!(err instanceof ServiceConfigError)) throw err;
    process.stderr.write(`postern-auth: [emerg] ${err.message}\n`);
    return 1;
  }
  if (c.testOnly) {
    try {
      const store = openStore(config, {
        debug: () => undefined,
        info: () => undefined,
        warn: (o, m) => process.stderr.write(`postern-auth: [warn] ${m} ${JSON.stringify(o)}\n`),
        error: (o, m) => process.stderr.write(`postern-auth: [error] ${m} ${JSON.stringify(o)}\n`),
      });
      await store.close();
    } catch (err) {
      process.stderr.write(`postern-auth: [emerg] users store: ${(err as Error).message}\n`);
      return 1;
    }
    process.stderr.write(`postern-auth: the configuration ${c.configFile ?? '(flags)'} is ok\n`);
    return 0;
  }
  const log = makeLog(config.logLevel);
  let service;
  try {
    service = await startAuthService(config, { log });
  } catch (err) {
    process.stderr.write(`postern-auth: [emerg] ${(err as Error).message}\n`);
    return 1;
  }
  // Written synchronously so a supervisor reading stderr sees it at once.
  process.stderr.write(
    `${JSON.stringify({ msg: 'listening', listeners: service.listeners, store: config.store.kind, pid: process.pid })}\n`,
  );
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'stopping');
      void service.close().then(() => {
        log.flush();
        resolve(0);
      });
    };
    process.on('SIGTERM', () => {
      stop('SIGTERM');
    });
    process.on('SIGINT', () => {
      stop('SIGINT');
    });
    process.on('SIGHUP', () => {
      void service.reload().then(() => {
        log.info({}, 'users reloaded');
      });
    });
  });
}

export async function main(argv: readonly string[]): Promise<number> {
  const c = parseArgs(argv);
  switch (c.type) {
    case 'help':
      process.stdout.write(USAGE);
      return 0;
    case 'version':
      process.stdout.write(`postern-auth version: ${VERSION}\n`);
      return 0;
    case 'error':
      process.stderr.write(`postern-auth: ${c.message}\n${USAGE}`);
      return 1;
    case 'hash':
      return hashCommand(c);
    case 'import':
      return importCommand(c);
    case 'serve':
      return serve(c);
  }
}

process.exitCode = await main(process.argv.slice(2));
// piscina threads and Redis sockets are closed by then; exit explicitly in case a handle lingers
if (process.exitCode === 0 || process.exitCode === 1) setTimeout(() => process.exit(), 200).unref();
