/**
 * One client session: the imperative shell around the pure protocol machines (ARCHITECTURE "One
 * session, end to end", steps 4–10).
 *
 * Owns: the client socket, the command buffer, the pre-auth deadline, carrying out the machine's
 * Actions in order, the auth_http call, the hand-over to the upstream login and then to the relay,
 * and the session's log lines. Does not own parsing or replies (protocol/), the auth wire format
 * (auth/), or byte pumping (relay/).
 *
 * nginx's discipline is kept: one command at a time, replies strictly in order, input held while the
 * auth service or the backend is being asked, bytes pipelined behind the login command forwarded to
 * the backend first. Q-9 is fixed: the command buffer is compacted, so a pipelined command that
 * straddles the end of the buffer is not mistaken for a too long one.
 */
import type { Socket } from 'node:net';
import type { Action, AuthRequest, UpstreamLoginContext, EndReason, Step } from '../protocol/types.js';
import type { AuthHttpResult } from '../auth/types.js';
import type { SessionLogContext, LogLevel } from '../log/types.js';
import type { BufferPool } from '../relay/buffer-pool.js';
import { LoginDriver, errnoOf, type LoginOutcome } from '../relay/login-driver.js';
import { Relay, type RelayEnd } from '../relay/relay.js';
import { buildProxyV1, buildProxyV2, type ProxyEndpoint } from '../net/proxy-protocol.js';
import { timerMs } from '../limits.js';
import { runEdge, upgradeTls, type EdgeLog, type EdgeOutcome } from './session-edge.js';
import type {
  ClientTlsInfo,
  ProxyProtocolInfo,
  AuthTicketLike,
  ServerRuntime,
  SessionAuthInput,
  SessionStart,
  TlsDetails,
  TlsPort,
} from './session-types.js';
import { loginForLog, sessionClosedMessage } from './session-log.js';

type Phase = 'edge' | 'greeting' | 'preauth' | 'tls' | 'auth' | 'authWait' | 'upstream' | 'relay' | 'closing' | 'closed';

const AUTH_STATE = 'in auth state';
const HTTP_AUTH_STATE = 'in http auth state';

export class Session {
  readonly closed: Promise<void>;
  private resolveClosed!: () => void;

  private socket: Socket;
  private readonly rt: ServerRuntime;
  private readonly ctx: SessionLogContext;
  private readonly startedAt = Date.now();
  private phase: Phase = 'greeting';
  private state: unknown;

  private readonly cmdPool: BufferPool;
  private buf: Buffer | null = null;
  private start = 0;
  private end = 0;
  private readonly pending: Buffer[] = [];
  private writeBlocked = false;

  private deadline: NodeJS.Timeout | null = null;
  private waitTimer: NodeJS.Timeout | null = null;
  private attempt = 0;
  private clientHost = '';
  private tlsInfo: ClientTlsInfo | null = null;
  private driver: LoginDriver<unknown> | null = null;
  /** the auth request in flight, and what its answer is for */
  private authTicket: AuthTicketLike | null = null;
  private authRequest: AuthRequest | null = null;
  private authUpstream: UpstreamLoginContext | null = null;
  private authNeedPassword = false;
  private relay: Relay | null = null;
  private endReason: EndReason = 'clientClosed';
  private bytesFromClient = 0;
  private bytesToClient = 0;
  private method: string | null = null;
  private upstreamStartedAt = 0;
  /** the client's port (after realip), for the PROXY header to the backend */
  private clientPort: number;
  private readonly listen: SessionStart['listen'];
  private proxyInfo: ProxyProtocolInfo | null = null;
  private tlsDetails: TlsDetails | null = null;
  /** nginx's "while ..." for a timeout before the greeting (edge steps) */
  private edgeAction = 'sending client greeting line';

