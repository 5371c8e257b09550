/**
 * A private Dovecot (IMAP and POP3 backend) per test, on free loopback ports.
 *
 * Owns: writing a self-contained dovecot.conf (own base_dir, state_dir, log file and instance_name; it
 * never reads /etc/dovecot), passwd-file users, Maildir homes owned by the `postern-mail` user, running
 * `dovecot -F` in its own process group, waiting until every listener accepts, and stopping it.
 * Also: an optional SASL auth socket for Postfix (`authSocketPath`), optional PROXY-protocol
 * (`haproxy = yes`) listeners, and `deliver()` to put a message into a user's INBOX.
 * Does not own: message content (mailbox.ts) or clients (clients.ts, line-client.ts).
 *
 * Settings chosen for tests (see docs/testing.md): `login_trusted_networks = 127.0.0.0/8` so Dovecot
 * believes the client address a proxy forwards (IMAP ID x-originating-ip, POP3 XCLIENT);
 * `service_count = 0` login processes; `auth_failure_delay = 0` (Dovecot waits 2 s before a failed
 * login reply by default); no per-user connection limit. LITERAL+ is advertised as Dovecot does by
 * default: the config does not touch `imap_capability`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureMailUser, type MailUser } from './mail-user.js';
import { readMaildir, writeMaildirMessage, ensureMaildir } from './maildir.js';
import { AddrInUseError, freePort, retryOnAddrInUse } from './ports.js';
import { describeExit, runOk, spawnProc, waitFor, waitForPort, type Proc } from './proc.js';
import { removeDir, subDir } from './run-dir.js';

export interface DovecotUser {
  readonly user: string;
  readonly password: string;
  /** Password scheme stored in the passwd-file (default PLAIN); others are hashed with `doveadm pw`. */
  readonly scheme?: string;
}

export interface DovecotOptions {
  readonly users: readonly DovecotUser[];
  /** Start an IMAP listener (default true). */
  readonly imap?: boolean;
  /** Start a POP3 listener (default true). */
  readonly pop3?: boolean;
  /** Also start PROXY-protocol listeners (`imapHaproxyPort`, `pop3HaproxyPort`) trusted from 127.0.0.0/8. */
  readonly haproxy?: boolean;
  /** `auth_mechanisms` (default "plain login"). */
  readonly authMechanisms?: string;
  /** `auth_failure_delay` in seconds (default 0). */
  readonly authFailureDelaySeconds?: number;
  /** Keep Dovecot's auth penalty (growing delays after failed logins from one IP; default off). */
  readonly authPenalty?: boolean;
  /** `login_trusted_networks` (default "127.0.0.0/8"; "" to trust no one). */
  readonly loginTrustedNetworks?: string;
  /** Extra dovecot.conf lines appended at the end (e.g. `login_greeting = ...`). */
  readonly extraConfig?: string;
  /** Deadline for start-up (default 15 s). */
  readonly startTimeoutMs?: number;
}

export interface DovecotMailbox {
  /** The user's home directory. */
  readonly home: string;
  /** `<home>/Maildir`. */
  readonly maildir: string;
  /** Puts a message into the INBOX byte for byte; returns the file path. */
  deliver(bytes: Buffer): string;
  /** The INBOX messages on disk, oldest first. */
  messages(): Buffer[];
}

export interface Dovecot {
  readonly host: '127.0.0.1';
  /** IMAP port (0 when `imap: false`). */
  readonly imapPort: number;
  /** POP3 port (0 when `pop3: false`). */
  readonly pop3Port: number;
  /** PROXY-protocol IMAP port (0 unless `haproxy: true`). */
  readonly imapHaproxyPort: number;
  /** PROXY-protocol POP3 port (0 unless `haproxy: true`). */
  readonly pop3HaproxyPort: number;
  /** A Dovecot SASL auth socket (mode 0666) for Postfix's `smtpd_sasl_type = dovecot`. */
  readonly authSocketPath: string;
  /** The instance's directory (config, passwd, homes, base_dir, state, log). */
  readonly baseDir: string;
  readonly configFile: string;
  readonly logFile: string;
  /** The mail user that owns the homes. */
  readonly mailUser: MailUser;
  mailbox(user: string): DovecotMailbox;
  /** Same as `mailbox(user).deliver(bytes)`. */
  deliver(user: string, bytes: Buffer): string;
  /** The whole Dovecot log so far. */
  log(): string;
  /** Waits until a log line matches `re`; returns the line. */
  waitForLog(re: RegExp, opts?: { timeoutMs?: number }): Promise<string>;
  /** Stops Dovecot (SIGTERM, then SIGKILL to the process group) and removes its directory. */
  stop(): Promise<void>;
}

