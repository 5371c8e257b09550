/**
 * The fake backend program: IMAP, POP3 and SMTP servers on 127.0.0.1, in one process or a cluster of
 * processes sharing the listening sockets.
 *
 * Usage: node fake-backend.js --imap <port> --pop3 <port> --smtp <port> [--procs N] [--message-bytes N]
 * Prints `READY <pid list>` on stdout once every process listens. With --procs > 1 the cluster's
 * workers accept from the shared sockets themselves (SCHED_NONE: no round-robin hand-off through the
 * primary, which would cost CPU on the machine being measured).
 * Owns: process layout and listening. Does not own the dialogues (backend-*.ts).
 */
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import { runClustered } from './clustered.js';
import { BackendConn, type DialogueSession } from './backend-conn.js';
import { imapDialogue } from './backend-imap.js';
import { pop3Dialogue } from './backend-pop3.js';
import { smtpDialogue } from './backend-smtp.js';
import { benchMessage } from './message.js';

const { values } = parseArgs({
  options: {
    imap: { type: 'string', default: '0' },
    pop3: { type: 'string', default: '0' },
    smtp: { type: 'string', default: '0' },
    procs: { type: 'string', default: '1' },
    'message-bytes': { type: 'string', default: '2048' },
  },
});

function listenAll(): Promise<void> {
  const message = benchMessage(Number(values['message-bytes']));
  const servers: [number, (c: BackendConn) => DialogueSession][] = [
    [Number(values.imap), imapDialogue(message)],
    [Number(values.pop3), pop3Dialogue(message)],
    [Number(values.smtp), smtpDialogue()],
  ];
  const listening = servers
    .filter(([port]) => port > 0)
    .map(
      ([port, dialogue]) =>
        new Promise<void>((resolve, reject) => {
          const server = createServer({ noDelay: true }, (socket) => {
            const conn = new BackendConn(socket);
            conn.session = dialogue(conn);
          });
          server.on('error', reject);
          server.listen({ host: '127.0.0.1', port, backlog: 4096 }, resolve);
        }),
    );
  return Promise.all(listening).then(() => undefined);
}

await runClustered(Math.max(1, Number(values.procs)), listenAll);
