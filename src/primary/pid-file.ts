/**
 * The pid file (nginx: ngx_create_pidfile, ngx_delete_pidfile, ngx_signal_process): written once every
 * listener accepts connections, removed at exit, read by `-s`.
 *
 * Owns: its format (`<pid>\n`), nginx's messages about it, and which file the primary wrote (a reload
 * with a new `pid` path moves it; exit removes it).
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { ProxyError } from '../errors.js';
import { errnoSuffix } from '../errno.js';

export function writePidFile(path: string, pid: number = process.pid): void {
  try {
    writeFileSync(path, `${pid}\n`);
  } catch (err) {
    throw new ProxyError('ERR_PID_FILE', `open() "${path}" failed${errnoSuffix(err)}`);
  }
}

/** `-t`: nginx opens (creates) the pid file without writing it, to prove it can. */
export function touchPidFile(path: string): void {
  try {
    closeSync(openSync(path, 'a'));
  } catch (err) {
    throw new ProxyError('ERR_PID_FILE', `open() "${path}" failed${errnoSuffix(err)}`);
  }
}

export function removePidFile(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // nginx logs unlink() failures at alert; a missing file at exit is not worth a line
  }
}

/** Reads the pid as `-s` does: trailing CR/LF trimmed, then a positive decimal integer or an error. */
export function readPidFile(path: string): number {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (err) {
    throw new ProxyError('ERR_PID_FILE', `open() "${path}" failed${errnoSuffix(err)}`);
  }
  const trimmed = text.replace(/[\r\n]+$/, '');
  if (!/^[0-9]+$/.test(trimmed) || Number(trimmed) <= 0 || !Number.isSafeInteger(Number(trimmed))) {
    throw new ProxyError('ERR_PID_FILE', `invalid PID number "${trimmed}" in "${path}"`);
  }
  return Number(trimmed);
}

/** The pid file a running primary wrote. */
export class OwnPidFile {
  private path: string | null = null;

  /** Write it once every listener accepts connections; throws ProxyError(ERR_PID_FILE). */
  write(path: string): void {
    writePidFile(path);
    this.path = path;
  }

  /**
   * Reload with a different `pid` path: write the new file, then remove the old one. Throws
   * ProxyError(ERR_PID_FILE) and keeps the old one when the new one cannot be written.
   */
  move(path: string): void {
    const old = this.path;
    if (old === null || old === path) return;
    writePidFile(path);
    this.path = path;
    removePidFile(old);
  }

  /** Exit. */
  remove(): void {
    if (this.path !== null) removePidFile(this.path);
  }
}
