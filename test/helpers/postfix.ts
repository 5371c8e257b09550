/**
 * A private Postfix (SMTP backend) per test, on a free loopback port, delivering into Maildirs the
 * test reads back.
 *
 * Owns: a self-contained config directory (main.cf/master.cf; queue_directory, data_directory and
 * maillog_file under the run dir; no /etc/postfix/main.cf needed), `postfix -c <dir> start-fg` and
 * `stop`, virtual mailboxes for the listed addresses, XCLIENT from 127.0.0.0/8, an optional PROXY
 * protocol smtpd on a second port, optional SASL AUTH through a Dovecot auth socket, and the log.
 * Does not own: message content (mailbox.ts), SMTP clients (clients.ts, line-client.ts), the Dovecot
 * that serves SASL (dovecot.ts).
 *
 * Delivery: recipients in `domain` listed in `users` go to `<dir>/vmail/<local>/` (Maildir, owned by
 * postern-mail); other recipients in `domain` are rejected by Postfix (550 user unknown); every other
 * domain is accepted and discarded. Postfix stores lines with LF and prepends Return-Path,
 * X-Original-To, Delivered-To and Received: compare with `stripTraceHeaders(crlfToLf(sent))`
 * (mailbox.ts), or use `deliveredBodies()`.
 *
 * Log: `maillog_file` (written by postlogd). After a message is accepted, delivery is asynchronous:
 * use `waitForMessages()`.
 */
import { chownSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureMailUser, type MailUser } from './mail-user.js';
import { readMaildir } from './maildir.js';
import { stripTraceHeaders } from './mailbox.js';
import { AddrInUseError, freePort, retryOnAddrInUse } from './ports.js';
import { killGroup, pidAlive, registerExitCleanup, runCmd, spawnProc, waitFor, waitForPort } from './proc.js';
import { removeDir, subDir } from './run-dir.js';

export interface PostfixOptions {
  /** Addresses with a Maildir (default alice@ and bob@ the domain). Bare local parts get `@domain`. */
  readonly users?: readonly string[];
  /** The virtual mailbox domain (default example.test). */
  readonly domain?: string;
  /** Also run an smtpd with `smtpd_upstream_proxy_protocol = haproxy` on `proxyProtocolPort`. */
  readonly proxyProtocol?: boolean;
  /**
   * Offer SMTP AUTH (PLAIN LOGIN) checked by Dovecot through this auth socket
   * (`Dovecot.authSocketPath`); for `proxy_smtp_auth on` tests.
   */
  readonly saslAuthSocket?: string;
  /** Offer STARTTLS (`smtpd_tls_security_level = may`) with this certificate and key (PEM paths). */
  readonly tls?: { readonly cert: string; readonly key: string };
  /** `smtpd_authorized_xclient_hosts` (default 127.0.0.0/8; "" to refuse XCLIENT). */
  readonly xclientHosts?: string;
  /** main.cf settings that override the defaults (e.g. `{ smtpd_forbid_bare_newline: 'yes' }`). */
  readonly mainCf?: Readonly<Record<string, string>>;
  /** Extra master.cf lines. */
  readonly extraMasterCf?: string;
  /** Deadline for start-up (default 20 s). */
  readonly startTimeoutMs?: number;
}

export interface PostfixMailbox {
  readonly maildir: string;
  /** Every delivered file, oldest first, exactly as stored (LF line endings, trace headers). */
  messages(): Buffer[];
}

export interface Postfix {
  readonly host: '127.0.0.1';
  readonly smtpPort: number;
  /** The PROXY-protocol smtpd (0 unless `proxyProtocol`). */
  readonly proxyProtocolPort: number;
  readonly domain: string;
  readonly configDir: string;
  readonly logFile: string;
  /** The whole mail log so far. */
  readLog(): string;
  /** Waits until a log line matches `re`; returns the line. */
  waitForLog(re: RegExp, opts?: { timeoutMs?: number }): Promise<string>;
  mailbox(user: string): PostfixMailbox;
  /** Same as `mailbox(user).messages()`. */
  messages(user: string): Buffer[];
  /** Waits until `user` has at least `count` messages; returns them all. */
  waitForMessages(user: string, count: number, opts?: { timeoutMs?: number }): Promise<Buffer[]>;
  /**
   * The messages of `user` with Postfix's trace headers removed: equal to `crlfToLf(sent)` when the
   * message arrived intact.
   */
  deliveredBodies(user: string): Buffer[];
  /** `postfix stop`, then SIGKILL to what is left; removes the directory. */
  stop(): Promise<void>;
}

