import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { VERSION, versionLine } from '../../../src/cli/version.js';
import { resolvePaths } from '../../../src/cli/paths.js';

describe('version and paths', () => {
  it('keeps VERSION in step with package.json', () => {
    const url = new URL('../../../package.json', import.meta.url.replace('/build/test/', '/test/'));
    const pkg = JSON.parse(readFileSync(url, 'utf8')) as { version: string };
    assert.equal(VERSION, pkg.version);
    assert.equal(versionLine(), `postern version: postern/${pkg.version}\n`);
  });

  it('resolves -c and -e against the prefix, adding the prefix\'s slash', () => {
    assert.deepEqual(resolvePaths('/srv/postern', null, null), {
      prefix: '/srv/postern/',
      confFile: '/srv/postern/conf/postern.conf',
      errorLog: '/srv/postern/logs/error.log',
    });
    assert.deepEqual(resolvePaths('/srv/', '/etc/p.conf', 'stderr'), { prefix: '/srv/', confFile: '/etc/p.conf', errorLog: 'stderr' });
    assert.equal(resolvePaths(null, null, null).prefix, `${process.cwd()}/`);
  });
});
