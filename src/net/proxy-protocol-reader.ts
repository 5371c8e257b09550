/**
 * Reading a PROXY protocol header off a fresh client socket (nginx: ngx_mail_proxy_protocol_handler).
 *
 * Owns: collecting bytes until `parseProxyHeader` decides, then handing the socket back with every byte
 * after the header put back (`unshift`), so a TLS ClientHello or a pipelined command that arrived in the
 * same segment is not lost. Reading is done in paused mode (`readable` + `read()`), so once the header is
 * taken the socket is neither flowing nor paused: the next `data` listener, or a TLSSocket wrapping it,
 * starts reading where the header ended. Does not own: the deadline (the session arms `timeout` and
 * destroys the socket, which settles the promise as `closed`), logging, or trusting the addresses
 * (realip.ts).
 */
import type { Socket } from 'node:net';
import { parseProxyHeader, type ProxyHeader } from './proxy-protocol.js';

export type ProxyReadResult =
  | { readonly type: 'header'; readonly header: ProxyHeader }
  /** `log`: nginx's error_log text (level error, action `reading PROXY protocol`); close with no reply */
  | { readonly type: 'invalid'; readonly log: string }
  /** the socket ended, failed or was destroyed before a header was complete */
  | { readonly type: 'closed'; readonly error: Error | null };

/**
 * Resolves once the header is read, found broken, or the socket goes away; never rejects. The socket's
 * own `error` listener (which the worker attaches at accept) stays in place.
 */
export function readProxyHeader(socket: Socket): Promise<ProxyReadResult> {
  return new Promise((resolve) => {
    let buf: Buffer = Buffer.alloc(0);
    let done = false;
    const finish = (r: ProxyReadResult): void => {
      if (done) return;
      done = true;
      socket.removeListener('readable', onReadable);
      socket.removeListener('end', onEnd);
      socket.removeListener('close', onClose);
      socket.removeListener('error', onError);
      resolve(r);
    };
    const onReadable = (): void => {
      for (let chunk = socket.read() as Buffer | null; chunk !== null && !done; chunk = socket.read() as Buffer | null) {
        buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
        const r = parseProxyHeader(buf);
        if (r.type === 'incomplete') continue;
        if (r.type === 'invalid') {
          finish({ type: 'invalid', log: r.log });
          return;
        }
        if (r.consumed < buf.length) socket.unshift(buf.subarray(r.consumed));
        finish({ type: 'header', header: r.header });
        return;
      }
    };
    const onEnd = (): void => {
      finish({ type: 'closed', error: null });
    };
    const onClose = (): void => {
      finish({ type: 'closed', error: null });
    };
    const onError = (err: Error): void => {
      finish({ type: 'closed', error: err });
    };
    socket.on('readable', onReadable);
    socket.once('end', onEnd);
    socket.once('close', onClose);
    socket.once('error', onError);
    if (socket.destroyed) finish({ type: 'closed', error: null });
  });
}
