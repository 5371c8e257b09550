import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogSystem } from '../../../src/log/logger.js';
import { ConfigError } from '../../../src/errors.js';
import type { ErrorLogConfig, LogLevel } from '../../../src/config/types.js';
import type { SessionLogContext } from '../../../src/log/types.js';

const dir = `${mkdtempSync(join(tmpdir(), 'postern-log-'))}/`;
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, level: LogLevel): ErrorLogConfig {
  return { target: { kind: 'file', path: name }, level, source: null };
}

function read(name: string): string {
  return existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8') : '';
}

const LINE = /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[(\w+)\] (\d+)#\2: (.*)$/;

describe('LogSystem', () => {
  it('writes a level and everything more severe, nothing less severe', () => {
    const logs = new LogSystem({ format: 'nginx', prefix: dir });
    const log = logs.logger([file('levels.log', 'warn')]);
    for (const level of ['debug', 'info', 'notice', 'warn', 'error', 'crit', 'alert', 'emerg'] as const) log.log(level, `at ${level}`);
    logs.close();
    const levels = read('levels.log').trimEnd().split('\n').map((l) => LINE.exec(l)?.[1]);
    assert.deepEqual(levels, ['warn', 'error', 'crit', 'alert', 'emerg']);
    assert.equal(LINE.exec(read('levels.log').split('\n')[0]!)?.[2], String(process.pid));
    assert.equal(log.enabled('warn'), true);
    assert.equal(log.enabled('notice'), false);
  });

  it('writes each line to every error_log whose level admits it', () => {
    const logs = new LogSystem({ format: 'nginx', prefix: dir });
    const log = logs.logger([file('a.log', 'info'), file('b.log', 'error')]);
    log.info('an info line');
    log.error('an error line');
    logs.close();
    assert.deepEqual(read('a.log').trimEnd().split('\n').map((l) => LINE.exec(l)?.[3]), ['an info line', 'an error line']);
    assert.deepEqual(read('b.log').trimEnd().split('\n').map((l) => LINE.exec(l)?.[3]), ['an error line']);
  });

  it('shares one file between loggers and writes a line once when two error_logs name it', () => {
    const logs = new LogSystem({ format: 'nginx', prefix: dir });
    const main = logs.logger([file('shared.log', 'notice')]);
    const srv = logs.logger([file('shared.log', 'info'), file('shared.log', 'error')]);
    main.notice('from main');
    srv.info('from server');
    logs.close();
    assert.deepEqual(read('shared.log').trimEnd().split('\n').map((l) => LINE.exec(l)?.[3]), ['from main', 'from server']);
  });

  it('reports a file it cannot open with nginx\'s text', () => {
    const logs = new LogSystem({ format: 'nginx', prefix: dir });
    assert.throws(() => logs.logger([file('missing/dir/x.log', 'error')]), (err: unknown) =>
      err instanceof ConfigError && err.message === `open() "${dir}missing/dir/x.log" failed (2: No such file or directory)`);
  });

  it('reopens a file that was moved away', () => {
    const logs = new LogSystem({ format: 'nginx', prefix: dir });
    const log = logs.logger([file('rot.log', 'info')]);
    log.info('before');
    renameSync(join(dir, 'rot.log'), join(dir, 'rot.log.1'));
    log.info('still old');
    assert.deepEqual(logs.reopen(), []);
    log.info('after');
    logs.close();
    assert.match(read('rot.log.1'), /before\n.*still old\n$/);
    assert.match(read('rot.log'), /^[^\n]*\] \d+#\d+: after\n$/);
  });

  it('writes pino JSON lines with nginx level names and the mail context as fields', () => {
    const logs = new LogSystem({ format: 'json', prefix: dir, bindings: { role: 'worker', wid: 1 } });
    const ctx: SessionLogContext = { cid: 9, protocol: 'smtp', client: '192.0.2.1', server: '0.0.0.0:25', usingStarttls: false, login: 'bob', upstream: null };
    logs.logger([file('j.log', 'info')]).notice('client logged in', { ctx, action: 'in auth state', fields: { bytesIn: 10 } });
    logs.close();
    const obj = JSON.parse(read('j.log')) as Record<string, unknown>;
    assert.equal(typeof obj['time'], 'string');
    delete obj['time'];
    assert.deepEqual(obj, {
      level: 'notice', pid: process.pid, role: 'worker', wid: 1, cid: 9, proto: 'smtp', client: '192.0.2.1',
      server: '0.0.0.0:25', login: 'bob', action: 'in auth state', bytesIn: 10, msg: 'client logged in',
    });
  });

  it('never writes a password given to a session call, in either format, at any level', () => {
    const secret = 'Tr0ub4dor&3-secret';
    for (const format of ['nginx', 'json'] as const) {
      const name = `secret-${format}.log`;
      const logs = new LogSystem({ format, prefix: dir });
      const log = logs.logger([file(name, 'debug')]);
      const ctx: SessionLogContext = { cid: 1, protocol: 'imap', client: '192.0.2.9', server: '0.0.0.0:143', usingStarttls: false, login: 'carol', upstream: null };
      for (const level of ['debug', 'info', 'error', 'emerg'] as const) {
        log.log(level, 'client login failed', { ctx, fields: { password: secret, pass: secret, authPass: secret, saslResponse: secret } });
      }
      logs.close();
      const text = read(name);
      assert.equal(text.trimEnd().split('\n').length, 4);
      assert.equal(text.includes(secret), false, `${format} output holds the password`);
      assert.match(text, /carol/);
    }
  });
});
