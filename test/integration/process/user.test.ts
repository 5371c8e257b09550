/**
 * nginx's `user` directive: started as root, the primary keeps root (it owns the sockets and the log
 * files) while every worker runs as the configured user; the log files are the user's, so a worker can
 * still write after USR1 reopens a rotated file.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import { startPostern, waitFor, type RunningPostern } from '../../helpers/postern-bin.js';
import { ensureMailUser, type MailUser } from '../../helpers/mail-user.js';
import { freePort } from '../../helpers/ports.js';
import { runDir } from '../../helpers/run-dir.js';

function statusUid(pid: number): number {
  const m = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${String(pid)}/status`, 'utf8'));
  return Number(m?.[1]);
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(d));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

function greeting(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    s.once('data', (d) => {
      s.destroy();
      resolve(d.toString('latin1'));
    });
    s.once('error', reject);
    s.setTimeout(5000, () => {
      s.destroy();
      reject(new Error('no greeting'));
    });
  });
}

describe('the user directive (tests run as root, as CI does)', () => {
  let p: RunningPostern;
  let user: MailUser;
  let dir: string;
  let port: number;

  before(async () => {
    user = await ensureMailUser();
    dir = runDir();
    mkdirSync(join(dir, 'logs'), { recursive: true });
    port = await freePort();
    const conf = join(dir, 'postern.conf');
    writeFileSync(
      conf,
      `user ${user.name}; worker_processes 2; daemon off; pid ${dir}/postern.pid; error_log ${dir}/logs/error.log info;
events {}
mail { auth_http 127.0.0.1:9/auth; server { listen 127.0.0.1:${String(port)}; protocol imap; } }
`,
    );
    p = await startPostern(['-p', `${dir}/`, '-c', conf], join(dir, 'postern.pid'));
  });

  after(async () => {
    await p.kill();
  });

  it('runs the workers as the user and the primary as root', async () => {
    const workers = await waitFor(`two workers of ${String(p.pid)}`, () => {
      const w = childrenOf(p.pid);
      return w.length === 2 ? w : undefined;
    }).catch((e: unknown) => {
      throw new Error(`${String(e)}: children ${JSON.stringify(childrenOf(p.pid))}`);
    });
    assert.equal(statusUid(p.pid), 0);
    for (const w of workers) assert.equal(statusUid(w), user.uid);
    assert.equal(await greeting(port), '* OK IMAP4 ready\r\n');
  });

  it('gives the log file to the user, also after USR1 reopens a rotated file', async () => {
    const log = join(dir, 'logs', 'error.log');
    assert.equal(statSync(log).uid, user.uid);
    renameSync(log, `${log}.1`);
    p.signal('SIGUSR1');
    await waitFor('the new log file', () => {
      try {
        return statSync(log).uid === user.uid ? true : undefined;
      } catch {
        return undefined;
      }
    });
    await greeting(port);
    // the workers (now unprivileged) write into the reopened file
    await waitFor('a worker line in the new file', () =>
      /client 127\.0\.0\.1:\d+ connected to/.test(readFileSync(log, 'utf8')) ? true : undefined,
    );
  });
});
