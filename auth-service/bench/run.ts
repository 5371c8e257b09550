/**
 * Throughput of postern-auth per store × scheme, for docs/performance.md.
 *
 *   node --import tsx auth-service/bench/run.ts [--seconds N] [--connections N]
 *
 * For each store (users file, SQLite, Redis — a private redis-server is started) and each scheme, the
 * service runs as its own process (both listeners) and autocannon sends successful logins over
 * HTTP/1.1 keep-alive to the uWebSockets.js listener; PLAIN is also run against the node:net listener
 * with keep-alive and with HTTP/1.0 one-connection-per-request (nginx's way, by a small loader here,
 * since autocannon only speaks HTTP/1.1). Prints a Markdown table: requests/s, p99 latency, and the
 * service's CPU per request (from /proc, so the noisy neighbour's share does not count).
 * Bounded: every run stops after its duration; every process is stopped at the end.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { parsePasswdFile } from '../stores/passwd-file.js';
import { writeRedis } from '../stores/redis.js';
import { writeSqlite } from '../stores/sqlite.js';
import { loadHashWasm } from '../passwords/wasm-schemes.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const arg = (n: string, d: number): number => {
  const i = process.argv.indexOf(n);
  return i >= 0 ? Number(process.argv[i + 1]) : d;
};
const SECONDS = arg('--seconds', 5);
const CONNECTIONS = arg('--connections', 16);
const PASSWORD = 'bench-password';

function hashFor(scheme: string): string {
  if (scheme === 'PLAIN') return `{PLAIN}${PASSWORD}`;
  return spawnSync('doveadm', ['pw', '-s', scheme, '-p', PASSWORD], { encoding: 'utf8' }).stdout.trim();
}

function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]);
}

function waitLine(child: ChildProcess, re: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => {
      reject(new Error(`no ${re} from the service: ${buf}`));
    }, 20_000);
    child.stderr?.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = re.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    });
  });
}

async function oneShotLoad(port: number, seconds: number, concurrency: number): Promise<{ rps: number; p99: number }> {
  const req = Buffer.from(
    `GET /auth HTTP/1.0\r\nHost: localhost\r\nAuth-Method: plain\r\nAuth-User: bench@x.test\r\nAuth-Pass: ${PASSWORD}\r\nAuth-Protocol: imap\r\nAuth-Login-Attempt: 1\r\nClient-IP: 192.0.2.1\r\n\r\n`,
  );
  const end = Date.now() + seconds * 1000;
  const lat: number[] = [];
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const t0 = performance.now();
      const s = connect({ host: '127.0.0.1', port });
      let ok = false;
      s.on('connect', () => s.write(req));
      s.on('data', (d: Buffer) => {
        if (d.includes('Auth-Status: OK')) ok = true;
      });
      s.on('error', () => undefined);
      s.on('close', () => {
        if (ok) lat.push(performance.now() - t0);
        resolve();
      });
    });
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) await one();
    }),
  );
  lat.sort((a, b) => a - b);
  return { rps: Math.round(lat.length / seconds), p99: lat[Math.floor(lat.length * 0.99)] ?? NaN };
}

interface Row {
  store: string;
  scheme: string;
  path: string;
  rps: number;
  p99: number;
  cpuUsPerReq: number;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'postern-auth-bench-'));
  const redisPort = 16379 + Math.floor(Math.random() * 1000);
  const redisServer = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const rows: Row[] = [];
  const schemes = ['PLAIN', 'SSHA512', 'SHA256-CRYPT', 'SHA512-CRYPT'];
  if ((await loadHashWasm()) !== null) schemes.push('BLF-CRYPT', 'ARGON2ID');
  try {
    await new Promise((r) => setTimeout(r, 500));
    for (const scheme of schemes) {
      const line = `bench@x.test:${hashFor(scheme)}`;
      writeFileSync(join(dir, 'users'), `${line}\n`);
      const users = [...parsePasswdFile(line, 'bench', true).users.values()];
      writeSqlite(join(dir, `users-${scheme}.sqlite`), users);
      const rc = new Redis({ host: '127.0.0.1', port: redisPort });
      await writeRedis(rc, users);
      await rc.quit();
      for (const store of ['file', 'sqlite', 'redis']) {
        const where = store === 'file' ? 'file users' : store === 'sqlite' ? `sqlite users-${scheme}.sqlite` : `redis redis://127.0.0.1:${redisPort}/0`;
        writeFileSync(join(dir, 'b.conf'), `listen 127.0.0.1:0;\nlisten 127.0.0.1:0 uws;\nusers ${where};\nthrottle memory;\nbackend imap 127.0.0.1:143;\nlog_level warn;\n`);
        const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'auth-service/main.ts'), '-c', join(dir, 'b.conf')], {
          cwd: ROOT,
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        try {
          const listening = JSON.parse(await waitLine(child, /\{"msg":"listening".*\}\n/)) as { listeners: { kind: string; port: number }[] };
          const port = (k: string): number => listening.listeners.find((l) => l.kind === k)?.port ?? 0;
          const paths: [string, number][] = [['uws keep-alive', port('uws')]];
          if (scheme === 'PLAIN') paths.push(['node:net keep-alive', port('raw')], ['node:net HTTP/1.0', port('raw')]);
          for (const [path, p] of paths) {
            const before = cpuTicks(child.pid ?? 0);
            let rps: number;
            let p99: number;
            let n: number;
            if (path === 'node:net HTTP/1.0') {
              const r = await oneShotLoad(p, SECONDS, CONNECTIONS);
              ({ rps, p99 } = r);
              n = rps * SECONDS;
            } else {
              const r = await autocannon({
                url: `http://127.0.0.1:${p}/auth`,
                connections: CONNECTIONS,
                duration: SECONDS,
                headers: { 'Auth-Method': 'plain', 'Auth-User': 'bench@x.test', 'Auth-Pass': PASSWORD, 'Auth-Protocol': 'imap', 'Auth-Login-Attempt': '1', 'Client-IP': '192.0.2.1' },
              });
              rps = Math.round(r.requests.average);
              p99 = r.latency.p99;
              n = r.requests.total;
            }
            const ticks = cpuTicks(child.pid ?? 0) - before;
            rows.push({ store, scheme, path, rps, p99, cpuUsPerReq: Math.round((ticks * 10_000) / Math.max(1, n)) });
            process.stderr.write(`${store} ${scheme} ${path}: ${rps} req/s, p99 ${p99} ms\n`);
          }
        } finally {
          child.kill('SIGTERM');
          await new Promise((r) => child.once('exit', r));
        }
      }
    }
  } finally {
    redisServer.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write('| store | scheme | listener | requests/s | p99 ms | service CPU µs/req |\n| --- | --- | --- | ---: | ---: | ---: |\n');
  for (const r of rows) process.stdout.write(`| ${r.store} | ${r.scheme} | ${r.path} | ${r.rps} | ${r.p99} | ${r.cpuUsPerReq} |\n`);
}

await main();