  constructor(socket: Socket, start: SessionStart) {
    this.socket = socket;
    this.rt = start.runtime;
    this.cmdPool = this.rt.pools.get(this.rt.binding.clientBufferBytes);
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    const remote = socket.remoteAddress ?? '-';
    this.ctx = {
      cid: start.cid,
      protocol: this.rt.binding.name,
      // nginx prints v4-mapped clients of a dual-stack socket as ::ffff:a.b.c.d; so do we.
      client: start.listen.kind === 'unix' ? 'unix:' : remote,
      server: start.listen.addrText,
      usingStarttls: false,
      login: null,
      upstream: null,
    };
    // nginx: ngx_mail_smtp_init_session — without a resolver the SMTP client host is `[UNAVAILABLE]` from
    // the start, so Client-Host and XCLIENT NAME= carry it; IMAP and POP3 never have one.
    if (this.rt.binding.name === 'smtp') this.clientHost = '[UNAVAILABLE]';
    this.listen = start.listen;
    this.clientPort = socket.remotePort ?? 0;
    this.rt.metrics.sessionStarted(this.rt.binding.name, this.ctx.server);
  }

  /**
   * Start: the edge (PROXY header, access rules, implicit TLS) under the `timeout` deadline, as nginx
   * arms it for each of them, then the greeting.
   */
  run(): void {
    const l = this.listen;
    const edgeNeeded = l.proxyProtocol || l.ssl || !this.rt.access.empty;
    if (!edgeNeeded) {
      this.attach(this.socket);
      this.begin(null);
      return;
    }
    this.phase = 'edge';
    this.socket.on('close', this.onClose);
    this.armDeadline();
    runEdge({
      socket: this.socket,
      listen: l,
      peer: this.ctx.client,
      access: this.rt.access,
      realIp: this.rt.realIp,
      tls: this.rt.tls,
      onAction: (action) => {
        this.edgeAction = action;
      },
      onClient: (client) => {
        this.ctx.client = client.address;
        this.clientPort = client.port;
      },
    }).then(this.onEdge, (err: unknown) => {
      this.onEdge({
        type: 'fail',
        log: { level: 'error', message: `edge failed: ${String(err)}`, action: this.edgeAction },
        reply: null,
        reason: 'internalError',
        refused: null,
        socket: this.socket,
      });
    });
  }

  private readonly onEdge = (outcome: EdgeOutcome): void => {
    if (this.phase !== 'edge') {
      if (outcome.type !== 'closed') outcome.socket.destroy();
      return;
    }
    if (outcome.type === 'closed') {
      this.abort('clientClosed');
      return;
    }
    if (outcome.type === 'fail') {
      this.edgeFailed(outcome);
      return;
    }
    this.socket.removeListener('close', this.onClose);
    this.socket = outcome.socket;
    this.attach(this.socket);
    if (outcome.client !== null) {
      this.ctx.client = outcome.client.address;
      this.clientPort = outcome.client.port;
    }
    this.proxyInfo = outcome.proxy;
    if (outcome.tls !== null) {
      this.tlsDetails = outcome.tls.details;
      this.rt.metrics.tlsHandshake(outcome.tls.info.protocol, outcome.tls.details.resumed);
    }
    this.begin(outcome.tls?.info ?? null);
  };

  /** An edge step refused the connection: log, maybe send the certificate reply, close. */
  private edgeFailed(outcome: Extract<EdgeOutcome, { type: 'fail' }>): void {
    if (outcome.refused !== null) this.rt.metrics.refused(outcome.refused);
    if (outcome.reason === 'clientClosed' && this.listen.ssl) this.rt.metrics.tlsHandshake(null, false);
    this.logEdge(outcome.log);
    if (outcome.socket !== this.socket) {
      this.socket.removeListener('close', this.onClose);
      this.socket = outcome.socket;
      this.attach(this.socket);
    }
    if (outcome.reply !== null) {
      const m = this.rt.binding.module;
      this.write(outcome.reply === 'certificateError' ? m.certificateError : m.noCertificate);
      this.closeAfterFlush(outcome.reason);
      return;
    }
    this.abort(outcome.reason);
  }

  private logEdge(l: EdgeLog | null): void {
    if (l !== null) this.log(l.level, l.message, l.action, l.err);
  }

