/**
 * Transcript files for conformance tests (STYLE.md 2.5): a dialogue written once, played byte for byte
 * against postern and against nginx's mail module.
 *
 * Owns: the file format (parsing, escapes, validation), and playing one transcript over one fresh
 * connection with every wait bounded. Does not own: starting servers, the auth service or the backend
 * (test/conformance/runner.ts), or which differences from nginx are allowed (known-differences.md).
 *
 * Format, one item per line; blank lines and lines starting with `#` are ignored:
 *
 *   @title <text>                  what the transcript shows
 *   @config <directive>;           added to this transcript's `server {}` (both targets); repeatable
 *   @tls                           the server gets the test certificate (needed by `starttls`)
 *   @log-differs <ID>              the two error logs are not compared line by line (see the runner); the
 *                                  known difference <ID> says why
 *   @auth <reply>                  the auth service's replies, in order (the last one repeats); default `ok`:
 *                                    ok [user=<u>] [pass=<p>]   Auth-Status OK, this transcript's backend
 *                                    fail <text>                an error status
 *                                    fail-wait <sec> <text>     an error status with Auth-Wait
 *                                    wait <sec>                 Auth-Status: WAIT with Auth-Wait
 *                                    headers <escaped>          these header lines (`$UPSTREAM_PORT` filled in)
 *                                    raw <escaped>              exact bytes, then close
 *                                    hang | close | reset
 *   @upstream <option>             the fake backend: `greeting <escaped>`, `never-greet`, `reject-login`,
 *                                  `silent`, `close-after-login`, `hang-after-login`, `capabilities <text>`,
 *                                  `message-bytes <n>` (size of the FETCH/RETR message), `reset-after <n>`
 *                                  (reset the connection once it has sent n bytes), `login-reply <escaped>`
 *                                  (the answer to LOGIN, `$TAG` standing for the command's tag)
 *
 * Steps, played in order, optionally for one target only: `postern(<ID>) <step>` or `nginx(<ID>) <step>`,
 * where <ID> names the entry of known-differences.md that explains why the targets differ.
 *
 *   C: <escaped>         send these bytes (one write)
 *   S: <escaped>         the next bytes from the server are exactly these
 *   S~ <regex>           the next line (with its line ending) matches
 *   CLOSED               the server closes the connection, with nothing left unread
 *   DRAIN                read and drop whatever comes until the server closes the connection
 *   END                  half-close our side (FIN)
 *   RESET                reset the connection (RST)
 *   TLS                  start TLS on this connection (after the server's go-ahead to STARTTLS/STLS)
 *   PAUSE <ms>           wait (pacing only: nothing is asserted about time)
 *   CONNECT              open a new connection (the old one stays open until the end)
 *   A= <n>               the auth service has had exactly n requests from this run
 *   A: <Name>: <value>   the last auth request has this header with exactly this value
 *   A~ <Name>: <regex>   ... with a value matching the regex
 *   L: <level> <text>    the server's error log gets a line `[level] ... *<cid> <text>` (text escaped as
 *                        below); `$SERVER`, `$UPSTREAM`, `$AUTH` stand for the listen, backend, auth addresses
 *   L! <text>            no log line so far contains <text> (escaped)
 *   U: <escaped>         the backend's connection has received these bytes (anywhere in its input)
 *
 * Escapes in <escaped>: `\r`, `\n`, `\t`, `\\`, `\xHH`, and `\{N*text}` for text repeated N times.
 * Everything else, trailing spaces included, is taken as written.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { FakeAuthRequest } from './fake-auth-http.js';
import { connectLine, type LineClient } from './line-client.js';

export type TargetName = 'postern' | 'nginx';

export type AuthReplySpec =
  | { readonly kind: 'ok'; readonly user: string | null; readonly pass: string | null }
  | { readonly kind: 'fail'; readonly text: string; readonly waitSec: number | null }
  | { readonly kind: 'wait'; readonly sec: number }
  | { readonly kind: 'headers'; readonly text: string }
  | { readonly kind: 'raw'; readonly data: Buffer }
  | { readonly kind: 'hang' }
  | { readonly kind: 'close' }
  | { readonly kind: 'reset' };

export interface UpstreamSpec {
  readonly greeting: Buffer | null | undefined;
  readonly rejectLogin: boolean;
  readonly silent: boolean;
  readonly afterLogin: 'serve' | 'hang' | 'close';
  readonly capabilities: string | undefined;
  readonly messageBytes: number | undefined;
  readonly resetAfterBytes: number | undefined;
  readonly loginReply: string | undefined;
}

export type StepOp =
  | { readonly op: 'send'; readonly data: Buffer }
  | { readonly op: 'expect'; readonly data: Buffer }
  | { readonly op: 'expectLine'; readonly re: RegExp }
  | { readonly op: 'closed' }
  | { readonly op: 'drain' }
  | { readonly op: 'end' }
  | { readonly op: 'reset' }
  | { readonly op: 'tls' }
  | { readonly op: 'pause'; readonly ms: number }
  | { readonly op: 'connect' }
  | { readonly op: 'authCount'; readonly n: number }
  | { readonly op: 'authHeader'; readonly name: string; readonly value: string | RegExp }
  | { readonly op: 'log'; readonly level: string; readonly text: string }
  | { readonly op: 'noLog'; readonly text: string }
  | { readonly op: 'upstreamGot'; readonly data: Buffer };

export type Step = StepOp & {
  /** 1-based line in the file */
  readonly line: number;
  /** the step as written, for messages */
  readonly source: string;
  /** null: both targets */
  readonly only: TargetName | null;
  /** the known-differences id a target-specific step cites */
  readonly difference: string | null;
};

