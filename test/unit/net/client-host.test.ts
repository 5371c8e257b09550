import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ClientHostResolver,
  ptrName,
  resolveClientHost,
  type ClientHostResult,
} from '../../../src/net/client-host.js';
import { DNS_TYPE, RCODE, reverseName, startFakeDns, type DnsAnswer, type DnsQuestion, type FakeDns } from '../../helpers/fake-dns.js';

const B = (s: string): Buffer => Buffer.from(s, 'latin1');

/** What the fake DNS answers, by question; anything else is NXDOMAIN. */
const ZONE = new Map<string, DnsAnswer>([
  [`${reverseName('192.0.2.1')}/PTR`, { ptr: ['mail.client.example'] }],
  ['mail.client.example/A', { a: ['192.0.2.99', '192.0.2.1'] }],
  ['mail.client.example/AAAA', { rcode: RCODE.NOERROR }],
  [`${reverseName('192.0.2.2')}/PTR`, { rcode: RCODE.SERVFAIL }],
  [`${reverseName('192.0.2.3')}/PTR`, { drop: true }],
  [`${reverseName('192.0.2.4')}/PTR`, { ptr: ['under_score.example'] }],
  [`${reverseName('192.0.2.5')}/PTR`, { ptr: [[B('evil\r\nRCPT TO:<x>'), B('example')]] }],
  [`${reverseName('192.0.2.6')}/PTR`, { ptr: [[B('a b'), B('example')]] }],
  [`${reverseName('192.0.2.7')}/PTR`, { ptr: [[]] }],
  [`${reverseName('192.0.2.8')}/PTR`, { ptr: ['other.example'] }],
  ['other.example/A', { a: ['198.51.100.1'] }],
  ['other.example/AAAA', { aaaa: ['2001:db8::1'] }],
  [`${reverseName('192.0.2.9')}/PTR`, { ptr: ['gone.example'] }],
  [`${reverseName('192.0.2.10')}/PTR`, { ptr: ['flaky.example'] }],
  ['flaky.example/A', { rcode: RCODE.SERVFAIL }],
  ['flaky.example/AAAA', { rcode: RCODE.NOERROR }],
  [`${reverseName('192.0.2.11')}/PTR`, { rcode: RCODE.REFUSED }],
  [`${reverseName('192.0.2.12')}/PTR`, { rcode: RCODE.NOERROR }],
  [`${reverseName('2001:db8::7')}/PTR`, { ptr: ['v6.client.example'] }],
  ['v6.client.example/A', { rcode: RCODE.NOERROR }],
  ['v6.client.example/AAAA', { aaaa: ['2001:db8:0:0:0:0:0:7'] }],
]);

function answer(q: DnsQuestion): DnsAnswer {
  const type = q.type === DNS_TYPE.PTR ? 'PTR' : q.type === DNS_TYPE.A ? 'A' : q.type === DNS_TYPE.AAAA ? 'AAAA' : String(q.type);
  return ZONE.get(`${q.name}/${type}`) ?? { rcode: RCODE.NXDOMAIN };
}

let dns: FakeDns;
let resolver: ClientHostResolver;

before(async () => {
  dns = await startFakeDns(answer);
  resolver = new ClientHostResolver({ servers: [dns.address], timeoutMs: 300, ipv4: true, ipv6: true });
});

after(async () => {
  await dns.close();
});

function lookup(ip: string): Promise<ClientHostResult> {
  return resolveClientHost(resolver, { kind: 'tcp', address: ip });
}

const addrLog = (message: string): ClientHostResult['log'] => ({ level: 'error', message, action: 'in resolving client address' });
const nameLog = (message: string): ClientHostResult['log'] => ({ level: 'error', message, action: 'in resolving client hostname' });

