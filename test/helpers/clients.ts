/**
 * Real mail clients run as child processes with a deadline and captured output: curl, Python's
 * imaplib / poplib / smtplib (through py/mail_client.py), swaks, fetchmail and `openssl s_client`.
 *
 * Owns: building each client's command line (or rc file) from a small options object, running it
 * with `runCmd` (bounded, process group killed on timeout) and returning exit status, output and the
 * message bytes the client retrieved.
 * Does not own: servers or assertions. Clients never verify certificates (tests use their own CA;
 * pass `caFile` where a client supports it to verify).
 *
 * Line endings as each client delivers them: curl and imaplib return the message bytes exactly;
 * poplib returns CRLF lines with dot-stuffing undone; fetchmail hands its MDA LF lines.
 */
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCmd, type RunResult } from './proc.js';
import { repoRoot, subDir } from './run-dir.js';

/** How a client reaches the server: plain, implicit TLS, or STARTTLS/STLS upgrade. */
export type ClientTls = false | 'implicit' | 'starttls';

export interface Endpoint {
  readonly port: number;
  readonly host?: string;
  readonly tls?: ClientTls;
  /** Deadline for the whole client run (default 20 s). */
  readonly timeoutMs?: number;
}

/** A client's exit status and output: stdout as bytes (often the message), stderr as text (diagnostics). */
export interface ClientResult extends Omit<RunResult, 'stderr'> {
  readonly stderr: string;
}

function done(r: RunResult): ClientResult {
  return { ...r, stderr: r.stderr.toString('utf8') };
}

const DEFAULT_TIMEOUT_MS = 20_000;

// ---------------------------------------------------------------------------------------------------
// curl

/** Runs curl with `args` (add `-sS` yourself if wanted). */
export async function curl(
  args: readonly string[],
  opts: { timeoutMs?: number; input?: Buffer } = {},
): Promise<ClientResult> {
  return done(
    await runCmd('curl', args, {
      timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      ...(opts.input ? { input: opts.input } : {}),
    }),
  );
}

function curlUrl(scheme: 'imap' | 'pop3' | 'smtp', e: Endpoint, path: string): string {
  return `${scheme}${e.tls === 'implicit' ? 's' : ''}://${e.host ?? '127.0.0.1'}:${e.port}/${path}`;
}

function curlCommon(e: Endpoint, extra: { loginOptions?: string; extraArgs?: readonly string[] }): string[] {
  return [
    '-sS',
    '-k',
    ...(e.tls === 'starttls' ? ['--ssl-reqd'] : []),
    ...(extra.loginOptions ? ['--login-options', extra.loginOptions] : []),
    '--max-time',
    String(Math.ceil((e.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000)),
    ...(extra.extraArgs ?? []),
  ];
}

export interface CurlLogin extends Endpoint {
  readonly user: string;
  readonly password: string;
  /** curl's `--login-options` (e.g. `AUTH=PLAIN`, `AUTH=+LOGIN`). */
  readonly loginOptions?: string;
  readonly extraArgs?: readonly string[];
}

/** `curl imap://…/<mailbox>;UID=<uid>`: stdout is the message, byte for byte. */
export async function curlImapFetch(
  o: CurlLogin & { mailbox?: string; uid?: number },
): Promise<ClientResult> {
  const url = curlUrl('imap', o, `${encodeURIComponent(o.mailbox ?? 'INBOX')};UID=${o.uid ?? 1}`);
  return curl([...curlCommon(o, o), '-u', `${o.user}:${o.password}`, url], {
    timeoutMs: (o.timeoutMs ?? DEFAULT_TIMEOUT_MS) + 5_000,
  });
}

/** `curl pop3://…/<msg>`: stdout is the message (RETR, dot-stuffing undone). */
export async function curlPop3Retr(o: CurlLogin & { msg?: number }): Promise<ClientResult> {
  const url = curlUrl('pop3', o, String(o.msg ?? 1));
  return curl([...curlCommon(o, o), '-u', `${o.user}:${o.password}`, url], {
    timeoutMs: (o.timeoutMs ?? DEFAULT_TIMEOUT_MS) + 5_000,
  });
}

/** `curl smtp://…` sending `data` from `from` to `to`; with `user`, AUTH first. */
export async function curlSmtpSend(
  o: Endpoint & {
    from: string;
    to: readonly string[];
    data: Buffer;
    helo?: string;
    user?: string;
    password?: string;
    loginOptions?: string;
    extraArgs?: readonly string[];
  },
): Promise<ClientResult> {
  const url = curlUrl('smtp', o, o.helo ?? 'client.postern.test');
  const auth = o.user !== undefined ? ['-u', `${o.user}:${o.password ?? ''}`] : [];
  const rcpts = o.to.flatMap((t) => ['--mail-rcpt', t]);
  return curl([...curlCommon(o, o), ...auth, '--mail-from', o.from, ...rcpts, '-T', '-', url], {
    timeoutMs: (o.timeoutMs ?? DEFAULT_TIMEOUT_MS) + 5_000,
    input: o.data,
  });
}

// ---------------------------------------------------------------------------------------------------
// Python imaplib / poplib / smtplib

export interface PyResult {
  /** The library call sequence completed without an exception. */
  readonly ok: boolean;
  /** `<ExceptionType>: <message>` when not ok. */
  readonly error: string | null;
  /** Operation-specific fields (see py/mail_client.py); `message` decoded from message_b64. */
  readonly result: Record<string, unknown>;
  /** The retrieved message (imap, pop3), or null. */
  readonly message: Buffer | null;
  /** The process itself (stderr holds the protocol trace with `debug`). */
  readonly run: ClientResult;
}

/** Path of the Python helper script. */
export function pyScript(): string {
  return join(repoRoot(), 'test', 'helpers', 'py', 'mail_client.py');
}

async function runPy(job: Record<string, unknown>, timeoutMs: number): Promise<PyResult> {
  const run = done(
    await runCmd('python3', [pyScript(), JSON.stringify({ timeout: Math.ceil(timeoutMs / 1000), ...job })], {
      timeoutMs: timeoutMs + 5_000,
    }),
  );
  const text = run.stdout.toString('utf8').trim();
  let parsed: { ok?: boolean; error?: string; result?: Record<string, unknown> } = {};
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    return {
      ok: false,
      error: `no JSON from mail_client.py: ${text}\n${run.stderr}`,
      result: {},
      message: null,
      run,
    };
  }
  const result = parsed.result ?? {};
  const b64 = result.message_b64;
  return {
    ok: parsed.ok === true,
    error: parsed.error ?? null,
    result,
    message: typeof b64 === 'string' ? Buffer.from(b64, 'base64') : null,
    run,
  };
}