let systemIds: Promise<{ postfixUid: number; postdropGid: number }> | null = null;

async function lookupSystemIds(): Promise<{ postfixUid: number; postdropGid: number }> {
  const pw = await runCmd('getent', ['passwd', 'postfix'], { timeoutMs: 10_000 });
  const gr = await runCmd('getent', ['group', 'postdrop'], { timeoutMs: 10_000 });
  const postfixUid = Number(pw.stdout.toString().split(':')[2]);
  const postdropGid = Number(gr.stdout.toString().split(':')[2]);
  if (!Number.isInteger(postfixUid) || !Number.isInteger(postdropGid)) {
    throw new Error(
      'postfix.ts: the postfix user or postdrop group is missing (is the postfix package installed?)',
    );
  }
  return { postfixUid, postdropGid };
}

/** The queue directories and owners from Debian's /etc/postfix/postfix-files, so no `postfix check` run is needed. */
const QUEUE_DIRS: readonly (readonly [
  name: string,
  mode: number,
  owner: 'postfix' | 'root',
  group: 'root' | 'postdrop',
])[] = [
  ['active', 0o700, 'postfix', 'root'],
  ['bounce', 0o700, 'postfix', 'root'],
  ['corrupt', 0o700, 'postfix', 'root'],
  ['defer', 0o700, 'postfix', 'root'],
  ['deferred', 0o700, 'postfix', 'root'],
  ['flush', 0o700, 'postfix', 'root'],
  ['hold', 0o700, 'postfix', 'root'],
  ['incoming', 0o700, 'postfix', 'root'],
  ['private', 0o700, 'postfix', 'root'],
  ['saved', 0o700, 'postfix', 'root'],
  ['trace', 0o700, 'postfix', 'root'],
  ['maildrop', 0o730, 'postfix', 'postdrop'],
  ['public', 0o710, 'postfix', 'postdrop'],
  ['pid', 0o755, 'root', 'root'],
];

function localPart(user: string): string {
  const at = user.lastIndexOf('@');
  return at === -1 ? user : user.slice(0, at);
}

function renderMainCf(p: { dir: string; domain: string; mailUser: MailUser; opts: PostfixOptions }): string {
  const { dir, domain, mailUser, opts } = p;
  const settings: Record<string, string> = {
    compatibility_level: '3.6',
    queue_directory: join(dir, 'queue'),
    data_directory: join(dir, 'data'),
    maillog_file: join(dir, 'maillog'),
    maillog_file_prefixes: dir,
    inet_interfaces: '127.0.0.1',
    inet_protocols: 'ipv4',
    myhostname: 'postfix.postern.test',
    mydomain: 'postern.test',
    myorigin: 'postern.test',
    mynetworks: '127.0.0.0/8',
    mydestination: '',
    local_recipient_maps: '',
    alias_maps: '',
    alias_database: '',
    default_transport: 'discard:',
    relay_transport: 'discard:',
    local_transport: 'discard:',
    virtual_mailbox_domains: domain,
    virtual_mailbox_base: join(dir, 'vmail'),
    virtual_mailbox_maps: `texthash:${join(dir, 'conf', 'vmailbox')}`,
    virtual_uid_maps: `static:${mailUser.uid}`,
    virtual_gid_maps: `static:${mailUser.gid}`,
    virtual_minimum_uid: String(Math.min(mailUser.uid, 100)),
    virtual_mailbox_limit: '0',
    message_size_limit: '0',
    // Accept any recipient from anyone: unknown virtual users are still rejected by the
    // virtual_mailbox_maps check, other domains go to discard:.
    smtpd_relay_restrictions: 'permit_auth_destination, check_client_access static:OK, reject',
    smtpd_authorized_xclient_hosts: opts.xclientHosts ?? '127.0.0.0/8',
    smtpd_peername_lookup: 'no',
    smtpd_client_connection_count_limit: '0',
    smtpd_client_connection_rate_limit: '0',
    smtpd_client_message_rate_limit: '0',
    smtpd_client_recipient_rate_limit: '0',
    smtpd_client_new_tls_session_rate_limit: '0',
    smtpd_client_auth_rate_limit: '0',
    smtpd_error_sleep_time: '0',
    smtpd_soft_error_limit: '1000',
    smtpd_hard_error_limit: '1000',
    in_flow_delay: '0',
    // No header rewriting or added headers for clients on 127.0.0.1: what was sent is what is stored.
    local_header_rewrite_clients: '',
    biff: 'no',
  };
  if (opts.saslAuthSocket !== undefined) {
    settings.smtpd_sasl_auth_enable = 'yes';
    settings.smtpd_sasl_type = 'dovecot';
    settings.smtpd_sasl_path = opts.saslAuthSocket;
  }
  if (opts.tls !== undefined) {
    settings.smtpd_tls_security_level = 'may';
    settings.smtpd_tls_cert_file = opts.tls.cert;
    settings.smtpd_tls_key_file = opts.tls.key;
  }
  Object.assign(settings, opts.mainCf ?? {});
  return (
    '# written by test/helpers/postfix.ts\n' +
    Object.entries(settings)
      .map(([k, v]) => `${k} = ${v}`)
      .join('\n') +
    '\n'
  );
}

