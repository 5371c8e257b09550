/**
 * Starting a proxy under test (postern or nginx) on fresh loopback ports with the shared config.
 *
 * Owns: the instance's directory, ports, command line (open-files limit raised, `--cpu-prof` for
 * postern when profiling), waiting until every port accepts and every worker runs, and stopping (a
 * graceful stop first when profiling, so V8 writes its profiles). Does not own the config text
 * (mail-config.ts) or finding nginx (nginx-binary.ts).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../test/helpers/ports.js';
import { spawnProc, waitFor, waitForPort } from '../../test/helpers/proc.js';
import type { MailProtocol } from '../load/job.js';
import { childPids } from '../system/proc-stats.js';
import { withOpenFiles } from '../system/tuning.js';
import { renderMailConfig, type TlsListen } from './mail-config.js';
import { NGINX_MAIL_MODULE, findNginx, nginxProblem } from './nginx-binary.js';
import type { ProxyInstance, ProxyStartOptions, ProxyVariant } from './types.js';

async function protocolPorts(): Promise<Record<MailProtocol, number>> {
  return { imap: await freePort(), pop3: await freePort(), smtp: await freePort() };
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

export async function startProxy(variant: ProxyVariant, o: ProxyStartOptions): Promise<ProxyInstance> {
  const dir = mkdtempSync(join(tmpdir(), `postern-bench-${variant.id}-`));
  // nginx workers run as an unprivileged user and must reach the error log's directory.
  chmodSync(dir, 0o755);
  const ports = await protocolPorts();
  const tls: TlsListen | null =
    o.tls === null
      ? null
      : {
          certificate: o.tls.certificate,
          key: o.tls.key,
          implicit: await protocolPorts(),
          starttls: await protocolPorts(),
        };
  const configText = renderMailConfig({
    kind: variant.kind,
    dir,
    workers: o.workers,
    workerConnections: o.workerConnections,
    logLevel: o.logLevel,
    authUrl: o.authUrl,
    keepalive: variant.keepalive,
    acceptPolicy: variant.acceptPolicy,
    ports,
    proxyBuffer: o.proxyBuffer,
    tls,
    statusPort: variant.kind === 'postern' ? (o.statusPort ?? null) : null,
  });
  const conf = join(dir, 'proxy.conf');
  writeFileSync(conf, configText);
  let argv: string[];
  if (variant.kind === 'nginx') {
    const problem = nginxProblem();
    if (problem !== null) throw new Error(problem);
    argv = [findNginx()!, '-g', `load_module ${NGINX_MAIL_MODULE};`, '-p', `${dir}/`, '-c', conf];
  } else {
    const e = variant.entry!;
    const prof = o.cpuProfileDir === null ? [] : ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfileDir}`];
    argv = [process.execPath, ...e.execArgv, ...prof, e.main, '-p', `${dir}/`, '-c', conf];
  }
  const { command, args } = withOpenFiles(argv);
  const proc = spawnProc(command, args, { label: variant.id, cwd: dir });
  const errorLog = (): string => readText(join(dir, 'error.log'));
  const allPorts = [
    ...Object.values(ports),
    ...(tls === null ? [] : [...Object.values(tls.implicit), ...Object.values(tls.starttls)]),
    ...(variant.kind === 'postern' && o.statusPort != null ? [o.statusPort] : []),
  ];
  try {
    for (const port of allPorts) await waitForPort(port, { proc, timeoutMs: 30_000 });
    await waitFor(() => childPids(proc.pid).length >= o.workers, {
      timeoutMs: 30_000,
      what: `${o.workers} ${variant.id} worker(s)`,
    });
  } catch (err) {
    await proc.stop({ signal: 'SIGKILL' });
    const text = `${proc.output()}\n--- error.log ---\n${errorLog()}`;
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${variant.id} did not start: ${(err as Error).message}\n${text}`, { cause: err });
  }
  let stopped = false;
  return {
    variant,
    ports,
    tlsPorts: tls === null ? null : { implicit: tls.implicit, starttls: tls.starttls },
    configText,
    pids: () => [proc.pid, ...childPids(proc.pid)],
    errorLog,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      // nginx's and postern's fast stop (TERM); workers exit normally, so --cpu-prof files get written.
      await proc.stop({ signal: 'SIGTERM', timeoutMs: o.cpuProfileDir === null ? 5_000 : 30_000 });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
