/**
 * A stand-in session until the protocol issues land: the protocol's greeting (reference 4.1–4.3),
 * nginx's reply to IMAP `<tag> LOGOUT` / POP3 `QUIT` / SMTP `QUIT` followed by a close, and
 * silence for anything else. Enough to test process behaviour end to end over real sockets.
 *
 * Owns: nothing that outlives the protocol sessions. Does not log (the worker logs `connected`).
 */
import type { Socket } from 'node:net';
import type { ConnectionContext, ConnectionHandler, SessionHandle, ShutdownReason } from './connection-handler.js';

/** The greeting each protocol sends first (nginx: ngx_mail_{imap,pop3,smtp}_init_session). */
export function greetingFor(context: ConnectionContext): string {
  switch (context.server.protocol) {
    case 'imap':
      return '* OK IMAP4 ready\r\n';
    case 'pop3':
      return '+OK POP3 ready\r\n';
    case 'smtp':
      return `220 ${context.server.serverName} ESMTP ready\r\n`;
  }
}

const IMAP_LOGOUT = /^([A-Za-z0-9._-]{1,32}) +LOGOUT(?: .*)?$/i;

/** nginx's reply to a quit command, or null when the line is something else. */
export function quitReply(protocol: 'imap' | 'pop3' | 'smtp', line: string): string | null {
  switch (protocol) {
    case 'imap': {
      const m = IMAP_LOGOUT.exec(line);
      return m === null ? null : `* BYE\r\n${m[1] ?? ''} OK completed\r\n`;
    }
    case 'pop3':
      return /^QUIT$/i.test(line) ? '+OK\r\n' : null;
    case 'smtp':
      return /^QUIT$/i.test(line) ? '221 2.0.0 Bye\r\n' : null;
  }
}

/** Longest line the placeholder buffers; more is dropped (it is not a protocol implementation). */
const PLACEHOLDER_LINE_MAX = 4096;

class PlaceholderSession implements SessionHandle {
  readonly closed: Promise<void>;
  private buffered = '';
  private quitting = false;
  constructor(private readonly socket: Socket, private readonly context: ConnectionContext) {
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        resolve();
      });
    });
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.onData(chunk);
    });
    socket.on('end', () => {
      socket.end();
    });
    socket.write(greetingFor(context));
  }

  private onData(chunk: string): void {
    if (this.quitting) return;
    this.buffered += chunk;
    for (;;) {
      const lf = this.buffered.indexOf('\n');
      if (lf === -1) break;
      const line = this.buffered.slice(0, lf).replace(/\r$/, '');
      this.buffered = this.buffered.slice(lf + 1);
      const reply = quitReply(this.context.server.protocol, line);
      if (reply !== null) {
        // keep reading: the peer's FIN then completes the close (a paused socket would never see it)
        this.quitting = true;
        this.buffered = '';
        this.socket.end(reply);
        return;
      }
    }
    if (this.buffered.length > PLACEHOLDER_LINE_MAX) this.buffered = '';
  }

  shutdown(_reason: ShutdownReason): void {
    this.socket.destroy();
  }
}

export const placeholderHandler: ConnectionHandler = {
  start(socket, context) {
    return new PlaceholderSession(socket, context);
  },
};
