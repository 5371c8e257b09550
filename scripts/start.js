#!/usr/bin/env node
// `npm start`: the out-of-the-box set-up in the foreground — the demo backend (demo/backend.js), the
// bundled auth service (postern-auth with conf/auth/postern-auth.conf and the demo users) and postern
// itself (conf/postern.conf) — then prints what to try and stops all three on Ctrl-C or SIGTERM. If one
// of them dies, the others are stopped too and the exit code is non-zero.
//
// Runs after the build (`prestart` runs tsc): it starts build/src/main.js and build/auth-service/main.js.
// Options (the defaults are the shipped files; a test points them elsewhere):
//   --from-source           run the TypeScript sources with tsx instead of build/ (tests, no build)
//   --postern-conf FILE     postern's config (default conf/postern.conf)
//   --auth-conf FILE        postern-auth's config (default conf/auth/postern-auth.conf)
//   --users FILE            the demo backend's users file (default conf/auth/users)
//   --demo-ports I,P,S      the demo backend's IMAP, POP3, SMTP ports (default 11143,11110,11025)
//   --prefix DIR            postern's -p (default: the repository root)
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
const fromSource = args.includes('--from-source');
const posternConf = resolve(opt('--postern-conf', join(ROOT, 'conf/postern.conf')));
const authConf = resolve(opt('--auth-conf', join(ROOT, 'conf/auth/postern-auth.conf')));
const usersFile = resolve(opt('--users', join(ROOT, 'conf/auth/users')));
const [imapPort, pop3Port, smtpPort] = opt('--demo-ports', '11143,11110,11025').split(',');
const prefix = resolve(opt('--prefix', ROOT));

const node = (mod) =>
  fromSource ? ['--import', 'tsx', join(ROOT, `${mod}.ts`)] : ['--enable-source-maps', join(ROOT, 'build', `${mod}.js`)];

/** Listen addresses of a config, for the banner and the readiness wait (`listen [addr:]port`). */
function listens(file) {
  const text = readFileSync(file, 'utf8').replace(/#.*$/gm, '');
  return [...text.matchAll(/\blisten\s+(?:\[?([^\s\];]*?)\]?:)?(\d+)\b[^;]*;/g)].map((m) => ({
    host: m[1] || '127.0.0.1',
    port: Number(m[2]),
  }));
}

const children = [];
let stopping = false;

function start(name, argv) {
  const child = spawn(process.execPath, argv, { cwd: ROOT, stdio: ['ignore', 'inherit', 'pipe'] });
  let tail = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => {
    tail = (tail + d).slice(-4000);
    for (const line of d.split('\n')) if (line !== '') process.stderr.write(`[${name}] ${line}\n`);
  });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      process.stderr.write(`start: ${name} exited (${signal ?? code}); stopping the others\n`);
      void stopAll(1);
    }
  });
  children.push({ name, child, tail: () => tail });
  return child;
}

function waitPort(host, port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolvePort, reject) => {
    const attempt = () => {
      if (stopping) return reject(new Error('stopping'));
      const s = connect({ host, port });
      s.once('connect', () => {
        s.destroy();
        resolvePort();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`${host}:${port} did not open within ${timeoutMs} ms`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  for (const { child } of [...children].reverse()) if (child.exitCode === null) child.kill('SIGTERM');
  const deadline = setTimeout(() => {
    for (const { child } of children) if (child.exitCode === null) child.kill('SIGKILL');
  }, 5000);
  await Promise.all(
    children.map(({ child }) => (child.exitCode !== null || child.signalCode !== null ? null : new Promise((r) => child.once('exit', r)))),
  );
  clearTimeout(deadline);
  process.exit(code);
}

process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

async function main() {
  mkdirSync(join(prefix, 'logs'), { recursive: true });
  start('demo', [join(ROOT, 'demo/backend.js'), '--users', usersFile, '--imap', imapPort, '--pop3', pop3Port, '--smtp', smtpPort]);
  for (const p of [imapPort, pop3Port, smtpPort]) await waitPort('127.0.0.1', Number(p), 15000);
  start('auth', [...node('auth-service/main'), '-c', authConf]);
  for (const l of listens(authConf)) await waitPort(l.host, l.port, 20000);
  start('postern', [...node('src/main'), '-p', `${prefix}/`, '-c', posternConf]);
  const proxy = listens(posternConf);
  for (const l of proxy) await waitPort(l.host, l.port, 20000);
  const at = (i) => (proxy[i] ? `${proxy[i].host}:${proxy[i].port}` : '?');
  process.stdout.write(
    [
      '',
      `postern is up: IMAP ${at(0)}, POP3 ${at(1)}, SMTP ${at(2)}`,
      `  auth service: ${listens(authConf).map((l) => `${l.host}:${l.port}`).join(', ')}; demo backend: ${imapPort}/${pop3Port}/${smtpPort}`,
      '',
      'Try (user demo@example.com, password demo):',
      `  curl -u demo@example.com:demo 'imap://${at(0)}/INBOX;UID=1'`,
      `  curl -u demo@example.com:demo pop3://${at(1)}/1`,
      `  printf 'Subject: hi\\r\\n\\r\\nhello\\r\\n' | curl -u demo@example.com:demo --mail-from demo@example.com --mail-rcpt demo@example.com -T - smtp://${at(2)}`,
      '',
      'Ctrl-C stops all three.',
      '',
    ].join('\n'),
  );
}

main().catch((err) => {
  if (stopping) return;
  process.stderr.write(`start: ${err.message}\n`);
  for (const c of children) if (c.tail()) process.stderr.write(`--- ${c.name} ---\n${c.tail()}\n`);
  void stopAll(1);
});
