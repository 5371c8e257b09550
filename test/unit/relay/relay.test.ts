/**
 * The relay over real loopback sockets: bytes arrive unchanged both ways, backpressure holds however
 * slow a peer is, and both sockets close however the session ends.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { Upstream } from '../../../src/relay/upstream.js';
import { Relay, type RelayEnd } from '../../../src/relay/relay.js';

interface Rig {
  client: net.Socket; // the real client's end
  upstreamPeer: Promise<net.Socket>; // the backend's end
  relayEnd: Promise<RelayEnd>;
  relay: Relay;
  /** the proxy's end of the client connection */
  proxySide: net.Socket;
  upstream: Upstream;
  cleanup: () => Promise<void>;
}

function pattern(size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + (i >> 13)) & 0xff;
  return b;
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function rig(proxyTimeoutMs = 30_000): Promise<Rig> {
  const backend = net.createServer({ allowHalfOpen: true });
  let resolvePeer!: (s: net.Socket) => void;
  const upstreamPeer = new Promise<net.Socket>((r) => (resolvePeer = r));
  backend.on('connection', (s) => {
    resolvePeer(s);
  });
  backend.listen(0, '127.0.0.1');
  await once(backend, 'listening');
  const front = net.createServer({ allowHalfOpen: true, pauseOnConnect: true });
  front.listen(0, '127.0.0.1');
  await once(front, 'listening');
  const accepted = once(front, 'connection') as Promise<[net.Socket]>;
  const client = net.connect((front.address() as net.AddressInfo).port, '127.0.0.1');
  client.on('error', () => undefined);
  const [proxySide] = await accepted;
  let resolveEnd!: (e: RelayEnd) => void;
  const relayEnd = new Promise<RelayEnd>((r) => (resolveEnd = r));
  const port = (backend.address() as net.AddressInfo).port;
  const placeholder = {
    upstreamData: () => undefined,
    upstreamEnd: () => undefined,
    upstreamError: () => undefined,
    upstreamClose: () => undefined,
  };
  let relay!: Relay;
  let upstream!: Upstream;
  await new Promise<void>((resolve) => {
    const up = new Upstream({ host: '127.0.0.1', port }, placeholder, () => {
      relay = new Relay({
        client: proxySide,
        upstream: up,
        proxyTimeoutMs,
        onEnd: (e) => {
          resolveEnd(e);
        },
      });
      upstream = up;
      relay.start(null, null);
      resolve();
    });
  });
  return {
    client,
    upstreamPeer,
    relayEnd,
    relay,
    proxySide,
    upstream,
    cleanup: async () => {
      client.destroy();
      (await upstreamPeer).destroy();
      backend.close();
      front.close();
    },
  };
}

test('a 10 MiB download reaches the client byte for byte', async () => {
  const r = await rig();
  const data = pattern(10 * 1024 * 1024);
  const peer = await r.upstreamPeer;
  const got: Buffer[] = [];
  r.client.on('data', (c: Buffer) => got.push(c));
  peer.end(data);
  const end = await r.relayEnd;
  await once(r.client, 'close');
  assert.equal(end.kind, 'done');
  assert.equal(sha(Buffer.concat(got)), sha(data));
  assert.equal(r.relay.bytesToClient, data.length);
  assert.ok(r.upstream.isClosed);
  await r.cleanup();
});

test('an upload reaches the backend unchanged, and the client half-close is passed on as FIN', async () => {
  const r = await rig();
  const data = pattern(3 * 1024 * 1024 + 17);
  const peer = await r.upstreamPeer;
  const got: Buffer[] = [];
  peer.on('data', (c: Buffer) => got.push(c));
  r.client.end(data);
  await once(peer, 'end');
  assert.equal(sha(Buffer.concat(got)), sha(data));
  // The backend can still answer after the client's FIN; then it closes and the session ends.
  const answer: Buffer[] = [];
  r.client.on('data', (c: Buffer) => answer.push(c));
  peer.end('* BYE\r\n');
  const end = await r.relayEnd;
  assert.equal(end.kind, 'done');
  await once(r.client, 'close');
  assert.equal(Buffer.concat(answer).toString(), '* BYE\r\n');
  assert.equal(r.relay.bytesFromClient, data.length);
  assert.ok(r.upstream.isClosed);
  await r.cleanup();
});