let instances = 0;

function safeName(user: string): string {
  return user.replace(/[^A-Za-z0-9._@+-]/g, '_');
}

async function passwordField(u: DovecotUser, configFile: string): Promise<string> {
  const scheme = (u.scheme ?? 'PLAIN').toUpperCase();
  if (scheme === 'PLAIN') return `{PLAIN}${u.password}`;
  const r = await runOk('doveadm', ['-c', configFile, 'pw', '-s', scheme, '-p', u.password], {
    timeoutMs: 20_000,
  });
  return r.stdout.toString().trim();
}

function listenerBlock(name: string, port: number, haproxy: boolean): string {
  return `  inet_listener ${name} {\n    port = ${port}\n${haproxy ? '    haproxy = yes\n' : ''}  }\n`;
}

function renderConfig(p: {
  dir: string;
  instance: string;
  mailUser: MailUser;
  protocols: string[];
  ports: { imap: number; pop3: number; imapHaproxy: number; pop3Haproxy: number };
  authSocketPath: string;
  opts: DovecotOptions;
}): string {
  const { dir, mailUser, ports, opts } = p;
  const log = join(dir, 'dovecot.log');
  const passwd = join(dir, 'passwd');
  const imapListeners =
    listenerBlock('imap', ports.imap, false) +
    listenerBlock('imaps', 0, false) +
    (ports.imapHaproxy ? listenerBlock('imap_haproxy', ports.imapHaproxy, true) : '');
  const pop3Listeners =
    listenerBlock('pop3', ports.pop3, false) +
    listenerBlock('pop3s', 0, false) +
    (ports.pop3Haproxy ? listenerBlock('pop3_haproxy', ports.pop3Haproxy, true) : '');
  return `# written by test/helpers/dovecot.ts
instance_name = ${p.instance}
base_dir = ${join(dir, 'run')}
state_dir = ${join(dir, 'state')}
log_path = ${log}
info_log_path = ${log}
debug_log_path = ${log}
protocols = ${p.protocols.length > 0 ? p.protocols.join(' ') : 'none'}
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = ${opts.authMechanisms ?? 'plain login'}
auth_failure_delay = ${opts.authFailureDelaySeconds ?? 0}
auth_verbose = yes
login_trusted_networks = ${opts.loginTrustedNetworks ?? '127.0.0.0/8'}
haproxy_trusted_networks = 127.0.0.0/8
mail_location = maildir:~/Maildir
mail_fsync = never
first_valid_uid = ${mailUser.uid}
last_valid_uid = ${mailUser.uid}
first_valid_gid = ${mailUser.gid}
last_valid_gid = ${mailUser.gid}
default_login_user = dovenull
default_internal_user = dovecot
default_process_limit = 1000
default_client_limit = 10000
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${passwd}
}
userdb {
  driver = passwd-file
  args = username_format=%u ${passwd}
}
protocol imap {
  mail_max_userip_connections = 100000
}
protocol pop3 {
  mail_max_userip_connections = 100000
}
service imap-login {
${imapListeners}  service_count = 0
  process_min_avail = 1
  client_limit = 5000
}
service pop3-login {
${pop3Listeners}  service_count = 0
  process_min_avail = 1
  client_limit = 5000
}
service auth {
  unix_listener ${p.authSocketPath} {
    mode = 0666
  }
}
${
  opts.authPenalty === true
    ? ''
    : '# No growing delay after failed logins from one IP (tests fail logins on purpose).\nservice anvil {\n  unix_listener anvil-auth-penalty {\n    mode = 0\n  }\n}\n'
}${opts.extraConfig ?? ''}
`;
}

