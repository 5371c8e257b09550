/**
 * The in-process IMAP relay rig the relay and leak tests share: a fake IMAP backend, an auth service that
 * sends every login to it, and the proxy in this process (so the tests can read its pool counters).
 *
 * Owns: starting the three in that order and closing them in reverse. Does not own the fakes or the
 * in-process proxy themselves (fake-upstream.ts, fake-auth-http.ts, inproc-proxy.ts).
 */
import { ok, startFakeAuthHttp, type FakeAuthHttp } from './fake-auth-http.js';
import { startFakeUpstream, type FakeUpstream, type FakeUpstreamOptions } from './fake-upstream.js';
import { startInprocProxy, type InprocProxy } from './inproc-proxy.js';

export interface ImapRelayRig {
  readonly upstream: FakeUpstream;
  readonly auth: FakeAuthHttp;
  readonly proxy: InprocProxy;
  /** the proxy, then the backend, then the auth service */
  close(): Promise<void>;
}

/** `backend`: the fake backend's options beyond its flavour (the message it serves, ...). */
export async function startImapRelayRig(backend: Omit<FakeUpstreamOptions, 'flavour'>): Promise<ImapRelayRig> {
  const upstream = await startFakeUpstream({ flavour: 'imap', ...backend });
  let auth: FakeAuthHttp | null = null;
  try {
    auth = await startFakeAuthHttp({ script: () => ok('127.0.0.1', upstream.port) });
    const proxy = await startInprocProxy({ authUrl: auth.url });
    const started = auth;
    return {
      upstream,
      auth: started,
      proxy,
      close: async () => {
        await proxy.close();
        await upstream.close();
        await started.close();
      },
    };
  } catch (err) {
    await auth?.close();
    await upstream.close();
    throw err;
  }
}
