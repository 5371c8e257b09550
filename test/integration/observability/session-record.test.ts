/**
 * The per-session record (`session closed (...)` at info, one line at session end) of the real binary,
 * in nginx's text format and in JSON: what it carries for a proxied session, a refused login and a
 * session that never logged in. Issue 10 asks for client, server, protocol, login, upstream, method,
 * TLS version, bytes each way, duration and end reason.
 *
 * Gaps (reported, not fixed here: session.ts and session-log.ts belong to the session engineer): the
 * text format has no protocol (only the JSON `proto` field carries it); the duration in the text and
 * `durationMs` are two readings of the clock; TLS is not wired into the binary yet, so the `tls:` part
 * cannot be seen end to end.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeMessage } from '../../helpers/mailbox.js';
import { imapFetch, imapRefused, silentUntilTimeout, smtpSend, startBackends, startProxy, type Backends, type Proxy } from './harness.js';

describe('the session record', () => {
  let b: Backends;
  const message = makeMessage({ sizeBytes: 5_000, seed: 'session-record' });

  before(async () => {
    b = await startBackends(['alice', 'bob']);
    b.dovecot.deliver('alice', message);
  });
  after(async () => {
    await b.stop();
  });

  async function closedLines(px: Proxy, n: number): Promise<string[]> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const lines = px.sessionLines();
      if (lines.length >= n) return lines;
      assert.ok(Date.now() < deadline, `only ${lines.length} of ${n} session records`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('in nginx format: reason, duration, bytes each way and method, then client, server, login and upstream', async () => {
    const px = await startProxy({ auth: b.auth, main: 'worker_processes 1;', mail: 'timeout 1s;' });
    try {
      await imapFetch(px.imap, 'alice', message);
      await imapRefused(px.imap, 'bad-alice');
      await silentUntilTimeout(px.pop3, /^\+OK /);
      const [proxied, refused, timedOut] = await closedLines(px, 3);
      const ts = String.raw`\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[info\] \d+#\d+: \*\d+ `;
      const imapServer = `127.0.0.1:${px.imap}`;
      assert.match(
        proxied ?? '',
        new RegExp(
          `^${ts}session closed \\(protocol: imap, reason: proxied, duration: \\d+\\.\\d{3}s, in: 75, out: \\d+, method: plain\\), ` +
            `client: 127\\.0\\.0\\.1, server: ${imapServer}, login: "alice", upstream: 127\\.0\\.0\\.1:${b.dovecot.imapPort}$`,
        ),
      );
      // out: greeting + LOGIN reply + SELECT + FETCH (with the message) + LOGOUT, all from the backend's bytes
      assert.ok(Number(/, out: (\d+)/.exec(proxied ?? '')?.[1]) > message.length);
      assert.match(
        refused ?? '',
        new RegExp(
          `^${ts}session closed \\(protocol: imap, reason: authFailed, duration: \\d+\\.\\d{3}s, in: 26, out: 50, method: plain\\), ` +
            `client: 127\\.0\\.0\\.1, server: ${imapServer}, login: "bad-alice"$`,
        ),
      );
      assert.match(
        timedOut ?? '',
        new RegExp(`^${ts}session closed \\(protocol: pop3, reason: timeout, duration: 1\\.\\d{3}s, in: 0, out: 16\\), client: 127\\.0\\.0\\.1, server: 127\\.0\\.0\\.1:${px.pop3}$`),
      );
    } finally {
      await px.stop();
    }
  });

  it('in JSON format: the same facts as fields, with the protocol', async () => {
    const px = await startProxy({ auth: b.auth, main: 'worker_processes 1;', logFormat: 'json' });
    try {
      await smtpSend(px.smtp, 'bob', message);
      const [line] = await closedLines(px, 1);
      const rec = JSON.parse(line ?? '{}') as Record<string, unknown>;
      assert.equal(rec['level'], 'info');
      assert.match(
        String(rec['msg']),
        new RegExp(`^session closed \\(protocol: smtp, reason: proxied, duration: \\d+\\.\\d{3}s, in: ${String(rec['bytesIn'])}, out: ${String(rec['bytesOut'])}, method: plain\\)$`),
      );
      assert.deepEqual(
        {
          role: rec['role'],
          proto: rec['proto'],
          client: rec['client'],
          server: rec['server'],
          login: rec['login'],
          upstream: rec['upstream'],
          reason: rec['reason'],
          method: rec['method'],
          tls: rec['tls'],
        },
        {
          role: 'worker',
          proto: 'smtp',
          client: '127.0.0.1',
          server: `127.0.0.1:${px.smtp}`,
          login: 'bob',
          upstream: `127.0.0.1:${b.postfix.smtpPort}`,
          reason: 'proxied',
          method: 'plain',
          tls: null,
        },
      );
      assert.equal(typeof rec['durationMs'], 'number');
      // in: EHLO, AUTH, MAIL, RCPT, DATA, the dot-stuffed message and its end, QUIT
      assert.ok((rec['bytesIn'] as number) > message.length, String(rec['bytesIn']));
      assert.ok((rec['bytesOut'] as number) > 0);
    } finally {
      await px.stop();
    }
  });
});