async function startOnce(opts: DovecotOptions, mailUser: MailUser): Promise<Dovecot> {
  instances++;
  const dir = subDir('dovecot');
  const wantImap = opts.imap ?? true;
  const wantPop3 = opts.pop3 ?? true;
  const ports = {
    imap: wantImap ? await freePort() : 0,
    pop3: wantPop3 ? await freePort() : 0,
    imapHaproxy: wantImap && opts.haproxy ? await freePort() : 0,
    pop3Haproxy: wantPop3 && opts.haproxy ? await freePort() : 0,
  };
  const protocols = [...(wantImap ? ['imap'] : []), ...(wantPop3 ? ['pop3'] : [])];
  const configFile = join(dir, 'dovecot.conf');
  const logFile = join(dir, 'dovecot.log');
  const authSocketPath = join(dir, 'auth-sasl');
  writeFileSync(
    configFile,
    renderConfig({
      dir,
      instance: `postern-${process.pid}-${instances}`,
      mailUser,
      protocols,
      ports,
      authSocketPath,
      opts,
    }),
  );
  writeFileSync(logFile, '');

  const homes = new Map<string, string>();
  const lines: string[] = [];
  for (const u of opts.users) {
    const home = join(dir, 'home', safeName(u.user));
    homes.set(u.user, home);
    ensureMaildir(join(home, 'Maildir'), mailUser);
    // passwd-file: user:password:uid:gid:gecos:home:shell
    lines.push(`${u.user}:${await passwordField(u, configFile)}:${mailUser.uid}:${mailUser.gid}::${home}::`);
  }
  writeFileSync(join(dir, 'passwd'), lines.join('\n') + '\n', { mode: 0o644 });

  const proc: Proc = spawnProc('dovecot', ['-F', '-c', configFile], { label: 'dovecot', cwd: dir });
  const readLog = (): string => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };
  const timeoutMs = opts.startTimeoutMs ?? 15_000;
  try {
    for (const port of [ports.imap, ports.pop3, ports.imapHaproxy, ports.pop3Haproxy]) {
      if (port) await waitForPort(port, { proc, timeoutMs });
    }
    await waitFor(() => readLog().includes('starting up'), {
      timeoutMs,
      what: 'dovecot to log "starting up"',
    });
  } catch (err) {
    await proc.stop({ signal: 'SIGKILL' });
    const text = `${proc.output()}\n${readLog()}`;
    removeDir(dir);
    if (/Address already in use/.test(text)) throw new AddrInUseError(`dovecot: a port was taken: ${text}`);
    const how = proc.exitInfo ? describeExit(proc.exitInfo) : 'still running';
    throw new Error(`dovecot did not start (${how}): ${(err as Error).message}\n${text}`, { cause: err });
  }

  const mailbox = (user: string): DovecotMailbox => {
    const home = homes.get(user) ?? join(dir, 'home', safeName(user));
    const maildir = join(home, 'Maildir');
    return {
      home,
      maildir,
      deliver: (bytes) => writeMaildirMessage(maildir, bytes, mailUser),
      messages: () => readMaildir(maildir).map((m) => m.bytes),
    };
  };
  let stopped = false;
  return {
    host: '127.0.0.1',
    imapPort: ports.imap,
    pop3Port: ports.pop3,
    imapHaproxyPort: ports.imapHaproxy,
    pop3HaproxyPort: ports.pop3Haproxy,
    authSocketPath,
    baseDir: dir,
    configFile,
    logFile,
    mailUser,
    mailbox,
    deliver: (user, bytes) => mailbox(user).deliver(bytes),
    log: readLog,
    waitForLog: (re, o) =>
      waitFor(
        () =>
          readLog()
            .split('\n')
            .find((l) => re.test(l)),
        { timeoutMs: o?.timeoutMs ?? 10_000, what: `dovecot log line ${re}` },
      ),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await proc.stop({ signal: 'SIGTERM', timeoutMs: 5_000 });
      removeDir(dir);
    },
  };
}

/**
 * Starts a private Dovecot. Call `stop()` in `after()`; a forgotten instance is killed when the test
 * process exits.
 */
export async function startDovecot(opts: DovecotOptions): Promise<Dovecot> {
  const mailUser = await ensureMailUser();
  return retryOnAddrInUse(() => startOnce(opts, mailUser));
}