describe('client host lookup (nginx resolver rules)', () => {
  it('gives [UNAVAILABLE] without a resolver and [TEMPUNAVAIL] for a unix-socket client', async () => {
    assert.deepEqual(await resolveClientHost(null, { kind: 'tcp', address: '192.0.2.1' }), { host: '[UNAVAILABLE]' });
    assert.deepEqual(await resolveClientHost(resolver, { kind: 'unix', address: '' }), { host: '[TEMPUNAVAIL]' });
  });

  it('returns the PTR name when its A records contain the client address', async () => {
    assert.deepEqual(await lookup('192.0.2.1'), { host: 'mail.client.example' });
  });

  it('confirms an IPv6 client against AAAA records, whatever the text form', async () => {
    assert.deepEqual(await lookup('2001:db8::7'), { host: 'v6.client.example' });
  });

  it('looks up a v4-mapped client as its IPv4 address', async () => {
    assert.deepEqual(await lookup('::ffff:192.0.2.1'), { host: 'mail.client.example' });
  });

  it('maps NXDOMAIN to [UNAVAILABLE] with nginx ERR text', async () => {
    assert.deepEqual(await lookup('192.0.2.200'), {
      host: '[UNAVAILABLE]',
      log: addrLog('192.0.2.200 could not be resolved (3: Host not found)'),
    });
  });

  it('maps a PTR question without answers to [UNAVAILABLE]', async () => {
    assert.deepEqual(await lookup('192.0.2.12'), {
      host: '[UNAVAILABLE]',
      log: addrLog('192.0.2.12 could not be resolved (3: Host not found)'),
    });
  });

  it('maps SERVFAIL and REFUSED to [TEMPUNAVAIL]', async () => {
    assert.deepEqual(await lookup('192.0.2.2'), {
      host: '[TEMPUNAVAIL]',
      log: addrLog('192.0.2.2 could not be resolved (2: Server failure)'),
    });
    assert.deepEqual(await lookup('192.0.2.11'), {
      host: '[TEMPUNAVAIL]',
      log: addrLog('192.0.2.11 could not be resolved (5: Operation refused)'),
    });
  });

  it('maps a timeout to [TEMPUNAVAIL]', async () => {
    assert.deepEqual(await lookup('192.0.2.3'), {
      host: '[TEMPUNAVAIL]',
      log: addrLog('192.0.2.3 could not be resolved (110: Operation timed out)'),
    });
  });

  it('refuses PTR names outside [A-Za-z0-9.-] and empty ones with [TEMPUNAVAIL] (CVE-2026-28753)', async () => {
    assert.deepEqual(await lookup('192.0.2.4'), {
      host: '[TEMPUNAVAIL]',
      log: addrLog('192.0.2.4 resolved to invalid host name "under_score.example"'),
    });
    const crlf = await lookup('192.0.2.5');
    assert.equal(crlf.host, '[TEMPUNAVAIL]');
    // the resolver library shows unusual bytes escaped, so no raw CR or LF reaches the log line
    assert.equal(crlf.log?.message, '192.0.2.5 resolved to invalid host name "evil\\013\\010RCPT TO:<x>.example"');
    assert.equal((await lookup('192.0.2.6')).host, '[TEMPUNAVAIL]');
    assert.deepEqual(await lookup('192.0.2.7'), {
      host: '[TEMPUNAVAIL]',
      log: addrLog('192.0.2.7 resolved to invalid host name ""'),
    });
  });

  it('gives [UNAVAILABLE] without a log line when the name does not point back at the client', async () => {
    assert.deepEqual(await lookup('192.0.2.8'), { host: '[UNAVAILABLE]' });
  });

  it('gives [UNAVAILABLE] when the name has no addresses, with the name in the log', async () => {
    assert.deepEqual(await lookup('192.0.2.9'), {
      host: '[UNAVAILABLE]',
      log: nameLog('"gone.example" could not be resolved (3: Host not found)'),
    });
  });

  it('gives [TEMPUNAVAIL] when the forward lookup fails temporarily', async () => {
    assert.deepEqual(await lookup('192.0.2.10'), {
      host: '[TEMPUNAVAIL]',
      log: nameLog('"flaky.example" could not be resolved (2: Server failure)'),
    });
  });

  it('asks only for the record types the resolver enables', async () => {
    const v4only = new ClientHostResolver({ servers: [dns.address], timeoutMs: 300, ipv4: true, ipv6: false });
    const before = dns.questions.length;
    assert.deepEqual(await v4only.lookup('192.0.2.1'), { host: 'mail.client.example' });
    const asked = dns.questions.slice(before).map((q) => q.type);
    assert.deepEqual(asked.sort(), [DNS_TYPE.A, DNS_TYPE.PTR].sort());
  });

  it('builds reverse names for IPv4 and IPv6', () => {
    assert.equal(ptrName('192.0.2.1'), '1.2.0.192.in-addr.arpa');
    assert.equal(ptrName('2001:db8::1'), `1${'.0'.repeat(23)}.8.b.d.0.1.0.0.2.ip6.arpa`);
    assert.equal(ptrName('::ffff:192.0.2.1'), ptrName('0:0:0:0:0:ffff:c000:201'));
  });
});