  /** Send the greeting and start reading commands. */
  begin(tls: ClientTlsInfo | null): void {
    this.tlsInfo = tls;
    const b = this.rt.binding;
    const step = b.module.start(b.settings, {
      tls: tls !== null,
      random: (Math.random() * 0x80000000) >>> 0,
      unixTime: Math.floor(Date.now() / 1000),
    });
    this.phase = 'preauth';
    // nginx arms `timeout` when the greeting is queued; SMTP's host lookup and greeting delay come
    // first and re-arm it when they end (resolveClientHost, delay).
    this.armDeadline();
    this.apply(step);
    this.pump();
  }

  /** Graceful-shutdown timeout or fast stop: end the session now. */
  shutdown(kind: 'shutdown' | 'fast'): void {
    if (this.phase === 'relay' && this.relay !== null) {
      this.relay.shutdown();
      return;
    }
    // nginx leaves pre-auth sessions to their own timeout on a graceful shutdown; a fast stop cuts.
    if (kind === 'fast' || this.phase === 'upstream' || this.phase === 'auth') this.abort('shutdown');
  }

  // ---- input ----------------------------------------------------------------------------------

  private readonly onData = (chunk: Buffer): void => {
    this.bytesFromClient += chunk.length;
    this.pending.push(chunk);
    this.pump();
  };

  private readonly onDrain = (): void => {
    if (!this.writeBlocked) return;
    this.writeBlocked = false;
    this.pump();
  };

