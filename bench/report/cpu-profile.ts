/**
 * Reading V8 CPU profiles (`node --cpu-prof`, written by postern's processes under --profile): which
 * functions the time was spent in (self time), which of postern's own functions were on the stack
 * (inclusive time), and a split into broad categories. The busiest profile is the worker under load.
 *
 * Owns: parsing the .cpuprofile JSON and the summary tables. Does not own profiling itself
 * (proxies/launch.ts passes --cpu-prof).
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

export interface ProfileEntry {
  readonly name: string;
  /** `src/relay/relay.ts:120`, `node:net`, or `(native)` */
  readonly where: string;
  readonly ms: number;
  /** share of the busy (non-idle) time */
  readonly pct: number;
}

export interface ProfileSummary {
  readonly file: string;
  readonly busyMs: number;
  readonly idleMs: number;
  readonly selfTop: readonly ProfileEntry[];
  /** postern's own functions (src/…), by time with them anywhere on the stack */
  readonly inclusiveTop: readonly ProfileEntry[];
  /** Node's library functions (node:…), by time with them anywhere on the stack: sockets, streams, timers */
  readonly inclusiveNodeTop: readonly ProfileEntry[];
  readonly categories: readonly ProfileEntry[];
}

function where(cf: CallFrame): string {
  const url = cf.url;
  if (url === '') return '(native)';
  const src = url.lastIndexOf('/src/');
  if (src >= 0) return `${url.slice(src + 1).replace(/\.js$/, '.ts')}:${cf.lineNumber + 1}`;
  if (url.startsWith('node:')) return url;
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) return url.slice(nm + 14).split('/')[0] ?? url;
  return url.split('/').slice(-2).join('/');
}

/** Broad buckets: idle, GC, postern's code, Node's library code, native code and system calls. */
function category(cf: CallFrame): string {
  const n = cf.functionName;
  if (n === '(idle)') return 'idle';
  if (n === '(garbage collector)') return 'garbage collector';
  if (n === '(program)') return 'V8/runtime (program)';
  if (cf.url.includes('/src/')) return "postern's own code";
  if (cf.url.startsWith('node:')) return `node library: ${cf.url.slice(5).split('/')[0] ?? ''}`;
  if (cf.url === '') return `native: ${n === '' ? '(anonymous)' : n}`;
  return 'other JS';
}

export function summarizeProfile(file: string, top = 25): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of p.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  let idle = 0;
  let busy = 0;
  const self = new Map<string, { name: string; where: string; us: number }>();
  const incl = new Map<string, { name: string; where: string; us: number }>();
  const inclNode = new Map<string, { name: string; where: string; us: number }>();
  const cats = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    const cf = node.callFrame;
    const cat = category(cf);
    cats.set(cat, (cats.get(cat) ?? 0) + us);
    if (cat === 'idle') {
      idle += us;
      continue;
    }
    busy += us;
    const key = `${cf.functionName}@${cf.url}:${cf.lineNumber}`;
    const e = self.get(key) ?? {
      name: cf.functionName === '' ? '(anonymous)' : cf.functionName,
      where: where(cf),
      us: 0,
    };
    e.us += us;
    self.set(key, e);
    // Inclusive: every distinct postern (and Node library) function on this sample's stack.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      const into = f.url.includes('/src/') ? incl : f.url.startsWith('node:') ? inclNode : null;
      if (into === null) continue;
      const k = `${f.functionName}@${f.url}:${f.lineNumber}`;
      if (seen.has(k)) continue;
      seen.add(k);
      const ie = into.get(k) ?? {
        name: f.functionName === '' ? '(anonymous)' : f.functionName,
        where: where(f),
        us: 0,
      };
      ie.us += us;
      into.set(k, ie);
    }
  }
  const toEntries = (m: Iterable<{ name: string; where: string; us: number }>): ProfileEntry[] =>
    [...m]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((e) => ({
        name: e.name,
        where: e.where,
        ms: e.us / 1000,
        pct: busy > 0 ? (e.us / busy) * 100 : 0,
      }));
  return {
    file,
    busyMs: busy / 1000,
    idleMs: idle / 1000,
    selfTop: toEntries(self.values()),
    inclusiveTop: toEntries(incl.values()),
    inclusiveNodeTop: toEntries(inclNode.values()),
    categories: toEntries(
      [...cats].filter(([k]) => k !== 'idle').map(([k, us]) => ({ name: k, where: '', us })),
    ),
  };
}

/** Long names (a RegExp's source, say) cut to this many characters in tables. */
const MAX_NAME = 60;

function short(s: string): string {
  return s.length > MAX_NAME ? `${s.slice(0, MAX_NAME - 1)}…` : s;
}

/** Markdown tables for one profile. */
export function renderProfile(s: ProfileSummary): string[] {
  const rows = (es: readonly ProfileEntry[]): string[] =>
    es.map(
      (e) =>
        `| ${e.pct.toFixed(1)}% | ${e.ms.toFixed(0)} | \`${short(e.name).replaceAll('|', '\\|')}\` | ${e.where} |`,
    );
  return [
    `Profile ${s.file}: ${s.busyMs.toFixed(0)} ms busy, ${s.idleMs.toFixed(0)} ms idle.`,
    '',
    '| share of busy | ms | category | |',
    '| --- | --- | --- | --- |',
    ...rows(s.categories),
    '',
    '| share of busy | ms self | function | where |',
    '| --- | --- | --- | --- |',
    ...rows(s.selfTop),
    '',
    '| share of busy | ms inclusive | postern function | where |',
    '| --- | --- | --- | --- |',
    ...rows(s.inclusiveTop),
    '',
    '| share of busy | ms inclusive | Node library function | where |',
    '| --- | --- | --- | --- |',
    ...rows(s.inclusiveNodeTop),
    '',
  ];
}