export interface Transcript {
  readonly name: string;
  readonly title: string;
  readonly config: readonly string[];
  readonly tls: boolean;
  readonly auth: readonly AuthReplySpec[];
  readonly upstream: UpstreamSpec;
  readonly steps: readonly Step[];
  /** `@log-differs` ids: when not empty, the runner does not compare the two logs line by line */
  readonly logDiffers: readonly string[];
  /** every difference id the transcript cites */
  readonly differences: readonly string[];
}

/** Decodes the escapes of the format (see the file header). Throws on a malformed escape. */
export function unescapeBytes(text: string): Buffer {
  const out: number[] = [];
  const pushText = (s: string): void => {
    for (const b of Buffer.from(s, 'latin1')) out.push(b);
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c !== '\\') {
      pushText(c);
      continue;
    }
    const n = text[i + 1];
    if (n === undefined) throw new Error(`a lone backslash ends ${JSON.stringify(text)}`);
    i++;
    switch (n) {
      case 'r':
        out.push(0x0d);
        break;
      case 'n':
        out.push(0x0a);
        break;
      case 't':
        out.push(0x09);
        break;
      case '\\':
        out.push(0x5c);
        break;
      case 'x': {
        const hex = text.slice(i + 1, i + 3);
        if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw new Error(`bad \\x escape in ${JSON.stringify(text)}`);
        out.push(parseInt(hex, 16));
        i += 2;
        break;
      }
      case '{': {
        const close = text.indexOf('}', i);
        const m = close < 0 ? null : /^(\d+)\*(.+)$/s.exec(text.slice(i + 1, close));
        if (m === null) throw new Error(`bad \\{N*text} escape in ${JSON.stringify(text)}`);
        pushText((m[2] as string).repeat(Number(m[1])));
        i = close;
        break;
      }
      default:
        throw new Error(`unknown escape \\${n} in ${JSON.stringify(text)}`);
    }
  }
  return Buffer.from(out);
}

