/**
 * postern's session code in the test process: a config text through `loadConfig`, a `SessionHandler`,
 * and a `net.Server` on 127.0.0.1 whose connections go to `handler.start`, logging to a file in the
 * run dir. For tests that need to look inside (the buffer pools' counters) or want many fast faults
 * without starting processes.
 *
 * Owns: building the config (one `server {}` on the port the listener got), the cid counter, the
 * `connected to` line the worker would log, tracking sessions until they close, and cleanup.
 * Does not own: the worker's process code (accept policy, limits, draining) — real-process tests use
 * helpers/postern-bin.ts for that — or TLS (sessions run without a TlsPort).
 *
 *   const proxy = await startInprocProxy({ authUrl: auth.url, server: 'timeout 2s;' });
 *   … connect to proxy.port …
 *   await proxy.waitIdle();  assert.equal(proxy.handler.pools.inUse(), 0);
 *   await proxy.close();
 */
import net from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import type { MainConfig, ServerConfig } from '../../src/config/types.js';
import { LogSystem } from '../../src/log/logger.js';
import type { SessionHandle, ShutdownReason } from '../../src/worker/connection-handler.js';
import { SessionHandler } from '../../src/worker/session-handler.js';
import { subDir } from './run-dir.js';

export interface InprocOptions {
  /** the `auth_http` URL (e.g. a fake auth service's `url`) */
  readonly authUrl: string;
  /** directives added to the `server {}` block */
  readonly server?: string;
  /** directives added to the `mail {}` block */
  readonly mail?: string;
  /** the protocol (default imap) */
  readonly protocol?: 'imap' | 'pop3' | 'smtp';
}

export interface InprocProxy {
  readonly port: number;
  /** `127.0.0.1:<port>`, the `server:` of log lines */
  readonly addrText: string;
  readonly handler: SessionHandler;
  readonly config: MainConfig;
  readonly server: ServerConfig;
  /** the session log (the server's error_log, at info) */
  readonly logFile: string;
  /** sessions started and not closed yet */
  readonly openSessions: number;
  /** sessions started so far */
  readonly sessionsStarted: number;
  log(): string;
  /** Waits (bounded) for a log line matching `re`; returns it. */
  waitForLog(re: RegExp, timeoutMs?: number): Promise<string>;
  /** Waits (bounded) until every session has closed. */
  waitIdle(timeoutMs?: number): Promise<void>;
  /** Calls `shutdown(reason)` on every open session, as the worker does on a fast stop or drain timeout. */
  shutdownSessions(reason: ShutdownReason): void;
  close(): Promise<void>;
}

async function poll<T>(what: string, timeoutMs: number, check: () => T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function startInprocProxy(o: InprocOptions): Promise<InprocProxy> {
  const dir = subDir('inproc');
  const listener = net.createServer();
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(0, '127.0.0.1', resolve);
  });
  const port = (listener.address() as net.AddressInfo).port;
  const logFile = join(dir, 'session.log');
  const confFile = join(dir, 'postern.conf');
  writeFileSync(
    confFile,
    `error_log ${join(dir, 'main.log')} info;\nevents {}\nmail {\n  server_name mail.example.test;\n` +
      `  auth_http ${o.authUrl};\n  ${o.mail ?? ''}\n  server {\n    listen 127.0.0.1:${port};\n` +
      `    protocol ${o.protocol ?? 'imap'};\n    error_log ${logFile} info;\n    ${o.server ?? ''}\n  }\n}\n`,
  );
  writeFileSync(logFile, '');
  let config: MainConfig;
  try {
    ({ config } = await loadConfig({ confFile, prefix: `${dir}/`, globalDirectives: null }));
  } catch (err) {
    listener.close();
    throw err;
  }
  const server = config.mail?.servers[0];
  const listen = server?.listens[0];
  if (server === undefined || listen === undefined) throw new Error('inproc: the config has no server');
  const logs = new LogSystem({ format: 'nginx', prefix: `${dir}/` });
  const logger = logs.logger(server.errorLogs);
  const handler = new SessionHandler(config);
  const sockets = new Set<net.Socket>();
  let open = 0;
  const handles = new Set<SessionHandle>();
  let started = 0;
  let cid = 0;
  listener.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // the worker gives every socket an error listener before the handler sees it
    socket.on('error', () => undefined);
    cid++;
    logger.info(
      `client ${socket.remoteAddress ?? ''}:${socket.remotePort ?? 0} connected to ${listen.addrText}`,
      {
        cid,
      },
    );
    open++;
    started++;
    const handle = handler.start(socket, { cid, server, listen, logger });
    handles.add(handle);
    void handle.closed.then(() => {
      open--;
      handles.delete(handle);
    });
  });
  const readLog = (): string => readFileSync(logFile, 'utf8');
  return {
    port,
    addrText: listen.addrText,
    handler,
    config,
    server,
    logFile,
    get openSessions() {
      return open;
    },
    get sessionsStarted() {
      return started;
    },
    log: readLog,
    waitForLog: (re, timeoutMs = 5_000) =>
      poll(`a log line matching ${String(re)}`, timeoutMs, () =>
        readLog()
          .split('\n')
          .find((l) => re.test(l)),
      ).catch((err: unknown) => {
        throw new Error(`${(err as Error).message}\n${readLog()}`, { cause: err });
      }),
    waitIdle: (timeoutMs = 5_000) =>
      poll(`${open} open session(s) to close`, timeoutMs, () => (open === 0 ? true : undefined)).then(
        () => undefined,
      ),
    shutdownSessions: (reason) => {
      for (const h of handles) h.shutdown(reason);
    },
    close: async () => {
      await new Promise<void>((resolve) => {
        listener.close(() => {
          resolve();
        });
        for (const s of sockets) s.destroy();
      });
      handler.close();
      logs.close();
    },
  };
}
