/**
 * Writing to the terminal as nginx does: every message on stderr prefixed `postern: ` (nginx's
 * `nginx: `), only the `-T` dump on stdout. Synchronous, so lines are out before the process exits.
 */
import { writeSync } from 'node:fs';
import { PROGRAM_NAME } from '../log/logger.js';

function writeAll(fd: number, text: string): void {
  const buf = Buffer.from(text);
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
    }
  }
}

/** `postern: <message>\n` on stderr */
export function say(message: string): void {
  writeAll(2, `${PROGRAM_NAME}: ${message}\n`);
}

export function stderrRaw(text: string): void {
  writeAll(2, text);
}

export function stdoutRaw(text: string): void {
  writeAll(1, text);
}