function renderMasterCf(smtpPort: number, proxyPort: number, extra: string): string {
  const lines = [
    '# written by test/helpers/postfix.ts',
    '# service type  private unpriv  chroot  wakeup  maxproc command',
    `127.0.0.1:${smtpPort} inet n - n - - smtpd`,
  ];
  if (proxyPort)
    lines.push(`127.0.0.1:${proxyPort} inet n - n - - smtpd`, '  -o smtpd_upstream_proxy_protocol=haproxy');
  lines.push(
    'pickup    unix  n - n 60 1 pickup',
    'cleanup   unix  n - n - 0 cleanup',
    'qmgr      unix  n - n 300 1 qmgr',
    'rewrite   unix  - - n - - trivial-rewrite',
    'bounce    unix  - - n - 0 bounce',
    'defer     unix  - - n - 0 bounce',
    'trace     unix  - - n - 0 bounce',
    'verify    unix  - - n - 1 verify',
    'flush     unix  n - n 1000? 0 flush',
    'proxymap  unix  - - n - - proxymap',
    'smtp      unix  - - n - - smtp',
    'relay     unix  - - n - - smtp',
    'showq     unix  n - n - - showq',
    'error     unix  - - n - - error',
    'retry     unix  - - n - - error',
    'discard   unix  - - n - - discard',
    'virtual   unix  - n n - - virtual',
    'anvil     unix  - - n - 1 anvil',
    'scache    unix  - - n - 1 scache',
    'postlog   unix-dgram n - n - 1 postlogd',
    'tlsmgr    unix  - - n 1000? 1 tlsmgr',
  );
  return lines.join('\n') + '\n' + extra + '\n';
}

