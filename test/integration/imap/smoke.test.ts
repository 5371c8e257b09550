import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startDovecot } from '../../helpers/dovecot.js';
import { startFakeAuthHttp, ok } from '../../helpers/fake-auth-http.js';
import { startPostern } from '../../helpers/postern-bin.js';
import { freePort } from '../../helpers/ports.js';
import { runDir } from '../../helpers/run-dir.js';
import { curlImapFetch } from '../../helpers/clients.js';

test('curl fetches a message through postern from Dovecot', async () => {
  const dir = runDir();
  const dovecot = await startDovecot({ users: [{ user: 'alice', password: 'secret' }] });
  after(() => dovecot.stop());
  dovecot.mailbox('alice').deliver(Buffer.from('Subject: hi\r\n\r\nhello\r\n'));
  const auth = await startFakeAuthHttp({ script: () => ok('127.0.0.1', dovecot.imapPort) });
  after(() => auth.close());
  const port = await freePort();
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const conf = join(dir, 'postern.conf');
  writeFileSync(
    conf,
    `worker_processes 1; daemon off; pid ${dir}/postern.pid; error_log ${dir}/error.log info;
events {}
mail { auth_http ${auth.url}; server { listen 127.0.0.1:${port}; protocol imap; } }
`,
  );
  const p = await startPostern(['-p', `${dir}/`, '-c', conf], join(dir, 'postern.pid'));
  after(() => p.kill());
  const r = await curlImapFetch({ host: '127.0.0.1', port, user: 'alice', password: 'secret', uid: 1 });
  assert.equal(r.stdout.toString(), 'Subject: hi\r\n\r\nhello\r\n', r.stderr);
});