interface PyCommon extends Endpoint {
  /** Verify the server certificate against this CA file (default: no verification). */
  readonly caFile?: string;
  /** Protocol trace on stderr (`run.stderr`). */
  readonly debug?: boolean;
}

function pyCommon(o: PyCommon): Record<string, unknown> {
  return {
    host: o.host ?? '127.0.0.1',
    port: o.port,
    tls: o.tls === false || o.tls === undefined ? null : o.tls,
    ...(o.caFile ? { cafile: o.caFile } : {}),
    debug: o.debug === true,
  };
}

/** imaplib: LOGIN (or AUTHENTICATE PLAIN), SELECT, FETCH <message> (BODY.PEEK[]), LOGOUT. */
export function pyImapFetch(
  o: PyCommon & {
    user: string;
    password: string;
    auth?: 'login' | 'plain';
    mailbox?: string;
    message?: number;
    fetch?: boolean;
  },
): Promise<PyResult> {
  return runPy(
    {
      op: 'imap',
      ...pyCommon(o),
      user: o.user,
      password: o.password,
      auth: o.auth ?? 'login',
      mailbox: o.mailbox ?? 'INBOX',
      message: o.message ?? 1,
      fetch: o.fetch ?? true,
    },
    o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  );
}

/** poplib: USER/PASS, STAT, RETR <message>, QUIT. */
export function pyPop3Retr(
  o: PyCommon & { user: string; password: string; message?: number; retr?: boolean },
): Promise<PyResult> {
  return runPy(
    {
      op: 'pop3',
      ...pyCommon(o),
      user: o.user,
      password: o.password,
      message: o.message ?? 1,
      retr: o.retr ?? true,
    },
    o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  );
}

/** smtplib: EHLO, [STARTTLS, EHLO], [AUTH], MAIL/RCPT/DATA with `data` as is, QUIT. */
export function pySmtpSend(
  o: PyCommon & {
    from: string;
    to: readonly string[];
    data: Buffer;
    ehlo?: string;
    user?: string;
    password?: string;
    authMechanism?: 'PLAIN' | 'LOGIN' | 'CRAM-MD5';
  },
): Promise<PyResult> {
  const dataFile = join(subDir('py-smtp'), 'message.eml');
  writeFileSync(dataFile, o.data);
  return runPy(
    {
      op: 'smtp',
      ...pyCommon(o),
      ehlo: o.ehlo ?? 'client.postern.test',
      mail_from: o.from,
      rcpt_to: o.to,
      data_file: dataFile,
      ...(o.user !== undefined ? { user: o.user, password: o.password ?? '' } : {}),
      ...(o.authMechanism ? { auth_mechanism: o.authMechanism } : {}),
    },
    o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  );
}

// ---------------------------------------------------------------------------------------------------
// swaks

export interface SwaksResult extends ClientResult {
  /** Server reply lines swaks printed (`<-` / `<~` prefixes removed), in order. */
  readonly replies: string[];
}

/**
 * swaks sending `data` (default: swaks's own test message). The data is sent as is apart from
 * swaks's normal handling: LF becomes CRLF, leading dots are stuffed, and the final "." is added.
 */