  /** Copy pending chunks into the command buffer as far as it has room (compacting first). */
  private fill(): void {
    if (this.pending.length === 0) return;
    this.buf ??= this.cmdPool.acquire();
    const buf = this.buf;
    if (this.start > 0 && this.end === buf.length) {
      buf.copyWithin(0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
    }
    while (this.pending.length > 0 && this.end < buf.length) {
      const chunk = this.pending[0] as Buffer;
      const n = Math.min(chunk.length, buf.length - this.end);
      chunk.copy(buf, this.end, 0, n);
      this.end += n;
      if (n === chunk.length) this.pending.shift();
      else this.pending[0] = chunk.subarray(n);
    }
  }

  private get canProcess(): boolean {
    return this.phase === 'preauth' && !this.writeBlocked;
  }

  /** Handle buffered commands one at a time until input runs out or something must be waited for. */
  private pump(): void {
    const b = this.rt.binding;
    while (this.canProcess) {
      this.fill();
      const buf = this.buf;
      if (buf === null || this.start === this.end) break;
      const r = b.module.feed(this.state, buf, this.start, this.end, b.settings);
      this.start += r.consumed;
      if (this.start === this.end) this.start = this.end = 0;
      if (r.consumed === 0 && r.actions.length === 0) {
        this.state = r.state;
        // Need more bytes. After fill(), leftover pending input means the buffer is full: too long.
        if (this.end - this.start < buf.length) break;
        this.apply(b.module.overflow(this.state, buf, this.start, this.end, b.settings));
        continue;
      }
      this.apply(r);
    }
    this.flowControl();
  }

  /**
   * Read from the socket while commands can be handled. While the auth service or the backend is being
   * asked, reading goes on into `pending` (bounded by one client buffer): pausing and resuming the
   * socket around every login cost two epoll_ctl calls per session in profiles, and nginx, too, leaves
   * the client's bytes where they are and simply does not look at them (ngx_mail_auth_http_block_read).
   */
  private flowControl(): void {
    if (this.phase === 'closed' || this.phase === 'relay') return;
    let hold = this.writeBlocked || this.phase === 'tls' || this.phase === 'edge';
    if (!hold && this.pending.length > 0) {
      if (this.canProcess) hold = true;
      else {
        let queued = 0;
        for (const p of this.pending) queued += p.length;
        hold = queued >= this.rt.binding.clientBufferBytes;
      }
    }
    if (!hold) {
      if (this.socket.isPaused()) this.socket.resume();
    } else if (!this.socket.isPaused()) {
      this.socket.pause();
    }
  }

  // ---- actions --------------------------------------------------------------------------------

  private apply(step: Step<unknown>): void {
    // Log lines of a step carry the action of the state it ran in (nginx sets the action on entry).
    const action = this.stateAction();
    this.state = step.state;
    this.execute(step.actions, action);
  }

  private execute(actions: readonly Action[], logAction: string): void {
    if (actions.length === 0) return;
    const sock = this.socket;
    // One write per burst of replies (ARCHITECTURE: a write per protocol line was the main cost).
    sock.cork();
    try {
      for (const a of actions) {
        if (this.phase === 'closing' || this.phase === 'closed') break;
        switch (a.type) {
          case 'reply':
            this.write(a.data);
            break;
          case 'log':
            this.log(a.level, a.message, logAction);
            break;
          case 'login':
            this.ctx.login = a.login.length > 0 ? loginForLog(a.login) : null;
            break;
          case 'close':
            this.closeAfterFlush(a.reason);
            break;
          case 'startTls':
            this.startTls();
            break;
          case 'authenticate':
            this.authenticate(a.request, a.upstream);
            break;
          case 'resolveClientHost':
            this.resolveClientHost();
            break;
          case 'delay':
            this.delay(a.ms);
            break;
        }
      }
    } finally {
      sock.uncork();
    }
  }

  private write(data: Buffer): void {
    this.bytesToClient += data.length;
    if (!this.socket.write(data)) this.writeBlocked = true;
  }

  private log(level: LogLevel, message: string, action: string | null, err?: { errno: number; text: string }): void {
    const logger = this.rt.logger;
    if (!logger.enabled(level)) return;
    logger.log(level, message, {
      ctx: this.ctx,
      ...(action === null ? {} : { action }),
      ...(err === undefined ? {} : { err }),
    });
  }

  /** nginx's "while ..." for the protocol's current state. */
  private stateAction(): string {
    const m = this.rt.binding.module;
    // before the greeting step there is no protocol state yet
    return m.logAction && this.state !== undefined ? m.logAction(this.state) : AUTH_STATE;
  }

  // ---- deadline -------------------------------------------------------------------------------

  /** nginx's `timeout`: one deadline from the greeting (Q-3 mirrored), re-armed after Auth-Wait. */
  private armDeadline(): void {
    this.clearDeadline();
    this.deadline = setTimeout(this.onDeadline, timerMs(this.rt.server.timeoutMs));
  }

  private clearDeadline(): void {
    if (this.deadline !== null) {
      clearTimeout(this.deadline);
      this.deadline = null;
    }
  }

  private readonly onDeadline = (): void => {
    this.deadline = null;
    if (this.phase === 'closed') return;
    const action =
      this.phase === 'edge' ? this.edgeAction : this.phase === 'tls' ? 'in starttls state' : this.stateAction();
    this.log('info', 'client timed out', action, { errno: 110, text: 'Connection timed out' });
    this.abort('timeout');
  };

  // ---- STARTTLS -------------------------------------------------------------------------------

  private startTls(): void {
    const tls = this.rt.tls;
    if (tls === null) {
      // The config requires certificates for starttls; a machine asking without them is a bug.
      this.log('error', 'STARTTLS requested but TLS is not configured for this server', AUTH_STATE);
      this.write(this.rt.binding.module.internalError);
      this.closeAfterFlush('internalError');
      return;
    }
    this.phase = 'tls';
    // nginx: ngx_mail_starttls_handler sets s->starttls before the handshake, so a failed or timed-out
    // STARTTLS handshake is already logged `client: <ip> using starttls`.
    this.ctx.usingStarttls = true;
    // The STARTTLS injection fix: every byte the client sent behind the command is thrown away.
    this.pending.length = 0;
    this.start = this.end = 0;
    this.socket.pause();
    // Upgrade only once the reply to STARTTLS has left, so it is not encrypted.
    this.socket.write(Buffer.alloc(0), () => {
      if (this.phase !== 'tls') return;
      this.pending.length = 0;
      this.upgrade(tls, () => {
        this.phase = 'preauth';
        const b = this.rt.binding;
        this.apply(b.module.tlsStarted(this.state, b.settings));
        this.pump();
      });
    });
  }

  /** Swap the plain socket for a TLS one after STARTTLS; failures end the session as nginx does. */
  private upgrade(tls: TlsPort, then: (info: ClientTlsInfo) => void): void {
    const plain = this.socket;
    this.detach(plain);
    plain.on('error', noop);
    plain.on('close', this.onClose);
    void upgradeTls(tls, plain, 'in starttls state').then((outcome) => {
      if (this.phase !== 'tls') {
        if (outcome.type !== 'closed') outcome.socket.destroy();
        return;
      }
      if (outcome.type === 'closed') {
        this.abort('clientClosed');
        return;
      }
      plain.removeListener('close', this.onClose);
      this.socket = outcome.socket;
      this.attach(this.socket);
      if (outcome.type === 'fail') {
        if (outcome.reason === 'clientClosed') this.rt.metrics.tlsHandshake(null, false);
        this.logEdge(outcome.log);
        if (outcome.reply !== null) {
          const m = this.rt.binding.module;
          this.phase = 'preauth';
          this.write(outcome.reply === 'certificateError' ? m.certificateError : m.noCertificate);
          this.closeAfterFlush(outcome.reason);
        } else {
          this.abort(outcome.reason);
        }
        return;
      }
      this.tlsInfo = outcome.info;
      this.tlsDetails = outcome.details;
      this.rt.metrics.tlsHandshake(outcome.info.protocol, outcome.details.resumed);
      then(outcome.info);
    });
  }

  private attach(socket: Socket): void {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
    socket.on('drain', this.onDrain);
  }

  private detach(socket: Socket): void {
    socket.removeListener('data', this.onData);
    socket.removeListener('end', this.onEnd);
    socket.removeListener('error', this.onError);
    socket.removeListener('close', this.onClose);
    socket.removeListener('drain', this.onDrain);
  }

  // ---- SMTP host lookup and greeting delay ------------------------------------------------------

  private resolveClientHost(): void {
    // Without a resolver nginx uses the placeholder at once (reference 4.3.1); the lookup itself is
    // wired in when the SMTP resolver lands (server-runtime provides it).
    this.phase = 'greeting';
    // the lookup has its own limit (resolver_timeout); the client's `timeout` starts after it
    this.clearDeadline();
    const lookup = this.rt.lookupClientHost;
    const done = (host: string): void => {
      if (this.phase === 'closed' || this.phase === 'closing') return;
      this.clientHost = host;
      this.phase = 'preauth';
      this.armDeadline();
      const m = this.rt.binding.module;
      if (m.hostResolved) this.apply(m.hostResolved(this.state, Buffer.from(host, 'latin1'), this.rt.binding.settings));
      this.pump();
    };
    if (lookup === undefined) {
      done('[UNAVAILABLE]');
      return;
    }
    lookup(this.ctx.client).then(
      (r) => {
        if (r.log) this.log(r.log.level, r.log.message, r.log.action);
        done(r.host);
      },
      () => {
        done('[TEMPUNAVAIL]');
      },
    );
  }

  private delay(ms: number): void {
    // During the delay the machine stays in its delay state: bytes that arrive are fed to it (and
    // refused), so reading continues. nginx arms `timeout` only once the delay is over.
    this.clearDeadline();
    this.waitTimer = setTimeout(() => {
      this.waitTimer = null;
      if (this.phase !== 'preauth') return;
      this.armDeadline();
      const m = this.rt.binding.module;
      if (m.delayElapsed) this.apply(m.delayElapsed(this.state, this.rt.binding.settings));
      this.pump();
    }, timerMs(ms));
  }

  // ---- auth_http --------------------------------------------------------------------------------

  private authenticate(request: AuthRequest, upstream: UpstreamLoginContext): void {
    this.phase = 'auth';
    this.clearDeadline();
    this.attempt++;
    this.method = request.method;
    if (request.login.length > 0) this.ctx.login = loginForLog(request.login);
    const needPassword =
      request.method === 'apop' || request.method === 'cram-md5' || request.method === 'external';
    // The auth client's own lines (WAIT retries, keep-alive retries) carry the session's context, and a
    // session that ends first cancels the request (stopWork).
    this.authRequest = request;
    this.authUpstream = upstream;
    this.authNeedPassword = needPassword;
    const input: SessionAuthInput = {
      request,
      protocol: this.rt.binding.name,
      attempt: this.attempt,
      clientIp: this.ctx.client,
      clientHost: this.clientHost,
      proxyProtocol: this.proxyInfo,
      tls: this.tlsInfo,
      needPassword: needPassword && this.rt.binding.name !== 'smtp',
      logCtx: this.ctx,
    };
    this.authTicket = this.rt.auth.begin(input, this.onAuthDone);
  }

  /** One bound callback for every login (no closure or Promise per request). */
  private readonly onAuthDone = (result: AuthHttpResult): void => {
    const request = this.authRequest;
    const upstream = this.authUpstream;
    this.authTicket = null;
    this.authRequest = null;
    this.authUpstream = null;
    if (request === null || upstream === null) return;
    this.onAuthResult(result, request, upstream, this.authNeedPassword);
  };

  private onAuthResult(
    result: AuthHttpResult,
    request: AuthRequest,
    upstream: UpstreamLoginContext,
    needPassword: boolean,
  ): void {
    if (this.phase !== 'auth') return; // the client went away meanwhile
    const m = this.rt.binding.module;
    const settings = this.rt.binding.settings;
    this.rt.metrics.login(
      this.rt.binding.name,
      request.method,
      result.type === 'ok' ? 'ok' : result.type === 'fail' ? 'fail' : 'error',
    );
    switch (result.type) {
      case 'ok':
        if (result.user !== null) this.ctx.login = loginForLog(result.user);
        this.connectUpstream(result, request, upstream, needPassword);
        return;
      case 'fail': {
        this.log('info', `client login failed: "${loginForLog(result.text)}"`, HTTP_AUTH_STATE);
        const failure = { text: result.text, smtpErrorCode: result.errorCode, retry: result.waitSec > 0 };
        if (result.waitSec > 0) {
          // nginx: wait with the client's input held, then reply and let it try again.
          this.phase = 'authWait';
          this.waitTimer = setTimeout(() => {
            this.waitTimer = null;
            if (this.phase !== 'authWait') return;
            this.phase = 'preauth';
            this.armDeadline();
            this.apply(m.authFailed(this.state, failure, settings));
            this.pump();
          }, timerMs(result.waitSec * 1000));
          return;
        }
        this.phase = 'preauth';
        this.apply(m.authFailed(this.state, failure, settings));
        this.closeAfterFlush('authFailed');
        return;
      }
      case 'wait':
      case 'error': {
        if (result.type === 'error') this.log(result.level, result.message, HTTP_AUTH_STATE, result.err);
        else this.log('error', 'auth http server kept answering WAIT', HTTP_AUTH_STATE);
        this.phase = 'preauth';
        this.write(m.internalError);
        this.closeAfterFlush('internalError');
        return;
      }
    }
  }

  // ---- upstream login and relay ------------------------------------------------------------------

  private connectUpstream(
    result: Extract<AuthHttpResult, { type: 'ok' }>,
    request: AuthRequest,
    upstream: UpstreamLoginContext,
    needPassword: boolean,
  ): void {
    this.phase = 'upstream';
    this.upstreamStartedAt = Date.now();
    this.ctx.upstream = result.upstreamText;
    const b = this.rt.binding;
    const server = this.rt.server;
    const password = result.pass ?? (needPassword ? null : request.password);
    const loginState = b.login.start(
      upstream,
      { login: result.user ?? request.login, password },
      {
        ...b.loginSettings,
        clientAddr: this.ctx.client,
        // `unix:` has a colon too; only an IPv6 address gets XCLIENT's `IPV6:` prefix
        clientIsIpv6: !this.ctx.client.startsWith('unix:') && this.ctx.client.includes(':'),
        clientHost: this.clientHost === '' ? '[UNAVAILABLE]' : this.clientHost,
      },
    );
    this.driver = new LoginDriver({
      target: { host: result.server, port: result.port },
      addrText: result.upstreamText,
      module: b.login,
      state: loginState,
      pool: this.rt.pools.get(server.proxyBufferBytes),
      timeoutMs: server.timeoutMs,
      passErrorMessage: server.proxyPassErrorMessage,
      proxyHeader: this.proxyHeaderForUpstream(),
      onOutcome: this.onLoginOutcome,
    });
  }

  /** `proxy_protocol on|v2` (reference 6.5): the client (after realip) and the address it connected to. */
  private proxyHeaderForUpstream(): Buffer | null {
    const mode = this.rt.server.proxyProtocol;
    if (mode === 'off') return null;
    const unix = this.listen.kind === 'unix';
    const src: ProxyEndpoint | null = unix ? null : { address: this.ctx.client, port: this.clientPort };
    const local = this.socket.localAddress;
    const dst: ProxyEndpoint | null = unix || local === undefined ? null : { address: local, port: this.socket.localPort ?? 0 };
    if (mode === 'v1') return buildProxyV1(src, dst);
    const info = this.tlsInfo;
    const d = this.tlsDetails;
    return buildProxyV2(src, dst, {
      ssl:
        info === null
          ? null
          : {
              version: info.protocol,
              cipher: info.cipher,
              clientCert: info.subject === null ? 'none' : d?.resumed === true ? 'session' : 'connection',
              verified: info.verify === 'SUCCESS',
              commonName: d?.commonName ?? null,
            },
      alpn: d?.alpn ?? null,
      authority: d?.serverName ?? null,
    });
  }

  private readonly onLoginOutcome = (outcome: LoginOutcome): void => {
    this.driver = null;
    this.rt.metrics.upstream(
      this.ctx.upstream ?? '',
      Date.now() - this.upstreamStartedAt,
      outcome.type === 'done' ? null : outcome.reason,
    );
    if (this.phase !== 'upstream') {
      if (outcome.type === 'done') outcome.upstream.destroy();
      return;
    }
    if (outcome.type === 'failed') {
      const l = outcome.log;
      this.log(l.level, l.message, l.action, l.err);
      this.phase = 'preauth';
      this.write(outcome.backendReply ?? this.rt.binding.module.internalError);
      this.closeAfterFlush('internalError');
      return;
    }
    this.phase = 'relay';
    this.log('info', 'client logged in', null);
    this.detach(this.socket);
    this.write(outcome.reply);
    // Bytes the client pipelined behind its login command go to the backend first (reference 5.5).
    const parts: Buffer[] = [];
    if (this.buf !== null && this.end > this.start) parts.push(Buffer.from(this.buf.subarray(this.start, this.end)));
    for (const p of this.pending) parts.push(p);
    this.pending.length = 0;
    this.releaseCmdBuffer();
    const toUpstream = parts.length === 0 ? null : parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
    const bytesBefore = { from: this.bytesFromClient, to: this.bytesToClient };
    this.relay = new Relay({
      client: this.socket,
      upstream: outcome.upstream,
      proxyTimeoutMs: this.rt.server.proxyTimeoutMs,
      onEnd: (end, relay) => {
        // The pipelined bytes were counted when they arrived; the relay counts them again.
        this.bytesFromClient = bytesBefore.from + relay.bytesFromClient - (toUpstream?.length ?? 0);
        this.bytesToClient = bytesBefore.to + relay.bytesToClient;
        this.onRelayEnd(end);
      },
    });
    this.relay.start(toUpstream, outcome.leftover);
  };

  private onRelayEnd(end: RelayEnd): void {
    switch (end.kind) {
      case 'done':
        this.log('info', 'proxied session done', null);
        this.endReason = 'proxied';
        break;
      case 'timeout':
        this.log('info', 'client timed out', 'proxying', { errno: 110, text: 'Connection timed out' });
        this.endReason = 'proxyTimeout';
        break;
      case 'clientError':
        // nginx logs client socket errors at info (the client connection's log_error)
        this.logRelayError('info', end.err, 'client');
        this.endReason = 'clientClosed';
        break;
      case 'upstreamError':
        this.logRelayError('error', end.err, 'upstream');
        this.endReason = 'upstreamClosed';
        break;
      case 'shutdown':
        this.log('info', 'shutdown timeout', 'proxying');
        this.endReason = 'shutdown';
        break;
    }
    this.finalize();
  }

  /**
   * nginx: ngx_mail_proxy_handler. A failed recv() marks that side at EOF, so once what it sent is flushed
   * the session ends as `proxied session done` too; a failed send() closes the session without that line.
   */
  private logRelayError(level: LogLevel, err: NodeJS.ErrnoException, side: 'client' | 'upstream'): void {
    if (err.syscall === 'write' || err.syscall === 'writev') {
      this.log(level, 'send() failed', `proxying and sending to ${side}`, errnoOf(err));
      return;
    }
    this.log(level, 'recv() failed', `proxying and reading from ${side}`, errnoOf(err));
    this.log('info', 'proxied session done', null);
  }

  // ---- ending -----------------------------------------------------------------------------------

  private readonly onEnd = (): void => {
    // The client closed before logging in: nginx closes without a log line.
    if (this.phase === 'closing') return;
    this.abort('clientClosed');
  };

  private readonly onError = (err: NodeJS.ErrnoException): void => {
    if (this.phase === 'closed') return;
    if (this.phase !== 'closing') {
      this.log('info', 'recv() failed', AUTH_STATE, errnoOf(err));
      this.endReason = 'clientClosed';
    }
    this.socket.destroy();
  };

  private readonly onClose = (): void => {
    if (this.phase === 'closed' || this.phase === 'relay') return;
    if (this.phase !== 'closing') this.endReason = this.endReason === 'clientClosed' ? 'clientClosed' : this.endReason;
    this.finalize();
  };

  /** Queue nothing more; close once what was written has left (nginx's `s->quit`). */
  private closeAfterFlush(reason: EndReason): void {
    if (this.phase === 'closing' || this.phase === 'closed') return;
    this.endReason = reason;
    this.phase = 'closing';
    this.stopWork();
    this.socket.end();
    // A client that never reads its last reply must not hold the session: bounded by `timeout`.
    this.waitTimer = setTimeout(() => {
      this.socket.destroy();
    }, timerMs(this.rt.server.timeoutMs));
    this.waitTimer.unref();
  }

  /** Close now, without flushing. */
  private abort(reason: EndReason): void {
    if (this.phase === 'closed') return;
    this.endReason = reason;
    if (this.phase === 'relay' && this.relay !== null) {
      this.relay.shutdown();
      return;
    }
    this.phase = 'closing';
    this.stopWork();
    this.socket.destroy();
  }

  private stopWork(): void {
    this.clearDeadline();
    if (this.authTicket !== null) {
      this.rt.auth.cancel(this.authTicket);
      this.authTicket = null;
    }
    if (this.driver !== null) {
      this.driver.abort();
      this.driver = null;
    }
    this.pending.length = 0;
  }

  private releaseCmdBuffer(): void {
    if (this.buf !== null) {
      this.cmdPool.release(this.buf);
      this.buf = null;
      this.start = this.end = 0;
    }
  }

  private finalize(): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.stopWork();
    if (this.waitTimer !== null) {
      clearTimeout(this.waitTimer);
      this.waitTimer = null;
    }
    this.releaseCmdBuffer();
    if (!this.socket.destroyed) this.socket.destroy();
    const durationMs = Date.now() - this.startedAt;
    const protocol = this.rt.binding.name;
    this.rt.metrics.sessionEnded(
      protocol,
      this.ctx.server,
      this.endReason,
      this.bytesFromClient,
      this.bytesToClient,
      durationMs,
    );
    if (this.rt.logger.enabled('info')) {
      const tls = this.tlsInfo?.protocol ?? null;
      this.rt.logger.info(
        sessionClosedMessage({
          protocol,
          reason: this.endReason,
          durationMs,
          bytesFromClient: this.bytesFromClient,
          bytesToClient: this.bytesToClient,
          method: this.method,
          tls,
        }),
        {
          ctx: this.ctx,
          fields: {
            reason: this.endReason,
            durationMs,
            bytesIn: this.bytesFromClient,
            bytesOut: this.bytesToClient,
            method: this.method,
            tls,
          },
        },
      );
    }
    this.resolveClosed();
  }
}

function noop(): void {
  // errors on the discarded plain socket are reported by the TLS socket
}
