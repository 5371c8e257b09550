/**
 * Process accounting from /proc (Linux): CPU time, resident memory and child processes of a pid.
 *
 * Owns: reading `/proc/<pid>/stat` (utime and stime), `/proc/<pid>/statm` (resident pages),
 * `/proc/<pid>/smaps_rollup` (Pss) and finding children by parent pid. Does not own what the pids are
 * (proxies/ says which processes make up a proxy) or any arithmetic across runs (run/measure.ts).
 * Every reader returns null (or skips the pid) when the process is gone: a worker may exit mid-run.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second for /proc/<pid>/stat times (`getconf CLK_TCK`; 100 on every Linux we know). */
export const CLK_TCK: number = ((): number => {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isInteger(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
})();

const PAGE_BYTES = 4096;

/** The fields after `(comm)` of /proc/<pid>/stat; comm may hold spaces and parentheses. */
function statFields(pid: number): string[] | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/** User + system CPU time of one process in milliseconds, or null when it is gone. */
export function cpuMs(pid: number): number | null {
  const f = statFields(pid);
  if (f === null) return null;
  // After comm: [0] state, [1] ppid ... utime is field 14 of the line, i.e. index 11 here; stime 12.
  const ticks = Number(f[11]) + Number(f[12]);
  return (ticks * 1000) / CLK_TCK;
}

/** User and system (kernel) CPU time of one process in milliseconds, or null when it is gone. */
export function cpuSplitMs(pid: number): { readonly userMs: number; readonly sysMs: number } | null {
  const f = statFields(pid);
  if (f === null) return null;
  return { userMs: (Number(f[11]) * 1000) / CLK_TCK, sysMs: (Number(f[12]) * 1000) / CLK_TCK };
}

/** Resident set size in bytes (statm's second field), or null when the process is gone. */
export function rssBytes(pid: number): number | null {
  try {
    const f = readFileSync(`/proc/${pid}/statm`, 'latin1').split(' ');
    return Number(f[1]) * PAGE_BYTES;
  } catch {
    return null;
  }
}

/**
 * Proportional set size in bytes (shared pages split between the processes mapping them), or null
 * when unreadable. Summed over nginx's master and workers it does not count copy-on-write pages twice.
 */
export function pssBytes(pid: number): number | null {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Live (non-zombie) children of `ppid`. */
export function childPids(ppid: number): number[] {
  const out: number[] = [];
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const name of names) {
    const c = name.charCodeAt(0);
    if (c < 0x30 || c > 0x39) continue;
    const f = statFields(Number(name));
    if (f !== null && Number(f[1]) === ppid && f[0] !== 'Z') out.push(Number(name));
  }
  return out;
}

/** `pid` and all its descendants. */
export function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length && i < 1000; i++) out.push(...childPids(out[i]!));
  return out;
}

/** Sum of `cpuMs` over pids that still exist. */
export function sumCpuMs(pids: readonly number[]): number {
  let total = 0;
  for (const p of pids) total += cpuMs(p) ?? 0;
  return total;
}

/** `cpuSplitMs` summed over pids that still exist. */
export function sumCpuSplitMs(pids: readonly number[]): { readonly userMs: number; readonly sysMs: number } {
  let userMs = 0;
  let sysMs = 0;
  for (const p of pids) {
    const c = cpuSplitMs(p);
    if (c === null) continue;
    userMs += c.userMs;
    sysMs += c.sysMs;
  }
  return { userMs, sysMs };
}

export interface MemorySample {
  readonly rssBytes: number;
  /** null when smaps_rollup is not readable for some pid */
  readonly pssBytes: number | null;
  readonly pids: number;
}

/** RSS (and PSS when readable) summed over pids that still exist. */
export function sumMemory(pids: readonly number[]): MemorySample {
  let rss = 0;
  let pss: number | null = 0;
  let n = 0;
  for (const p of pids) {
    const r = rssBytes(p);
    if (r === null) continue;
    n++;
    rss += r;
    const s = pssBytes(p);
    pss = s === null || pss === null ? null : pss + s;
  }
  return { rssBytes: rss, pssBytes: pss, pids: n };
}

/** This process's soft and hard limit on open files, from /proc/self/limits (null if unreadable). */
export function openFileLimits(): { soft: number; hard: number } | null {
  try {
    const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'latin1'));
    if (!m) return null;
    const n = (s: string): number => (s === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(s));
    return { soft: n(m[1]!), hard: n(m[2]!) };
  } catch {
    return null;
  }
}
