/** A minimal line client for process tests: connect, read lines, send, and see the close. */
import * as net from 'node:net';

export interface LineClient {
  /** resolves with the next CRLF-terminated line (without CRLF) */
  line(timeoutMs?: number): Promise<string>;
  send(text: string): void;
  /** resolves when the server closed the connection */
  readonly closed: Promise<void>;
  destroy(): void;
}

export function connectClient(port: number, host = '127.0.0.1'): Promise<LineClient> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, host);
    let buf = '';
    const waiting: ((l: string) => void)[] = [];
    const lines: string[] = [];
    const closed = new Promise<void>((r) => {
      socket.once('close', () => {
        r();
      });
    });
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\r\n')) !== -1) {
        const l = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const w = waiting.shift();
        if (w !== undefined) w(l);
        else lines.push(l);
      }
    });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => undefined);
      resolve({
        line: (timeoutMs = 10_000) =>
          new Promise((res, rej) => {
            const ready = lines.shift();
            if (ready !== undefined) {
              res(ready);
              return;
            }
            const waiter = (l: string): void => {
              clearTimeout(t);
              res(l);
            };
            const t = setTimeout(() => {
              // forget this waiter so a later line goes to the next caller
              const i = waiting.indexOf(waiter);
              if (i !== -1) waiting.splice(i, 1);
              rej(new Error('no line within timeout'));
            }, timeoutMs);
            waiting.push(waiter);
          }),
        send: (text) => socket.write(text),
        closed,
        destroy: () => socket.destroy(),
      });
    });
  });
}

/** A free TCP port on 127.0.0.1 (bound then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address() as net.AddressInfo;
      s.close(() => {
        resolve(a.port);
      });
    });
  });
}
