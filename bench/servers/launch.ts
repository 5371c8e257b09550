/**
 * Starting the bench's own servers (fake backend, fast auth responder) as child processes.
 *
 * Owns: free ports, spawning with a raised open-files limit, waiting for `READY <pids>`, stopping.
 * Does not own the programs (fake-backend.ts, fast-auth.ts) or Dovecot (dovecot-backend.ts).
 */
import { freePort } from '../../test/helpers/ports.js';
import { spawnProc, type Proc } from '../../test/helpers/proc.js';
import { programArgs } from '../paths.js';
import { withOpenFiles } from '../system/tuning.js';
import type { MailProtocol } from '../load/job.js';

export interface ServerProcs {
  /** every pid of the program (cluster primary and workers) */
  readonly pids: readonly number[];
  readonly proc: Proc;
  readonly stop: () => Promise<void>;
}

export interface Backend {
  readonly kind: 'fake' | 'dovecot';
  readonly ports: Readonly<Record<MailProtocol, number>>;
  /** login names the load may use (Dovecot has real users) */
  readonly users: readonly { user: string; password: string }[];
  /** processes whose CPU is reported as the backend's (empty for Dovecot: not tracked) */
  pids(): readonly number[];
  stop(): Promise<void>;
}

async function startProgram(pathNoExt: string, args: readonly string[], label: string): Promise<ServerProcs> {
  const { command, args: full } = withOpenFiles([process.execPath, ...programArgs(pathNoExt), ...args]);
  const proc = spawnProc(command, full, { label });
  const m = await proc.waitForLine(/^READY ([\d ]+)$/, { timeoutMs: 20_000, stream: 'stdout' });
  const pids = m[1]!.split(' ').map(Number);
  return {
    pids,
    proc,
    stop: async () => {
      await proc.stop({ signal: 'SIGKILL' });
    },
  };
}

/** The fake IMAP/POP3/SMTP backend, serving a message of `messageBytes` for FETCH/RETR. */
export async function startFakeBackend(o: { procs: number; messageBytes: number }): Promise<Backend> {
  const ports = { imap: await freePort(), pop3: await freePort(), smtp: await freePort() };
  const p = await startProgram(
    'bench/servers/fake-backend',
    [
      '--imap',
      String(ports.imap),
      '--pop3',
      String(ports.pop3),
      '--smtp',
      String(ports.smtp),
      '--procs',
      String(o.procs),
      '--message-bytes',
      String(o.messageBytes),
    ],
    'fake-backend',
  );
  return {
    kind: 'fake',
    ports,
    users: [{ user: 'bench', password: 'bench-password' }],
    pids: () => p.pids,
    stop: p.stop,
  };
}

export interface AuthResponder {
  /** for `auth_http` */
  readonly url: string;
  readonly port: number;
  pids(): readonly number[];
  stop(): Promise<void>;
}

/** The fast auth_http responder, answering with `backendPorts` on 127.0.0.1 per Auth-Protocol. */
export async function startAuthResponder(o: {
  procs: number;
  backendPorts: Readonly<Record<MailProtocol, number>>;
}): Promise<AuthResponder> {
  const port = await freePort();
  const p = await startProgram(
    'bench/servers/fast-auth',
    [
      '--port',
      String(port),
      '--imap',
      `127.0.0.1:${o.backendPorts.imap}`,
      '--pop3',
      `127.0.0.1:${o.backendPorts.pop3}`,
      '--smtp',
      `127.0.0.1:${o.backendPorts.smtp}`,
      '--procs',
      String(o.procs),
    ],
    'fast-auth',
  );
  return { url: `http://127.0.0.1:${port}/auth`, port, pids: () => p.pids, stop: p.stop };
}
