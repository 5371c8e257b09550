/**
 * A stand-in for the relay's login driver in tests: backend bytes arrive in any split, are accumulated,
 * and offered to an UpstreamLoginModule until it needs more; every action is recorded.
 */
import type {
  UpstreamAction,
  UpstreamCredentials,
  UpstreamLoginContext,
  UpstreamLoginModule,
  UpstreamLoginSettings,
} from '../../../../src/protocol/types.js';

export const LOGIN_SETTINGS: UpstreamLoginSettings = {
  serverName: 'mx.example.com',
  xclient: true,
  smtpAuth: false,
  clientAddr: '192.0.2.7',
  clientIsIpv6: false,
  clientHost: '[UNAVAILABLE]',
};

export class LoginSim<L> {
  state: L;
  readonly actions: UpstreamAction[] = [];
  private acc = Buffer.alloc(0);
  ended = false;

  constructor(
    private readonly module: UpstreamLoginModule<L>,
    ctx: UpstreamLoginContext,
    creds: UpstreamCredentials,
    settings: UpstreamLoginSettings = LOGIN_SETTINGS,
  ) {
    this.state = module.start(ctx, creds, settings);
  }

  /** Backend bytes arrive (one read). */
  recv(data: Buffer | string): this {
    this.acc = Buffer.concat([this.acc, typeof data === 'string' ? Buffer.from(data, 'latin1') : data]);
    for (let guard = 0; guard < 1000 && !this.ended; guard++) {
      // Offer the bytes at an offset, as a driver with its own buffer would.
      const buf = Buffer.concat([Buffer.from('zz'), this.acc]);
      const r = this.module.feed(this.state, buf, 2, buf.length);
      this.state = r.state;
      this.acc = this.acc.subarray(r.consumed);
      for (const a of r.actions) {
        this.actions.push(a);
        if (a.type !== 'send') this.ended = true;
      }
      if (r.consumed === 0 && r.actions.length === 0) break;
    }
    return this;
  }

  /** Everything sent to the backend, as text. */
  get sent(): string {
    return this.actions
      .filter((a) => a.type === 'send')
      .map((a) => a.data.toString('latin1'))
      .join('');
  }

  /** The final action, shown as text. */
  get outcome(): string | null {
    const a = this.actions.find((x) => x.type !== 'send');
    if (a === undefined) return null;
    switch (a.type) {
      case 'done':
        return `done ${a.reply.toString('latin1')}`;
      case 'rejected':
        return `rejected ${a.line.toString('latin1')} | ${a.raw.toString('latin1')}`;
      case 'error':
        return `error ${a.message} | ${a.phase}`;
    }
  }

  get phase(): string {
    return this.module.phase(this.state);
  }

  /** Bytes offered but not consumed. */
  get leftover(): string {
    return this.acc.toString('latin1');
  }
}
