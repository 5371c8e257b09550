/**
 * allow/deny for mail servers, evaluated as nginx's access modules do: per-family lists, first match,
 * `all`, `unix:`, IPv4-mapped clients.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AccessRule } from '../../../src/config/types.js';
import { ACCESS_FORBIDDEN_LOG, checkAccess, compileAccess } from '../../../src/net/access.js';

const allow = (match: string): AccessRule => ({ action: 'allow', match });
const deny = (match: string): AccessRule => ({ action: 'deny', match });

describe('allow and deny', () => {
  it('allows everyone when there are no rules', () => {
    assert.deepEqual(checkAccess(compileAccess([]), '192.0.2.1'), { allowed: true, rule: null });
    assert.deepEqual(checkAccess(compileAccess([]), 'unix:'), { allowed: true, rule: null });
  });

  it('takes the first matching rule, in order, and allows when none matches', () => {
    const rules = [deny('192.0.2.1/32'), allow('192.0.2.0/24'), deny('10.0.0.0/8')];
    const a = compileAccess(rules);
    assert.deepEqual(checkAccess(a, '192.0.2.1'), { allowed: false, rule: rules[0] });
    assert.deepEqual(checkAccess(a, '192.0.2.77'), { allowed: true, rule: rules[1] });
    assert.deepEqual(checkAccess(a, '10.9.8.7'), { allowed: false, rule: rules[2] });
    assert.deepEqual(checkAccess(a, '203.0.113.1'), { allowed: true, rule: null });
  });

  it('ends a list with deny all', () => {
    const rules = [allow('2001:db8::/32'), allow('127.0.0.0/8'), deny('all')];
    const a = compileAccess(rules);
    assert.equal(checkAccess(a, '2001:db8:1::5').allowed, true);
    assert.equal(checkAccess(a, '127.0.0.1').allowed, true);
    assert.deepEqual(checkAccess(a, '2001:db9::1'), { allowed: false, rule: rules[2] });
    assert.deepEqual(checkAccess(a, '192.0.2.1'), { allowed: false, rule: rules[2] });
    assert.deepEqual(checkAccess(a, 'unix:'), { allowed: false, rule: rules[2] });
  });

  it('matches UNIX-socket clients only with unix: and all', () => {
    const rules = [allow('unix:'), deny('all')];
    const a = compileAccess(rules);
    assert.deepEqual(checkAccess(a, 'unix:'), { allowed: true, rule: rules[0] });
    assert.deepEqual(checkAccess(a, 'unix:/run/x.sock'), { allowed: true, rule: rules[0] });
    assert.equal(checkAccess(a, '127.0.0.1').allowed, false);
    assert.equal(checkAccess(compileAccess([deny('unix:')]), '127.0.0.1').allowed, true);
  });

  it('keeps IPv4 and IPv6 rules apart: order only matters within a family', () => {
    const rules = [deny('::/0'), allow('192.0.2.0/24'), deny('0.0.0.0/0')];
    const a = compileAccess(rules);
    assert.deepEqual(checkAccess(a, '192.0.2.9'), { allowed: true, rule: rules[1] });
    assert.deepEqual(checkAccess(a, '2001:db8::1'), { allowed: false, rule: rules[0] });
  });

  it('checks an IPv4-mapped client against the IPv4 rules when there are any, else the IPv6 ones', () => {
    const v4rules = [allow('192.0.2.0/24'), deny('all')];
    assert.deepEqual(checkAccess(compileAccess(v4rules), '::ffff:192.0.2.5'), { allowed: true, rule: v4rules[0] });
    assert.equal(checkAccess(compileAccess(v4rules), '::ffff:198.51.100.5').allowed, false);
    const v6only = [deny('::ffff:0:0/96')];
    assert.deepEqual(checkAccess(compileAccess(v6only), '::ffff:192.0.2.5'), { allowed: false, rule: v6only[0] });
    assert.equal(checkAccess(compileAccess(v6only), '192.0.2.5').allowed, true);
  });

  it('denies an address it cannot read when rules exist, and logs nginx’s text', () => {
    assert.deepEqual(checkAccess(compileAccess([allow('all')]), 'not-an-ip'), { allowed: false, rule: null });
    assert.equal(ACCESS_FORBIDDEN_LOG, 'access forbidden by rule');
  });
});