function parseAuth(spec: string): AuthReplySpec {
  const sp = spec.indexOf(' ');
  const word = sp < 0 ? spec : spec.slice(0, sp);
  const rest = sp < 0 ? '' : spec.slice(sp + 1);
  switch (word) {
    case 'ok': {
      let user: string | null = null;
      let pass: string | null = null;
      for (const part of rest.split(' ').filter((p) => p !== '')) {
        const m = /^(user|pass)=(.*)$/.exec(part);
        if (m === null) throw new Error(`bad @auth ok option ${part}`);
        if (m[1] === 'user') user = m[2] as string;
        else pass = m[2] as string;
      }
      return { kind: 'ok', user, pass };
    }
    case 'fail':
      return { kind: 'fail', text: rest, waitSec: null };
    case 'fail-wait': {
      const m = /^(\d+) (.*)$/.exec(rest);
      if (m === null) throw new Error(`bad @auth fail-wait ${rest}`);
      return { kind: 'fail', text: m[2] as string, waitSec: Number(m[1]) };
    }
    case 'wait':
      return { kind: 'wait', sec: Number(rest) };
    case 'headers':
      return { kind: 'headers', text: rest };
    case 'raw':
      return { kind: 'raw', data: unescapeBytes(rest) };
    case 'hang':
    case 'close':
    case 'reset':
      return { kind: word };
    default:
      throw new Error(`unknown @auth reply ${word}`);
  }
}

const STEP_RE =
  /^(?:(postern|nginx)\(([A-Za-z0-9._-]+)\) )?(C:|S:|S~|CLOSED|DRAIN|END|RESET|TLS|PAUSE|CONNECT|A=|A:|A~|L:|L!|U:)(.*)$/;

function parseStep(text: string, line: number): Step {
  const m = STEP_RE.exec(text);
  if (m === null) throw new Error(`line ${line}: not a step: ${text}`);
  const only = (m[1] as TargetName | undefined) ?? null;
  const difference = m[2] ?? null;
  const op = m[3] as string;
  const rawArg = m[4] as string;
  // Exactly one space separates the op from its argument; more are part of the argument.
  const arg = rawArg.startsWith(' ') ? rawArg.slice(1) : rawArg;
  const base = { line, source: text, only, difference };
  const header = (): [string, string] => {
    const i = arg.indexOf(': ');
    if (i < 0) throw new Error(`line ${line}: expected "<Name>: <value>"`);
    return [arg.slice(0, i), arg.slice(i + 2)];
  };
  switch (op) {
    case 'C:':
      return { ...base, op: 'send', data: unescapeBytes(arg) };
    case 'S:':
      return { ...base, op: 'expect', data: unescapeBytes(arg) };
    case 'S~':
      return { ...base, op: 'expectLine', re: new RegExp(arg) };
    case 'CLOSED':
      return { ...base, op: 'closed' };
    case 'DRAIN':
      return { ...base, op: 'drain' };
    case 'END':
      return { ...base, op: 'end' };
    case 'RESET':
      return { ...base, op: 'reset' };
    case 'TLS':
      return { ...base, op: 'tls' };
    case 'PAUSE':
      return { ...base, op: 'pause', ms: Number(arg) };
    case 'CONNECT':
      return { ...base, op: 'connect' };
    case 'A=':
      return { ...base, op: 'authCount', n: Number(arg) };
    case 'A:': {
      const [name, value] = header();
      return { ...base, op: 'authHeader', name, value };
    }
    case 'A~': {
      const [name, value] = header();
      return { ...base, op: 'authHeader', name, value: new RegExp(value) };
    }
    case 'L:': {
      const sp = arg.indexOf(' ');
      if (sp < 0) throw new Error(`line ${line}: expected "L: <level> <text>"`);
      return {
        ...base,
        op: 'log',
        level: arg.slice(0, sp),
        text: unescapeBytes(arg.slice(sp + 1)).toString('latin1'),
      };
    }
    case 'L!':
      return { ...base, op: 'noLog', text: unescapeBytes(arg).toString('latin1') };
    default:
      return { ...base, op: 'upstreamGot', data: unescapeBytes(arg) };
  }
}

