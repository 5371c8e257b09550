import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs } from '../../../src/cli/args.js';

function ok(argv: string[]) {
  const r = parseArgs(argv);
  assert.ok(r.ok, `expected ${argv.join(' ')} to parse`);
  return r.options;
}

describe('parseArgs', () => {
  it('accepts bundled flags as nginx does', () => {
    const o = ok(['-tq']);
    assert.deepEqual([o.testConfig, o.quiet, o.dumpConfig], [true, true, false]);
    const t = ok(['-qT']);
    assert.deepEqual([t.testConfig, t.dumpConfig, t.quiet], [true, true, true]);
  });

  it('takes a value attached or as the next argument, and the value ends the bundle', () => {
    assert.equal(ok(['-c/etc/x.conf']).confFile, '/etc/x.conf');
    assert.equal(ok(['-c', 'conf/y.conf']).confFile, 'conf/y.conf');
    const o = ok(['-tp', '/srv/']);
    assert.deepEqual([o.testConfig, o.prefix], [true, '/srv/']);
    assert.equal(ok(['-ctq']).confFile, 'tq');
    assert.equal(ok(['-g', 'worker_processes 2;']).globalDirectives, 'worker_processes 2;');
    assert.equal(ok(['-e', 'stderr']).errorLog, 'stderr');
  });

  it('maps -h, -?, -v and -V to the version and help switches', () => {
    assert.deepEqual([ok(['-h']).showHelp, ok(['-h']).showVersion], [true, true]);
    assert.equal(ok(['-?']).showHelp, true);
    assert.deepEqual([ok(['-v']).showVersion, ok(['-v']).showConfigure], [true, false]);
    assert.deepEqual([ok(['-V']).showVersion, ok(['-V']).showConfigure], [true, true]);
  });

  it('accepts the four -s signals and rejects any other', () => {
    for (const s of ['stop', 'quit', 'reopen', 'reload']) assert.equal(ok(['-s', s]).signal, s);
    assert.equal(ok(['-sreload']).signal, 'reload');
    assert.deepEqual(parseArgs(['-s', 'restart']), { ok: false, message: 'invalid option: "-s restart"' });
  });

  it('reports unknown flags, bare words and missing values in nginx\'s words', () => {
    assert.deepEqual(parseArgs(['-x']), { ok: false, message: 'invalid option: "x"' });
    assert.deepEqual(parseArgs(['-tZ']), { ok: false, message: 'invalid option: "Z"' });
    assert.deepEqual(parseArgs(['stop']), { ok: false, message: 'invalid option: "stop"' });
    assert.deepEqual(parseArgs(['-c']), { ok: false, message: 'option "-c" requires file name' });
    assert.deepEqual(parseArgs(['-p']), { ok: false, message: 'option "-p" requires directory name' });
    assert.deepEqual(parseArgs(['-e']), { ok: false, message: 'option "-e" requires file name' });
    assert.deepEqual(parseArgs(['-g']), { ok: false, message: 'option "-g" requires parameter' });
    assert.deepEqual(parseArgs(['-s']), { ok: false, message: 'option "-s" requires parameter' });
  });

  it('leaves everything off for an empty command line', () => {
    const o = ok([]);
    assert.deepEqual(o, {
      showHelp: false, showVersion: false, showConfigure: false, testConfig: false, dumpConfig: false, quiet: false,
      signal: null, prefix: null, errorLog: null, confFile: null, globalDirectives: null,
    });
  });
});
