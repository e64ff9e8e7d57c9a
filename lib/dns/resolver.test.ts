/**
 * The verification resolver against a real DNS server on 127.0.0.1, and the configuration that
 * points it there (PEC_DNS_SERVERS, PEC_MX_HOSTNAME).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ConfigError, loadConfig } from '@/lib/config';
import { recordsToPublish } from './records';
import { createDnsResolver } from './resolver';
import { startTestDnsServer, type TestDnsServer } from './testing';
import { checkDomainDns } from './verify';

let dns: TestDnsServer;
before(async () => {
  dns = await startTestDnsServer();
});
after(() => dns?.stop());

test('configuration: DNS servers list and MX host name (default mx.<PEC_MAIL_DOMAIN>); bad server list names the variable', () => {
  const c = loadConfig({ PEC_DNS_SERVERS: '127.0.0.1:5353, 192.0.2.53', PEC_MAIL_DOMAIN: 'pec.gestore.it' });
  assert.deepEqual(c.dns, { servers: ['127.0.0.1:5353', '192.0.2.53'], mxHostname: 'mx.pec.gestore.it' });
  assert.deepEqual(loadConfig({}).dns.servers, []);
  assert.throws(() => loadConfig({ PEC_DNS_SERVERS: 'dns.google' }), (e: unknown) => e instanceof ConfigError && e.variable === 'PEC_DNS_SERVERS');
});

test('TXT split in chunks is joined; token accepted on the domain itself too; unknown domain → every record missing', async () => {
  const resolver = createDnsResolver([dns.address], { timeoutMs: 1000, tries: 1 });
  const token = 'abcDEF123_-xyz';
  const [mx, spf] = recordsToPublish('pec.split.test', token, 'mx.noi.test');
  // a long TXT published as two character-strings, and the token on the apex
  dns.zone.set('pec.split.test', {
    mx: [{ exchange: mx.value, priority: 10 }],
    txt: [[spf.value.slice(0, 10), spf.value.slice(10)], `pec-verification=${token}`],
  });
  assert.deepEqual(await checkDomainDns(resolver, 'pec.split.test', { token, mxHostname: 'mx.noi.test' }), []);
  const missing = await checkDomainDns(resolver, 'assente.test', { token, mxHostname: 'mx.noi.test' });
  assert.deepEqual(missing.map((p) => p.code).sort(), ['mx_missing', 'spf_missing', 'verification_missing']);
});

test('a server that does not answer is a dns_error, not a missing record', async () => {
  // nothing listens on this loopback port: the resolver times out or is refused
  const resolver = createDnsResolver(['127.0.0.1:9'], { timeoutMs: 300, tries: 1 });
  const problems = await checkDomainDns(resolver, 'pec.split.test', { token: 'x', mxHostname: 'mx.noi.test' });
  assert.ok(problems.some((p) => p.code === 'dns_error'), JSON.stringify(problems));
  assert.ok(!problems.some((p) => p.code === 'mx_missing'));
});