test('a client that vanishes mid-download leaves no open socket behind', async () => {
  const r = await rig();
  const peer = await r.upstreamPeer;
  const chunk = pattern(256 * 1024);
  let written = 0;
  // Keep the backend sending until the relay ends.
  const pump = (): void => {
    while (written < 50 * 1024 * 1024 && peer.writable && peer.write(chunk)) written += chunk.length;
  };
  peer.on('drain', pump);
  peer.on('error', () => undefined);
  pump();
  let seen = 0;
  r.client.on('data', (c: Buffer) => {
    seen += c.length;
    if (seen > 1024 * 1024) r.client.resetAndDestroy();
  });
  const end = await r.relayEnd;
  assert.ok(end.kind === 'clientError' || end.kind === 'done', `ended with ${end.kind}`);
  assert.ok(r.upstream.isClosed);
  // The backend connection is closed too (events.once would reject on the peer's reset error).
  if (!peer.destroyed) await new Promise((res) => peer.on('close', res));
  await r.cleanup();
});

test('a backend reset mid-transfer ends the relay with an upstream error and closes both sockets', async () => {
  const r = await rig();
  const peer = await r.upstreamPeer;
  r.client.on('data', () => undefined);
  peer.write(pattern(512 * 1024));
  setTimeout(() => peer.resetAndDestroy(), 20);
  const end = await r.relayEnd;
  assert.ok(end.kind === 'upstreamError' || end.kind === 'done', `ended with ${end.kind}`);
  assert.ok(r.upstream.isClosed);
  await r.cleanup();
});

test('the backend is paused while a slow client has its queue over the high-water mark', async () => {
  const r = await rig(30_000);
  const peer = await r.upstreamPeer;
  r.client.pause(); // the client reads nothing
  const chunk = pattern(64 * 1024);
  let writes = 0;
  while (peer.write(chunk) && writes < 200) writes++;
  // Give the relay time to fill the client's socket buffers; the proxy must stop reading.
  await new Promise((res) => setTimeout(res, 300));
  // Bounded: the 16 KiB mark plus at most one read (64 KiB) queued in the proxy, not megabytes' worth.
  const queued = r.proxySide.writableLength;
  assert.ok(queued <= 16 * 1024 + 64 * 1024, `queued for the client ${String(queued)}`);
  assert.ok(r.upstream.socket.isPaused(), 'the proxy must stop reading from the backend');
  assert.ok(writes < 200, 'the backend should have hit backpressure');
  r.client.resume();
  r.client.on('data', () => undefined);
  peer.end();
  await r.relayEnd;
  assert.ok(r.upstream.isClosed);
  await r.cleanup();
});

test('proxy_timeout ends a relay with no traffic in either direction', async () => {
  const r = await rig(150);
  const end = await r.relayEnd;
  assert.equal(end.kind, 'timeout');
  assert.ok(r.upstream.isClosed);
  await r.cleanup();
});

test('traffic from the backend alone keeps the session alive past proxy_timeout (Q-14 fixed)', async () => {
  const r = await rig(300);
  const peer = await r.upstreamPeer;
  r.client.on('data', () => undefined);
  const started = Date.now();
  const iv = setInterval(() => peer.write('* 1 EXISTS\r\n'), 50);
  await new Promise((res) => setTimeout(res, 800));
  clearInterval(iv);
  let ended = false;
  void r.relayEnd.then(() => (ended = true));
  assert.equal(ended, false, 'relay must still be running while the backend talks');
  const end = await r.relayEnd;
  assert.equal(end.kind, 'timeout');
  assert.ok(Date.now() - started >= 800);
  await r.cleanup();
});