function readMasterPid(queueDir: string): number | null {
  try {
    const n = Number(readFileSync(join(queueDir, 'pid', 'master.pid'), 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

async function startOnce(opts: PostfixOptions, mailUser: MailUser): Promise<Postfix> {
  const ids = await (systemIds ??= lookupSystemIds());
  const dir = subDir('postfix');
  const domain = opts.domain ?? 'example.test';
  const users = (opts.users ?? ['alice', 'bob']).map((u) => (u.includes('@') ? u : `${u}@${domain}`));
  const smtpPort = await freePort();
  const proxyProtocolPort = opts.proxyProtocol ? await freePort() : 0;
  const confDir = join(dir, 'conf');
  const queueDir = join(dir, 'queue');
  const dataDir = join(dir, 'data');
  const vmail = join(dir, 'vmail');
  const logFile = join(dir, 'maillog');
  for (const d of [confDir, queueDir, dataDir, vmail]) mkdirSync(d, { recursive: true, mode: 0o755 });
  chownSync(dataDir, ids.postfixUid, 0);
  chownSync(vmail, mailUser.uid, mailUser.gid);
  for (const [name, mode, owner, group] of QUEUE_DIRS) {
    const d = join(queueDir, name);
    mkdirSync(d, { mode });
    chownSync(d, owner === 'postfix' ? ids.postfixUid : 0, group === 'postdrop' ? ids.postdropGid : 0);
  }
  // Tells postfix-script to skip its slow integrity checks: the directories above are what they create.
  writeFileSync(join(queueDir, 'quick-start'), '');
  writeFileSync(join(confDir, 'main.cf'), renderMainCf({ dir, domain, mailUser, opts }));
  writeFileSync(
    join(confDir, 'master.cf'),
    renderMasterCf(smtpPort, proxyProtocolPort, opts.extraMasterCf ?? ''),
  );
  writeFileSync(join(confDir, 'vmailbox'), users.map((u) => `${u} ${localPart(u)}/`).join('\n') + '\n');
  writeFileSync(logFile, '');
  // Postfix re-reads a config or texthash file until its mtime is at least a second in the past (it
  // suspects a half-written file): backdate ours, which saves ~2 s per start.
  const past = new Date(Date.now() - 60_000);
  for (const f of ['main.cf', 'master.cf', 'vmailbox']) utimesSync(join(confDir, f), past, past);

  const readLog = (): string => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };
  // start-fg: postfix-script stays in the foreground while the master runs (the master itself calls
  // setsid(), so it has its own process group: we kill that group by the pid in master.pid).
  const proc = spawnProc('postfix', ['-c', confDir, 'start-fg'], { label: 'postfix', cwd: dir });
  let masterPid: number | null = null;
  let unregisterMaster = (): void => undefined;
  const timeoutMs = opts.startTimeoutMs ?? 20_000;
  try {
    masterPid = await waitFor(
      () => {
        if (proc.exitInfo) throw new Error(`postfix start-fg exited\n${proc.output()}`);
        return readMasterPid(queueDir) ?? undefined;
      },
      { timeoutMs, what: 'postfix master.pid' },
    );
    const pid = masterPid;
    unregisterMaster = registerExitCleanup(() => {
      killGroup(pid, 'SIGKILL');
    });
    for (const port of [smtpPort, proxyProtocolPort]) if (port) await waitForPort(port, { proc, timeoutMs });
    await waitFor(() => readLog().includes('daemon started'), {
      timeoutMs,
      what: 'postfix to log "daemon started"',
    });
  } catch (err) {
    if (masterPid !== null) killGroup(masterPid, 'SIGKILL');
    unregisterMaster();
    await proc.stop({ signal: 'SIGKILL' });
    const text = `${proc.output()}\n${readLog()}`;
    removeDir(dir);
    if (/Address already in use/.test(text)) throw new AddrInUseError(`postfix: a port was taken: ${text}`);
    throw new Error(`postfix did not start: ${(err as Error).message}\n${text}`, { cause: err });
  }

  const mailbox = (user: string): PostfixMailbox => {
    const maildir = join(vmail, localPart(user));
    return { maildir, messages: () => readMaildir(maildir).map((m) => m.bytes) };
  };
  const pid = masterPid;
  let stopped = false;
  return {
    host: '127.0.0.1',
    smtpPort,
    proxyProtocolPort,
    domain,
    configDir: confDir,
    logFile,
    readLog,
    waitForLog: (re, o) =>
      waitFor(
        () =>
          readLog()
            .split('\n')
            .find((l) => re.test(l)),
        { timeoutMs: o?.timeoutMs ?? 10_000, what: `postfix log line ${re}` },
      ),
    mailbox,
    messages: (user) => mailbox(user).messages(),
    waitForMessages: (user, count, o) =>
      waitFor(
        () => {
          const m = mailbox(user).messages();
          return m.length >= count ? m : undefined;
        },
        { timeoutMs: o?.timeoutMs ?? 15_000, what: `${count} message(s) for ${user}` },
      ),
    deliveredBodies: (user) =>
      mailbox(user)
        .messages()
        .map((m) => stripTraceHeaders(m)),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await runCmd('postfix', ['-c', confDir, 'stop'], { timeoutMs: 10_000 });
      await waitFor(() => !pidAlive(pid), { timeoutMs: 10_000, what: 'the postfix master to exit' }).catch(
        () => undefined,
      );
      killGroup(pid, 'SIGKILL');
      unregisterMaster();
      await proc.stop({ signal: 'SIGTERM', timeoutMs: 5_000 });
      removeDir(dir);
    },
  };
}

/**
 * Starts a private Postfix. Call `stop()` in `after()`; a forgotten instance is killed when the test
 * process exits.
 */
export async function startPostfix(opts: PostfixOptions = {}): Promise<Postfix> {
  const mailUser = await ensureMailUser();
  return retryOnAddrInUse(() => startOnce(opts, mailUser));
}
