import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../../../src/errors.js';
import { loadConfig } from '../../../src/config/load.js';
import { fakeLookup, loadError, loadText, MACHINE, mailConf, tempConf } from './load-text.js';

describe('loadConfig', () => {
  it("gives nginx's main-level defaults (postern's file names)", async () => {
    const t = tempConf('events {}\n');
    try {
      const r = await t.load();
      const c = r.config;
      assert.equal(c.prefix, t.dir);
      assert.equal(c.confFile, t.confFile);
      assert.deepEqual(c.files, [{ path: t.confFile, text: 'events {}\n' }]);
      assert.equal(c.workerProcesses, 1);
      assert.equal(c.workerConnections, 512);
      assert.equal(c.acceptPolicy, 'shared');
      assert.equal(c.pidFile, `${t.dir}logs/postern.pid`);
      assert.equal(c.daemon, true);
      assert.equal(c.masterProcess, true);
      assert.equal(c.workerShutdownTimeoutMs, null);
      assert.equal(c.workerRlimitNofile, null);
      assert.equal(c.user, null);
      assert.deepEqual(c.errorLogs, [
        { target: { kind: 'file', path: `${t.dir}logs/error.log` }, level: 'error', source: null },
      ]);
      assert.equal(c.logFormat, 'nginx');
      assert.deepEqual(c.debugConnection, []);
      assert.deepEqual(c.status, { listen: null, access: [] });
      assert.deepEqual(c.ignored, []);
      assert.equal(c.mail, null);
      assert.deepEqual(r.warnings, []);
    } finally {
      t.cleanup();
    }
  });

  it('reads every main and events directive into MainConfig', async () => {
    const text = [
      'worker_processes auto;',
      'daemon off;',
      'master_process off;',
      'pid /run/p.pid;',
      'worker_shutdown_timeout 30s;',
      'worker_rlimit_nofile 4096;',
      'user mail;',
      'error_log stderr info;',
      'error_log syslog:server=127.0.0.1:5514,facility=mail,severity=warn,tag=pm,nohostname;',
      'error_log_format json;',
      'status_listen 127.0.0.1:9100;',
      'status_allow 127.0.0.1;',
      'status_deny all;',
      'events {',
      '    worker_connections 100;',
      '    accept_policy least_conn;',
      '    debug_connection 10.0.0.0/8;',
      '    debug_connection dual.test;',
      '}',
    ].join('\n');
    const r = await loadText(`${text}\n`);
    const c = r.config;
    assert.equal(c.workerProcesses, 4);
    assert.deepEqual(
      [c.daemon, c.masterProcess, c.pidFile, c.workerShutdownTimeoutMs, c.workerRlimitNofile],
      [false, false, '/run/p.pid', 30_000, 4096],
    );
    assert.deepEqual(c.user, { user: 'mail', group: 'mail' });
    assert.deepEqual(
      c.errorLogs.map((l) => ({ ...l, source: l.source?.line })),
      [
        { target: { kind: 'stderr' }, level: 'info', source: 8 },
        {
          target: {
            kind: 'syslog',
            server: '127.0.0.1:5514',
            facility: 'mail',
            severity: 'warn',
            tag: 'pm',
            nohostname: true,
          },
          level: 'error',
          source: 9,
        },
      ],
    );
    assert.equal(c.logFormat, 'json');
    assert.deepEqual(c.status, {
      listen: { host: '127.0.0.1', port: 9100 },
      access: [
        { action: 'allow', match: '127.0.0.1/32' },
        { action: 'deny', match: 'all' },
      ],
    });
    assert.equal(c.workerConnections, 100);
    assert.equal(c.acceptPolicy, 'least_conn');
    assert.deepEqual(c.debugConnection, ['10.0.0.0/8', '192.0.2.1/32', '2001:db8::1/128']);
  });

  it('records accepted-but-ignored directives with where they were written', async () => {
    const text =
      'env TZ;\nworker_priority 5;\ntimer_resolution 10ms;\nevents {\n    use epoll;\n    multi_accept on;\n}\n';
    const r = await loadText(text, {});
    assert.deepEqual(
      r.config.ignored.map((i) => [i.name, i.source.line]),
      [
        ['env', 1],
        ['worker_priority', 2],
        ['timer_resolution', 3],
        ['use', 5],
        ['multi_accept', 6],
      ],
    );
    const m = await loadText(
      mailConf('        proxy on;\n        ssl_conf_command Options -SessionTicket;\n'),
    );
    assert.deepEqual(
      m.config.ignored.map((i) => i.name),
      ['proxy', 'ssl_conf_command'],
    );
  });

  it('records -g directives as ignored from the command line', async () => {
    const t = tempConf('events {}\n');
    try {
      const r = await t.load('load_module modules/ngx_mail_module.so; daemon off;');
      assert.deepEqual(r.config.ignored, [
        { name: 'load_module', source: { file: 'command line', line: 1 } },
      ]);
      assert.equal(r.config.daemon, false);
    } finally {
      t.cleanup();
    }
  });

  it('parses -g first: the same directive in the file is a duplicate', async () => {
    assert.equal(
      await loadError('daemon on;\nevents {}\n', {}, 'daemon off;'),
      '"daemon" directive is duplicate in P/nginx.conf:1',
    );
    assert.equal(
      await loadError('events {}\n', {}, 'pid a; pid b;'),
      '"pid" directive is duplicate in command line',
    );
    assert.equal(await loadError('events {}\n', {}, 'bogus;'), 'unknown directive "bogus" in command line');
  });

  it('resolves -c against the prefix, includes and certificates against the config directory, pid and logs against the prefix', async () => {
    const prefix = mkdtempSync(join(tmpdir(), 'postern-unit-'));
    try {
      mkdirSync(join(prefix, 'conf', 'inc'), { recursive: true });
      writeFileSync(
        join(prefix, 'conf', 'main.conf'),
        `pid run/p.pid;\nerror_log logs/e.log;\ninclude inc/ev.conf;\n${mailConf('        listen 127.0.0.1:10993 ssl;\n        ssl_certificate c.pem;\n        ssl_certificate_key k.pem;\n        error_log s.log;\n').replace('events {}\n', '')}`,
      );
      writeFileSync(join(prefix, 'conf', 'inc', 'ev.conf'), 'events {}\n');
      const r = await loadConfig({
        confFile: 'conf/main.conf',
        prefix,
        globalDirectives: null,
        lookup: fakeLookup,
        machine: MACHINE,
      });
      const c = r.config;
      assert.equal(c.prefix, `${prefix}/`);
      assert.equal(c.confFile, join(prefix, 'conf', 'main.conf'));
      assert.equal(c.pidFile, join(prefix, 'run', 'p.pid'));
      assert.deepEqual(c.errorLogs[0]?.target, { kind: 'file', path: join(prefix, 'logs', 'e.log') });
      assert.deepEqual(
        c.files.map((f) => f.path),
        [join(prefix, 'conf', 'main.conf'), join(prefix, 'conf', 'inc', 'ev.conf')],
      );
      const s = c.mail?.servers[0];
      assert.ok(s !== undefined);
      assert.deepEqual(s.ssl.certificates, [
        { certificate: join(prefix, 'conf', 'c.pem'), key: join(prefix, 'conf', 'k.pem') },
      ]);
      assert.deepEqual(s.errorLogs[0]?.target, { kind: 'file', path: join(prefix, 's.log') });
    } finally {
      rmSync(prefix, { recursive: true, force: true });
    }
  });

  it('rejects a missing main file with ERR_CONFIG_FILE and no location', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'postern-unit-'));
    try {
      await assert.rejects(
        loadConfig({ confFile: 'none.conf', prefix: dir, globalDirectives: null }),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError);
          assert.equal(err.code, 'ERR_CONFIG_FILE');
          assert.equal(err.toString(), `open() "${dir}/none.conf" failed (2: No such file or directory)`);
          assert.equal(err.file, null);
          return true;
        },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a missing include as ERR_CONFIG_FILE at the include line', async () => {
    const t = tempConf('events {}\ninclude none.conf;\n');
    try {
      await assert.rejects(t.load(), (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.code, 'ERR_CONFIG_FILE');
        assert.deepEqual([err.file, err.line], [t.confFile, 2]);
        return true;
      });
    } finally {
      t.cleanup();
    }
  });

  it('reports syntax errors as ERR_CONFIG_SYNTAX with file and line', async () => {
    const t = tempConf('events {}\nfoo;\n');
    try {
      await assert.rejects(t.load(), (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.code, 'ERR_CONFIG_SYNTAX');
        assert.deepEqual([err.message, err.file, err.line], ['unknown directive "foo"', t.confFile, 2]);
        return true;
      });
    } finally {
      t.cleanup();
    }
  });

  it('reports the first error in file order, as nginx meets them', async () => {
    assert.equal(
      await loadError('events {}\nworker_processes x;\npid "a"b;\n'),
      '"worker_processes" directive invalid value in P/nginx.conf:2',
    );
    assert.equal(
      await loadError('events {}\npid "a"b;\nworker_processes x;\n'),
      'unexpected "b" in P/nginx.conf:2',
    );
    assert.equal(await loadError('events {\n    bogus;\n'), 'unknown directive "bogus" in P/nginx.conf:2');
  });

  it('names the directive line: the line its ; or { is on', async () => {
    assert.equal(
      await loadError('events {}\nworker_processes\n\n  x\n;\n'),
      '"worker_processes" directive invalid value in P/nginx.conf:5',
    );
  });

  it('refuses http{} and stream{} blocks', async () => {
    assert.equal(
      await loadError('events {}\nhttp {\n}\n'),
      'the "http" module is not supported by postern in P/nginx.conf:2',
    );
  });

  it('keeps nginx\'s block checks: no opening "{", not terminated by ";", arguments to a block', async () => {
    assert.equal(await loadError('events;\n'), 'directive "events" has no opening "{" in P/nginx.conf:1');
    assert.equal(
      await loadError('events {}\npid x {\n}\n'),
      'directive "pid" is not terminated by ";" in P/nginx.conf:2',
    );
    assert.equal(
      await loadError('events x {\n}\n'),
      'invalid number of arguments in "events" directive in P/nginx.conf:1',
    );
    assert.equal(
      await loadError('events {}\nmail {\n}\nmail {\n}\n'),
      '"mail" directive is duplicate in P/nginx.conf:4',
    );
  });

  it('says "not allowed here" for names nginx knows in other contexts, "unknown" for the rest', async () => {
    assert.equal(
      await loadError('events {}\nallow all;\n'),
      '"allow" directive is not allowed here in P/nginx.conf:2',
    );
    assert.equal(
      await loadError('events {}\nproxy_pass http://x;\n'),
      '"proxy_pass" directive is not allowed here in P/nginx.conf:2',
    );
    assert.equal(
      await loadError('events {}\nproxy_passs x;\n'),
      'unknown directive "proxy_passs" in P/nginx.conf:2',
    );
  });

  it('mirrors load_module ordering: too late after a block', async () => {
    assert.equal(
      await loadError('events {}\nload_module x.so;\n'),
      '"load_module" directive is specified too late in P/nginx.conf:2',
    );
    await loadText('load_module x.so;\nevents {}\n');
  });

  it('warns and ignores `user` when not running as root', async () => {
    const t = tempConf('user nobody;\nevents {}\n');
    try {
      const r = await loadConfig({
        confFile: t.confFile,
        prefix: t.dir,
        globalDirectives: null,
        lookup: fakeLookup,
        machine: { ...MACHINE, isRoot: false },
      });
      assert.equal(r.config.user, null);
      assert.deepEqual(r.warnings, [
        {
          level: 'warn',
          message:
            'the "user" directive makes sense only if the master process runs with super-user privileges, ignored',
          source: { file: t.confFile, line: 1 },
        },
      ]);
    } finally {
      t.cleanup();
    }
  });

  it('warns about low address bits, and about affinity masks that do not match the workers', async () => {
    const r = await loadText(
      'worker_processes 3;\nworker_cpu_affinity 01 10;\nevents {\n    debug_connection 10.1.0.0/8;\n}\n',
    );
    assert.deepEqual(
      r.warnings.map((w) => [w.message, w.source?.line ?? null]),
      [
        ['low address bits of 10.1.0.0/8 are meaningless', 4],
        [
          'the number of "worker_processes" is not equal to the number of "worker_cpu_affinity" masks, using last mask for remaining worker processes',
          null,
        ],
      ],
    );
  });

  it('reports -g warnings without a file', async () => {
    const t = tempConf('events {}\n');
    try {
      const r = await loadConfig({
        confFile: t.confFile,
        prefix: t.dir,
        globalDirectives: 'user nobody;',
        lookup: fakeLookup,
        machine: { ...MACHINE, isRoot: false },
      });
      assert.deepEqual(
        r.warnings.map((w) => [w.message.endsWith('ignored in command line'), w.source]),
        [[true, null]],
      );
    } finally {
      t.cleanup();
    }
  });

  it('uses this machine when no facts are given (CPU count, host name)', async () => {
    const t = tempConf(mailConf('', '', 'worker_processes auto;\n'));
    try {
      const r = await loadConfig({ confFile: t.confFile, prefix: t.dir, globalDirectives: null });
      assert.ok(r.config.workerProcesses >= 1);
      const name = r.config.mail?.servers[0]?.serverName ?? '';
      assert.equal(name, name.toLowerCase());
      assert.ok(name.length > 0);
    } finally {
      t.cleanup();
    }
  });
});
