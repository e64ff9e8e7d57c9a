/**
 * Domains against a real database and a real DNS server on 127.0.0.1: adding (who may add what),
 * "Verifica" with real lookups through a resolver pointed at the local server, and the periodic
 * re-check flagging a domain whose records broke (and recording it in the audit trail).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { executeAction } from '@/lib/audit/action';
import { startTestDatabase, type TestDatabase } from '@/lib/db/testing';
import { recheckDomains, type DnsCheckDeps } from '@/lib/dns/domain-check';
import { recordsToPublish } from '@/lib/dns/records';
import { createDnsResolver } from '@/lib/dns/resolver';
import { startTestDnsServer, type TestDnsServer } from '@/lib/dns/testing';
import { loadActor, type Actor } from '@/lib/permissions';
import { createTenantFixture, type TenantFixture } from '@/lib/testing/tenants';
import { addDomainSpec, updateDomainLimitSpec, verifyDomainSpec } from './specs';

let db: TestDatabase;
let dns: TestDnsServer;
let f: TenantFixture;
let deps: DnsCheckDeps;
const actors = {} as Record<keyof TenantFixture['users'], Actor>;
const ctx = { ip: '192.0.2.8' };
const mxHostname = 'mx.gestore.test';

before(async () => {
  [db, dns] = await Promise.all([startTestDatabase(), startTestDnsServer()]);
  f = await createTenantFixture(db.prisma);
  for (const key of Object.keys(f.users) as (keyof TenantFixture['users'])[]) actors[key] = (await loadActor(db.prisma, f.users[key].id))!;
  deps = { resolver: createDnsResolver([dns.address], { timeoutMs: 1000, tries: 1 }), mxHostname };
});
after(async () => {
  await db?.stop();
  await dns?.stop();
});

function publish(domain: string, token: string) {
  for (const r of recordsToPublish(domain, token, mxHostname)) {
    const entry = dns.zone.get(r.name) ?? {};
    if (r.type === 'MX') entry.mx = [{ exchange: r.value, priority: r.priority ?? 10 }];
    else entry.txt = [...(entry.txt ?? []), r.value];
    dns.zone.set(r.name, entry);
  }
}

test('who may add which domain: shared ones only the provider, company ones admins of the scope', async () => {
  const shared = await executeAction(addDomainSpec, actors.resellerA, { name: 'pec.rivenditore.test', kind: 'PROVIDER_SHARED', organizationId: f.providerId }, ctx, db.prisma);
  assert.equal(!shared.ok && shared.error, 'not_found');
  const foreign = await executeAction(addDomainSpec, actors.resellerA, { name: 'pec.b2.test', kind: 'COMPANY', organizationId: f.companyB }, ctx, db.prisma);
  assert.equal(!foreign.ok && foreign.error, 'not_found');
  const auditor = await executeAction(addDomainSpec, actors.auditorA, { name: 'pec.a9.test', kind: 'COMPANY', organizationId: f.companyA }, ctx, db.prisma);
  assert.equal(!auditor.ok && auditor.error, 'not_found');
  const bad = await executeAction(addDomainSpec, actors.companyA, { name: 'not a domain', kind: 'COMPANY', organizationId: f.companyA }, ctx, db.prisma);
  assert.equal(!bad.ok && bad.fieldErrors?.name, 'domains.badName');
  const providerShared = await executeAction(addDomainSpec, actors.provider, { name: 'pec.gestore.test', kind: 'PROVIDER_SHARED', organizationId: f.providerId }, ctx, db.prisma);
  assert.ok(providerShared.ok);
  const ok = await executeAction(addDomainSpec, actors.companyA, { name: 'PEC.Azienda-Alfa.test', kind: 'COMPANY', organizationId: f.companyA, mailboxLimit: '50' }, ctx, db.prisma);
  assert.ok(ok.ok);
  assert.equal(ok.data.name, 'pec.azienda-alfa.test');
  assert.equal(ok.data.verificationState, 'PENDING');
  assert.match(ok.data.verificationToken ?? '', /^[A-Za-z0-9_-]{24}$/);
  const dup = await executeAction(addDomainSpec, actors.resellerA, { name: 'pec.azienda-alfa.test', kind: 'COMPANY', organizationId: f.companyA }, ctx, db.prisma);
  assert.equal(!dup.ok && dup.messageKey, 'domains.nameTaken');
});

test('Verifica: real lookups; missing records → FAILED with problems; published → VERIFIED; foreign tenant → not found', async () => {
  const added = await executeAction(addDomainSpec, actors.companyA, { name: 'pec.verifica.test', kind: 'COMPANY', organizationId: f.companyA }, ctx, db.prisma);
  assert.ok(added.ok);
  const spec = verifyDomainSpec(() => deps);
  const id = added.data.id;
  const first = await executeAction(spec, actors.companyA, { id }, ctx, db.prisma);
  assert.ok(first.ok);
  assert.equal(first.data.verified, false);
  assert.deepEqual(first.data.problems.map((p) => p.code).sort(), ['mx_missing', 'spf_missing', 'verification_missing']);
  let stored = await db.prisma.domain.findUniqueOrThrow({ where: { id } });
  assert.equal(stored.verificationState, 'FAILED');
  assert.equal((stored.dnsProblems as unknown[]).length, 3);
  assert.ok(dns.queries.some((q) => q.name === '_pec-verify.pec.verifica.test' && q.type === 'TXT'));

  // MX elsewhere and an SPF not allowing us: precise problems
  dns.zone.set('pec.verifica.test', { mx: [{ exchange: 'mx.altro.test', priority: 5 }], txt: ['v=spf1 include:altro.test -all'] });
  const wrong = await executeAction(spec, actors.companyA, { id }, ctx, db.prisma);
  assert.ok(wrong.ok);
  assert.deepEqual(wrong.data.problems.map((p) => p.code).sort(), ['mx_wrong', 'spf_without_mx', 'verification_missing']);

  dns.zone.delete('pec.verifica.test');
  publish('pec.verifica.test', added.data.verificationToken!);
  const foreign = await executeAction(spec, actors.resellerB, { id }, ctx, db.prisma);
  assert.equal(!foreign.ok && foreign.error, 'not_found');
  const good = await executeAction(spec, actors.resellerA, { id }, ctx, db.prisma);
  assert.ok(good.ok && good.data.verified, JSON.stringify(good));
  stored = await db.prisma.domain.findUniqueOrThrow({ where: { id } });
  assert.equal(stored.verificationState, 'VERIFIED');
  assert.ok(stored.verifiedAt);
  assert.deepEqual(stored.dnsProblems, []);
  assert.equal(await db.prisma.auditEvent.count({ where: { entityId: id, action: 'domain.verify' } }), 3);
});

test('re-check: a verified domain whose MX record broke is flagged FAILED with the problem, audited; repaired → VERIFIED', async () => {
  const d = await db.prisma.domain.create({
    data: { name: 'pec.ricontrollo.test', kind: 'COMPANY', organizationId: f.companyA, verificationToken: 'tok-ricontrollo-123', verificationState: 'VERIFIED', verifiedAt: new Date() },
  });
  publish(d.name, 'tok-ricontrollo-123');
  // the fixture domains (verified, never published) break too: that is what the job is for
  let summary = await recheckDomains(db.prisma, deps);
  assert.ok(!summary.broken.some((b) => b.name === d.name));
  dns.zone.set(d.name, { ...dns.zone.get(d.name), mx: [] });
  summary = await recheckDomains(db.prisma, deps);
  assert.deepEqual(summary.broken.find((b) => b.name === d.name)?.problems.map((p) => p.code), ['mx_missing']);
  const stored = await db.prisma.domain.findUniqueOrThrow({ where: { id: d.id } });
  assert.equal(stored.verificationState, 'FAILED');
  const event = await db.prisma.auditEvent.findFirstOrThrow({ where: { entityId: d.id, action: 'domain.dns_recheck' } });
  assert.equal(event.organizationId, f.companyA);
  publish(d.name, 'tok-ricontrollo-123');
  summary = await recheckDomains(db.prisma, deps);
  assert.ok(summary.repaired.includes(d.name));
});

test('limit: not below the current mailbox count; provider-shared domains are the provider’s alone', async () => {
  const below = await executeAction(updateDomainLimitSpec, actors.companyA, { id: f.domainA, mailboxLimit: '0' }, ctx, db.prisma);
  assert.equal(below.ok, false);
  await db.prisma.mailbox.create({
    data: { address: 'due@pec.alfa.test', localPart: 'due', domainId: f.domainA, organizationId: f.companyA, holderType: 'LEGAL_PERSON', holderName: 'Alfa', quotaBytes: 1n, expiresAt: new Date(Date.now() + 1e10), passwordHash: 'x' },
  });
  const tooLow = await executeAction(updateDomainLimitSpec, actors.companyA, { id: f.domainA, mailboxLimit: '1' }, ctx, db.prisma);
  assert.equal(!tooLow.ok && tooLow.messageKey, 'domains.limitBelowCount');
  assert.ok((await executeAction(updateDomainLimitSpec, actors.companyA, { id: f.domainA, mailboxLimit: '5' }, ctx, db.prisma)).ok);
  const shared = await db.prisma.domain.findFirstOrThrow({ where: { kind: 'PROVIDER_SHARED' } });
  const byReseller = await executeAction(updateDomainLimitSpec, actors.resellerA, { id: shared.id, mailboxLimit: '5' }, ctx, db.prisma);
  assert.equal(!byReseller.ok && byReseller.error, 'not_found');
  assert.ok((await executeAction(updateDomainLimitSpec, actors.provider, { id: shared.id, mailboxLimit: '1000' }, ctx, db.prisma)).ok);
});
