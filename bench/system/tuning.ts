/**
 * Host settings that loopback load needs, applied where we may and reported where we may not.
 *
 * Owns: `net.ipv4.tcp_tw_reuse` and `net.ipv4.ip_local_port_range` (each session leaves TIME_WAIT
 * sockets on loopback ports; tens of thousands of sessions exhaust the default range), the open-files
 * limit of the processes the bench starts (a shell `ulimit -n` in front of their command), and
 * re-executing the bench itself under a higher limit. Unprivileged, nothing fails: each step that cannot
 * be done becomes a warning in the report. Values match .ci/run. Settings are left as set (as .ci/run
 * leaves them); the report lists what was changed.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { openFileLimits } from './proc-stats.js';

/** Open files wanted for every process the bench starts (idle sessions hold 2 per session in a proxy). */
export const WANTED_OPEN_FILES = 262_144;

const PORT_RANGE = '10240 65000';

export interface TuningReport {
  readonly changed: readonly string[];
  readonly warnings: readonly string[];
  readonly tcpTwReuse: string | null;
  readonly portRange: string | null;
  readonly openFiles: { soft: number; hard: number } | null;
}

function readSysctl(name: string): string | null {
  try {
    return readFileSync(`/proc/sys/${name.replaceAll('.', '/')}`, 'latin1')
      .trim()
      .replace(/\s+/g, ' ');
  } catch {
    return null;
  }
}

function writeSysctl(name: string, value: string): boolean {
  try {
    writeFileSync(`/proc/sys/${name.replaceAll('.', '/')}`, value);
    return true;
  } catch {
    return false;
  }
}

/** Applies the loopback settings when they are weaker than wanted; never throws. */
export function tuneHost(): TuningReport {
  const changed: string[] = [];
  const warnings: string[] = [];
  const reuse = readSysctl('net.ipv4.tcp_tw_reuse');
  // 1 = everywhere, 2 = loopback only (the kernel default since 4.19): both cover our traffic.
  if (reuse !== null && reuse !== '1' && reuse !== '2') {
    if (writeSysctl('net.ipv4.tcp_tw_reuse', '1')) changed.push(`net.ipv4.tcp_tw_reuse ${reuse} -> 1`);
    else
      warnings.push(
        `net.ipv4.tcp_tw_reuse is ${reuse} and could not be set to 1 (not root?): TIME_WAIT may exhaust ports`,
      );
  }
  const range = readSysctl('net.ipv4.ip_local_port_range');
  if (range !== null) {
    const [lo, hi] = range.split(' ').map(Number) as [number, number];
    if (hi - lo < 50_000) {
      if (writeSysctl('net.ipv4.ip_local_port_range', PORT_RANGE)) {
        changed.push(`net.ipv4.ip_local_port_range ${range} -> ${PORT_RANGE}`);
      } else {
        warnings.push(
          `ip_local_port_range is ${range} (${hi - lo} ports) and could not be widened (not root?)`,
        );
      }
    }
  }
  return {
    changed,
    warnings,
    tcpTwReuse: readSysctl('net.ipv4.tcp_tw_reuse'),
    portRange: readSysctl('net.ipv4.ip_local_port_range'),
    openFiles: openFileLimits(),
  };
}

/**
 * `[command, args]` that runs `argv` with the open-files limit raised as far as allowed: to
 * WANTED_OPEN_FILES when privileged, else to the hard limit. `exec` keeps the pid, so the pid we
 * spawn is the program's own.
 */
export function withOpenFiles(argv: readonly string[]): { command: string; args: string[] } {
  const script = `ulimit -n ${WANTED_OPEN_FILES} 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"`;
  return { command: '/bin/sh', args: ['-c', script, 'sh', ...argv] };
}

/** Set in the environment of a bench re-executed under a raised limit, so it happens once. */
const REEXEC_ENV = 'POSTERN_BENCH_FD_RAISED';

/**
 * When this process may open fewer files than `needed` and has not been re-executed yet, runs the
 * same command again under `withOpenFiles` and returns its exit code; otherwise returns null and the
 * caller goes on. Idle runs hold one client socket per session in this process.
 */
export function reexecWithMoreFiles(needed: number): number | null {
  const lim = openFileLimits();
  if (lim === null || lim.soft >= needed || process.env[REEXEC_ENV] === '1') return null;
  const { command, args } = withOpenFiles([process.execPath, ...process.execArgv, ...process.argv.slice(1)]);
  const r = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, [REEXEC_ENV]: '1' } });
  return r.status ?? 1;
}
