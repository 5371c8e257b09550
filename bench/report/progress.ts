/**
 * The live progress line on stderr: rewritten in place on a terminal, one line every few seconds
 * otherwise (CI logs), silent with --quiet.
 */

export class Progress {
  private lastLen = 0;
  private lastPrint = 0;
  private readonly tty: boolean;

  constructor(private readonly quiet: boolean) {
    this.tty = process.stderr.isTTY;
  }

  /** Replaces the live line. */
  update(text: string): void {
    if (this.quiet) return;
    if (this.tty) {
      const pad = Math.max(0, this.lastLen - text.length);
      process.stderr.write(`\r${text}${' '.repeat(pad)}`);
      this.lastLen = text.length;
      return;
    }
    const now = Date.now();
    if (now - this.lastPrint < 5_000) return;
    this.lastPrint = now;
    process.stderr.write(`${text}\n`);
  }

  /** A permanent line (a finished run, a warning), printed above the live line. */
  log(text: string): void {
    if (this.quiet) return;
    this.clear();
    process.stderr.write(`${text}\n`);
  }

  clear(): void {
    if (this.tty && this.lastLen > 0) {
      process.stderr.write(`\r${' '.repeat(this.lastLen)}\r`);
      this.lastLen = 0;
    }
  }
}