/** Parses a transcript file's text; `name` is its file name without `.txt`. */
export function parseTranscript(text: string, name: string): Transcript {
  let title = name;
  let tls = false;
  const config: string[] = [];
  const auth: AuthReplySpec[] = [];
  const steps: Step[] = [];
  const logDiffers: string[] = [];
  let greeting: Buffer | null | undefined;
  let rejectLogin = false;
  let silent = false;
  let afterLogin: UpstreamSpec['afterLogin'] = 'serve';
  let capabilities: string | undefined;
  let messageBytes: number | undefined;
  let resetAfterBytes: number | undefined;
  let loginReply: string | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] as string).replace(/\r$/, '');
    const lineNo = i + 1;
    if (raw.trim() === '' || raw.startsWith('#')) continue;
    try {
      if (raw.startsWith('@')) {
        const sp = raw.indexOf(' ');
        const key = sp < 0 ? raw.slice(1) : raw.slice(1, sp);
        const value = sp < 0 ? '' : raw.slice(sp + 1);
        switch (key) {
          case 'title':
            title = value;
            break;
          case 'config':
            config.push(value);
            break;
          case 'tls':
            tls = true;
            break;
          case 'log-differs':
            logDiffers.push(value);
            break;
          case 'auth':
            auth.push(parseAuth(value));
            break;
          case 'upstream': {
            const usp = value.indexOf(' ');
            const opt = usp < 0 ? value : value.slice(0, usp);
            const optArg = usp < 0 ? '' : value.slice(usp + 1);
            if (opt === 'greeting') greeting = unescapeBytes(optArg);
            else if (opt === 'never-greet') greeting = null;
            else if (opt === 'reject-login') rejectLogin = true;
            else if (opt === 'silent') silent = true;
            else if (opt === 'close-after-login') afterLogin = 'close';
            else if (opt === 'hang-after-login') afterLogin = 'hang';
            else if (opt === 'capabilities') capabilities = optArg;
            else if (opt === 'message-bytes') messageBytes = Number(optArg);
            else if (opt === 'reset-after') resetAfterBytes = Number(optArg);
            else if (opt === 'login-reply') loginReply = optArg;
            else throw new Error(`unknown @upstream option ${opt}`);
            break;
          }
          default:
            throw new Error(`unknown header @${key}`);
        }
        continue;
      }
      steps.push(parseStep(raw, lineNo));
    } catch (err) {
      throw new Error(`${name}.txt:${lineNo}: ${(err as Error).message}`, { cause: err });
    }
  }
  if (auth.length === 0) auth.push({ kind: 'ok', user: null, pass: null });
  const differences = [
    ...new Set([...steps.map((s) => s.difference).filter((d): d is string => d !== null), ...logDiffers]),
  ];
  return {
    name,
    title,
    config,
    tls,
    auth,
    upstream: {
      greeting,
      rejectLogin,
      silent,
      afterLogin,
      capabilities,
      messageBytes,
      resetAfterBytes,
      loginReply,
    },
    steps,
    logDiffers,
    differences,
  };
}

/** What playing needs to know about one target (a running postern or nginx set up for this transcript). */
export interface PlayTarget {
  readonly name: TargetName;
  readonly port: number;
  /** substitutions for `L:` lines */
  readonly vars: Readonly<Record<string, string>>;
  /** auth requests this transcript made on this target so far */
  authRequests(): readonly FakeAuthRequest[];
  /** the error log of this transcript's server so far */
  logText(): string;
  /** bytes the backend received on this target's most recent connection */
  upstreamReceived(): Buffer;
}

export interface PlayOptions {
  /** deadline of each wait (default 5 s) */
  readonly waitMs?: number;
}

function show(b: Buffer): string {
  return JSON.stringify(b.toString('latin1'));
}

/** `YYYY/MM/DD HH:MM:SS [level] pid#tid: *cid text` → [level, text]; null for other lines. */
export function splitLogLine(line: string): [string, string] | null {
  // `s`: nginx writes a client's CR into the line as is
  const m = /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[(\w+)\] \d+#\d+: (?:\*\d+ )?(.*)$/s.exec(line);
  return m === null ? null : [m[1] as string, m[2] as string];
}

function substitute(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(/\$([A-Z_]+)/g, (all, key: string) => vars[key] ?? all);
}

async function bounded<T>(what: string, ms: number, check: () => T | undefined): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() >= deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}

