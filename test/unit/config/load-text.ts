/**
 * Test helper: load configuration text from a temp directory with pinned machine facts and a fake
 * host lookup, so results are exact and no DNS is asked.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ConfigError } from '../../../src/errors.js';
import { loadConfig, type HostLookup, type LoadResult } from '../../../src/config/load.js';

export const FAKE_HOSTS: Readonly<Record<string, readonly { address: string; family: 4 | 6 }[]>> = {
  localhost: [{ address: '127.0.0.1', family: 4 }],
  'auth.test': [{ address: '192.0.2.10', family: 4 }],
  'dual.test': [
    { address: '192.0.2.1', family: 4 },
    { address: '2001:db8::1', family: 6 },
  ],
  'v6.test': [{ address: '2001:db8::5', family: 6 }],
};

export const fakeLookup: HostLookup = (host) => Promise.resolve(FAKE_HOSTS[host] ?? []);

export const MACHINE = {
  cpuCount: 4,
  hostname: 'mx.test',
  isRoot: true,
  userExists: (n: string) => ['root', 'nobody', 'mail'].includes(n),
  groupExists: (n: string) => ['root', 'nogroup', 'mail'].includes(n),
} as const;

export interface TempConf {
  /** with trailing slash; also the prefix */
  readonly dir: string;
  readonly confFile: string;
  load(globalDirectives?: string | null): Promise<LoadResult>;
  cleanup(): void;
}

/** Writes `nginx.conf` (and any extra files, paths relative to the directory) into a fresh directory. */
export function tempConf(text: string, files: Readonly<Record<string, string>> = {}): TempConf {
  const dir = mkdtempSync(join(tmpdir(), 'postern-unit-'));
  writeFileSync(join(dir, 'nginx.conf'), text);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  const confFile = join(dir, 'nginx.conf');
  return {
    dir: `${dir}/`,
    confFile,
    load: (globalDirectives = null) =>
      loadConfig({ confFile, prefix: `${dir}/`, globalDirectives, lookup: fakeLookup, machine: MACHINE }),
    cleanup: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Loads text and returns the result; the directory is removed afterwards. */
export async function loadText(
  text: string,
  files: Readonly<Record<string, string>> = {},
): Promise<LoadResult> {
  const t = tempConf(text, files);
  try {
    return await t.load();
  } finally {
    t.cleanup();
  }
}

/**
 * Loads text that must fail; returns nginx's printed form with the directory replaced by `P/`, e.g.
 * `"timeout" directive invalid value in P/nginx.conf:7`.
 */
export async function loadError(
  text: string,
  files: Readonly<Record<string, string>> = {},
  g: string | null = null,
): Promise<string> {
  const t = tempConf(text, files);
  try {
    await t.load(g);
  } catch (err) {
    if (err instanceof ConfigError) return err.toString().split(t.dir).join('P/');
    throw err;
  } finally {
    t.cleanup();
  }
  throw new Error('the configuration loaded but was expected to fail');
}

/** `events {}` + a mail block with auth_http and one IMAP server whose body is `server`. */
export function mailConf(server: string, mailLevel = '', main = ''): string {
  return `${main}events {}\nmail {\n    auth_http 127.0.0.1:9000/auth;\n${mailLevel}    server {\n        listen 127.0.0.1:10143;\n        protocol imap;\n${server}    }\n}\n`;
}

/** The line of `needle` in mailConf-built text (1-based), for error-line assertions. */
export function lineOf(text: string, needle: string): number {
  const idx = text.indexOf(needle);
  if (idx === -1) throw new Error(`${needle} not in text`);
  return text.slice(0, idx).split('\n').length;
}
