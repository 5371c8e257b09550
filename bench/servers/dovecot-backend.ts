/**
 * `--backend dovecot`: a private Dovecot (test/helpers/dovecot.ts) serves IMAP and POP3 for realistic
 * runs; SMTP still goes to the fake backend (Dovecot is not an SMTP server). Users bench0..bench7,
 * each with the relay message in INBOX. Dovecot's own CPU is not tracked (its processes come and go).
 */
import { startDovecot } from '../../test/helpers/dovecot.js';
import { benchMessage } from './message.js';
import { startFakeBackend, type Backend } from './launch.js';

const USERS = 8;

export async function startDovecotBackend(o: { messageBytes: number }): Promise<Backend> {
  const users = Array.from({ length: USERS }, (_, i) => ({
    user: `bench${i}`,
    password: `bench-password-${i}`,
  }));
  const dovecot = await startDovecot({ users });
  const message = benchMessage(o.messageBytes);
  for (const u of users) dovecot.deliver(u.user, message);
  const smtp = await startFakeBackend({ procs: 1, messageBytes: 1024 });
  return {
    kind: 'dovecot',
    ports: { imap: dovecot.imapPort, pop3: dovecot.pop3Port, smtp: smtp.ports.smtp },
    users,
    pids: () => smtp.pids(),
    stop: async () => {
      await smtp.stop();
      await dovecot.stop();
    },
  };
}