/**
 * Plays the transcript's steps for `target` over fresh connections. Throws an Error naming the step's
 * line and the connection's transcript on the first mismatch; closes every connection it opened.
 */
export async function playTranscript(
  t: Transcript,
  target: PlayTarget,
  opts: PlayOptions = {},
): Promise<void> {
  const waitMs = opts.waitMs ?? 5_000;
  const clients: LineClient[] = [];
  const open = async (): Promise<LineClient> => {
    const c = await connectLine({ port: target.port, timeoutMs: waitMs });
    clients.push(c);
    return c;
  };
  try {
    let client = await open();
    for (const step of t.steps) {
      if (step.only !== null && step.only !== target.name) continue;
      try {
        await runStep(step, client, target, waitMs, async () => {
          client = await open();
        });
      } catch (err) {
        throw new Error(
          `${t.name}.txt:${step.line} [${target.name}] ${step.source}\n${(err as Error).message}`,
          { cause: err },
        );
      }
    }
  } finally {
    for (const c of clients) c.destroy();
  }
}

async function runStep(
  step: Step,
  c: LineClient,
  target: PlayTarget,
  waitMs: number,
  reconnect: () => Promise<void>,
): Promise<void> {
  switch (step.op) {
    case 'send':
      c.send(step.data);
      return;
    case 'expect':
      await c.expect(step.data, { timeoutMs: waitMs });
      return;
    case 'expectLine':
      await c.expect(step.re, { timeoutMs: waitMs });
      return;
    case 'closed': {
      const rest = await c.waitClosed({ timeoutMs: waitMs });
      if (rest.length > 0) throw new Error(`unread bytes at close: ${show(rest)}\n${c.transcript()}`);
      return;
    }
    case 'drain':
      await c.waitClosed({ timeoutMs: waitMs });
      return;
    case 'end':
      c.end();
      return;
    case 'reset':
      c.socket.resetAndDestroy();
      return;
    case 'tls':
      await c.starttls();
      return;
    case 'pause':
      await sleep(step.ms);
      return;
    case 'connect':
      await reconnect();
      return;
    case 'authCount':
      await bounded(`${step.n} auth requests`, waitMs, () =>
        target.authRequests().length >= step.n ? true : undefined,
      );
      if (target.authRequests().length !== step.n) {
        throw new Error(`expected ${step.n} auth requests, got ${target.authRequests().length}`);
      }
      return;
    case 'authHeader': {
      const reqs = target.authRequests();
      const last = reqs[reqs.length - 1];
      if (last === undefined) throw new Error('no auth request was made');
      const got = last.header(step.name);
      const ok =
        got !== undefined && (typeof step.value === 'string' ? got === step.value : step.value.test(got));
      if (!ok)
        throw new Error(
          `auth request header ${step.name}: got ${JSON.stringify(got)}\n${last.raw.toString('latin1')}`,
        );
      return;
    }
    case 'log': {
      const want = substitute(step.text, target.vars);
      try {
        await bounded(`log line [${step.level}] ${want}`, waitMs, () =>
          target
            .logText()
            .split('\n')
            .some((l) => {
              const parts = splitLogLine(l);
              return parts !== null && parts[0] === step.level && parts[1] === want;
            })
            ? true
            : undefined,
        );
      } catch (err) {
        throw new Error(`${(err as Error).message}\nlog:\n${target.logText()}`, { cause: err });
      }
      return;
    }
    case 'noLog': {
      const text = substitute(step.text, target.vars);
      const hit = target
        .logText()
        .split('\n')
        .find((l) => l.includes(text));
      if (hit !== undefined) throw new Error(`log line contains ${JSON.stringify(text)}: ${hit}`);
      return;
    }
    case 'upstreamGot':
      await bounded(`the backend to receive ${show(step.data)}`, waitMs, () =>
        target.upstreamReceived().includes(step.data) ? true : undefined,
      ).catch((err: unknown) => {
        throw new Error(`${(err as Error).message}; it got ${show(target.upstreamReceived())}`, {
          cause: err,
        });
      });
      return;
  }
}