export async function swaks(
  o: Endpoint & {
    from: string;
    to: readonly string[];
    data?: Buffer;
    ehlo?: string;
    auth?: { user: string; password: string; mechanism?: string };
    extraArgs?: readonly string[];
  },
): Promise<SwaksResult> {
  const args = [
    '--server',
    `${o.host ?? '127.0.0.1'}:${o.port}`,
    '--from',
    o.from,
    '--to',
    o.to.join(','),
    '--timeout',
    String(Math.ceil((o.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000)),
  ];
  if (o.ehlo) args.push('--helo', o.ehlo);
  if (o.data) {
    const file = join(subDir('swaks'), 'message.eml');
    // swaks appends "\r\n.\r\n" unless the data already ends with a "." line; end it ourselves so
    // no extra empty line is added to a message that ends with CRLF.
    const ends =
      o.data.subarray(-2).equals(Buffer.from('\r\n')) || o.data.subarray(-1).equals(Buffer.from('\n'));
    writeFileSync(file, Buffer.concat([o.data, Buffer.from(ends ? '.\r\n' : '\r\n.\r\n')]));
    args.push('--data', `@${file}`);
  }
  if (o.tls === 'starttls') args.push('--tls');
  if (o.tls === 'implicit') args.push('--tls-on-connect');
  if (o.auth) {
    args.push(
      '--auth',
      o.auth.mechanism ?? 'PLAIN',
      '--auth-user',
      o.auth.user,
      '--auth-password',
      o.auth.password,
    );
  }
  args.push(...(o.extraArgs ?? []));
  const r = done(await runCmd('swaks', args, { timeoutMs: (o.timeoutMs ?? DEFAULT_TIMEOUT_MS) + 5_000 }));
  const replies = r.stdout
    .toString('utf8')
    .split('\n')
    .filter((l) => /^\s*<[-~*]/.test(l))
    .map((l) => l.replace(/^\s*<[-~*]+\s?\s?/, ''));
  return { ...r, replies };
}

// ---------------------------------------------------------------------------------------------------
// fetchmail

export interface FetchmailResult extends ClientResult {
  /** What fetchmail handed to its MDA, one Buffer per message (LF line endings, no added headers). */
  readonly messages: Buffer[];
}

/**
 * fetchmail with a private rc file and FETCHMAILHOME: polls once, keeps messages on the server
 * (unless `keep: false`), and delivers each message to a file through a tiny MDA script.
 */
export async function fetchmail(
  o: Endpoint & {
    protocol: 'imap' | 'pop3';
    user: string;
    password: string;
    keep?: boolean;
    extraArgs?: readonly string[];
  },
): Promise<FetchmailResult> {
  const home = subDir('fetchmail');
  chmodSync(home, 0o700);
  const out = join(home, 'out');
  mkdirSync(out);
  const mda = join(home, 'mda.sh');
  writeFileSync(mda, `#!/bin/sh\nn=$(ls '${out}' | wc -l)\nexec cat > '${out}/'$(printf '%06d' "$n")\n`, {
    mode: 0o755,
  });
  const q = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  const tls =
    o.tls === 'implicit'
      ? 'ssl no sslcertck'
      : o.tls === 'starttls'
        ? "sslproto 'TLS1.2+' no sslcertck"
        : "sslproto ''";
  const rc = join(home, 'fetchmailrc');
  writeFileSync(
    rc,
    [
      'set no syslog',
      'set no bouncemail',
      'set invisible',
      `poll ${o.host ?? '127.0.0.1'} with proto ${o.protocol.toUpperCase()} port ${o.port} timeout ${Math.ceil((o.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000)}`,
      `  user ${q(o.user)} there with password ${q(o.password)} is "root" here`,
      `  options ${o.keep === false ? 'no keep' : 'keep'} fetchall no rewrite ${tls}`,
      // Through /bin/sh, so a run dir on a noexec /tmp does not matter.
      `  mda ${q(`/bin/sh ${mda}`)}`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const r = done(
    await runCmd('fetchmail', ['-f', rc, '-v', '--nodetach', ...(o.extraArgs ?? [])], {
      timeoutMs: (o.timeoutMs ?? DEFAULT_TIMEOUT_MS) + 5_000,
      env: { ...process.env, FETCHMAILHOME: home, HOME: home },
    }),
  );
  const messages = readdirSync(out)
    .sort()
    .map((f) => readFileSync(join(out, f)));
  return { ...r, messages };
}

// ---------------------------------------------------------------------------------------------------
// openssl s_client

/**
 * `openssl s_client -connect host:port [-starttls proto] [-servername name] -ign_eof` with `input`
 * on stdin; the server's replies (and s_client's session report) are in stdout.
 */
export async function sClient(
  o: Endpoint & {
    starttls?: 'imap' | 'pop3' | 'smtp';
    servername?: string;
    input?: string | Buffer;
    quiet?: boolean;
    args?: readonly string[];
  },
): Promise<ClientResult> {
  const args = ['s_client', '-connect', `${o.host ?? '127.0.0.1'}:${o.port}`, '-ign_eof'];
  if (o.starttls) args.push('-starttls', o.starttls);
  if (o.servername) args.push('-servername', o.servername);
  if (o.quiet) args.push('-quiet');
  args.push(...(o.args ?? []));
  return done(
    await runCmd('openssl', args, { timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS, input: o.input ?? '' }),
  );
}
