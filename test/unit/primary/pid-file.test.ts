import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPidFile, removePidFile, touchPidFile, writePidFile } from '../../../src/primary/pid-file.js';

const dir = mkdtempSync(join(tmpdir(), 'postern-pid-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('pid file', () => {
  it('is written as "<pid>\\n", read back, and removed', () => {
    const p = join(dir, 'a.pid');
    writePidFile(p, 4242);
    assert.equal(readFileSync(p, 'latin1'), '4242\n');
    assert.equal(readPidFile(p), 4242);
    removePidFile(p);
    assert.equal(existsSync(p), false);
  });

  it('accepts CRLF endings and rejects anything but a positive number, as nginx does', () => {
    const p = join(dir, 'b.pid');
    writeFileSync(p, '77\r\n');
    assert.equal(readPidFile(p), 77);
    for (const bad of ['abc\n', '  12 \n', '', '0\n', '-3\n']) {
      writeFileSync(p, bad);
      assert.throws(() => readPidFile(p), { code: 'ERR_PID_FILE', message: `invalid PID number "${bad.replace(/\n$/, '')}" in "${p}"` });
    }
  });

  it('names a missing file in nginx\'s words', () => {
    const p = join(dir, 'none.pid');
    assert.throws(() => readPidFile(p), { message: `open() "${p}" failed (2: No such file or directory)` });
  });

  it('is created but not truncated by -t', () => {
    const p = join(dir, 'c.pid');
    touchPidFile(p);
    assert.equal(readFileSync(p, 'latin1'), '');
    writeFileSync(p, '5\n');
    touchPidFile(p);
    assert.equal(readFileSync(p, 'latin1'), '5\n');
  });
});
