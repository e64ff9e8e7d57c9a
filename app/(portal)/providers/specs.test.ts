/**
 * Trusted-provider actions against a real database: only the provider admin reaches them (every
 * other role gets not_found), manual add/edit with per-field errors, LDIF entries not editable but
 * disableable (and still disabled after a re-import), each change audited and NOTIFYed to the MTA.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { executeAction } from '@/lib/audit/action';
import { onConfigChanged, type ConfigChange } from '@/lib/db/config-changes';
import { startTestDatabase, type TestDatabase } from '@/lib/db/testing';
import { trustedProviderIndex } from '@/lib/ops/provider-index-store';
import { loadActor, type Actor } from '@/lib/permissions';
import { createTenantFixture, type TenantFixture } from '@/lib/testing/tenants';
import { formatProviderLdif } from '@/mail/pec';
import { issueProviderCertificate } from '@/mail/pec/testing/test-pki';
import { addProviderSpec, editProviderSpec, importIndexSpec, setProviderDisabledSpec } from './specs';

let db: TestDatabase;
let f: TenantFixture;
const actors = {} as Record<keyof TenantFixture['users'], Actor>;
const ctx = { ip: '192.0.2.9' };
const gamma = issueProviderCertificate({ email: 'posta-certificata@pec.gamma.test', providerName: 'Gamma PEC' });
const delta = issueProviderCertificate({ email: 'posta-certificata@pec.delta.test', providerName: 'Delta PEC' });
const index = formatProviderLdif([
  { providerName: 'Delta PEC', certificates: [delta.certDer], mailReceipt: delta.email, managedDomains: ['pec.delta.test'] },
]);

before(async () => {
  db = await startTestDatabase();
  f = await createTenantFixture(db.prisma);
  for (const key of Object.keys(f.users) as (keyof TenantFixture['users'])[]) actors[key] = (await loadActor(db.prisma, f.users[key].id))!;
});
after(async () => {
  await db?.stop();
});

const gammaInput = { providerName: 'Gamma PEC', mailReceipt: gamma.email, domains: 'pec.gamma.test\nGamma-Pec.test', certificatesPem: gamma.certPem };

test('only the provider admin may add, edit, disable or import; everyone else gets not_found and nothing changes', async () => {
  const existing = await executeAction(addProviderSpec, actors.provider, gammaInput, ctx, db.prisma);
  assert.ok(existing.ok);
  for (const role of ['resellerA', 'companyA', 'auditorA', 'holderA', 'resellerB'] as const) {
    const attempts: { ok: boolean; error?: string }[] = [
      await executeAction(addProviderSpec, actors[role], { ...gammaInput, providerName: 'Intruso', domains: 'pec.intruso.test' }, ctx, db.prisma),
      await executeAction(editProviderSpec, actors[role], { ...gammaInput, id: existing.data.id, providerName: 'Cambiato' }, ctx, db.prisma),
      await executeAction(setProviderDisabledSpec, actors[role], { id: existing.data.id, disabled: 'true' }, ctx, db.prisma),
      await executeAction(importIndexSpec, actors[role], { ldif: index }, ctx, db.prisma),
    ];
    assert.deepEqual(attempts.map((a) => a.error), ['not_found', 'not_found', 'not_found', 'not_found'], role);
  }
  const stored = await db.prisma.trustedProvider.findMany({ select: { providerName: true, disabled: true } });
  assert.deepEqual(stored, [{ providerName: 'Gamma PEC', disabled: false }]);
  const audit = await db.prisma.auditEvent.findMany({ where: { action: { startsWith: 'trusted_provider.' } } });
  assert.equal(audit.length, 1);
  assert.equal(audit[0].actorEmail, f.users.provider.email);
  assert.equal(audit[0].ip, '192.0.2.9');
  const after = audit[0].after as { domains: string[]; certificates: string[] };
  assert.deepEqual(after.domains, ['gamma-pec.test', 'pec.gamma.test']);
  assert.equal(after.certificates.length, 1);
  assert.doesNotMatch(JSON.stringify([audit[0].before, audit[0].after]), /BEGIN CERTIFICATE/);
});

test('add and edit: field errors, a domain already managed is refused, edits replace domains and keep certificates when left empty', async () => {
  const p = actors.provider;
  const badDomain = await executeAction(addProviderSpec, p, { ...gammaInput, providerName: 'X PEC', domains: 'not a domain!' }, ctx, db.prisma);
  assert.equal(!badDomain.ok && badDomain.fieldErrors?.domains, 'providers.errors.badDomain');
  const noCert = await executeAction(addProviderSpec, p, { ...gammaInput, providerName: 'X PEC', domains: 'pec.x.test', certificatesPem: '' }, ctx, db.prisma);
  assert.equal(!noCert.ok && noCert.fieldErrors?.certificates, 'providers.errors.noCertificate');
  const badCert = await executeAction(addProviderSpec, p, { ...gammaInput, providerName: 'X PEC', domains: 'pec.x.test', certificatesPem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----' }, ctx, db.prisma);
  assert.equal(!badCert.ok && badCert.fieldErrors?.certificates, 'providers.errors.badCertificate');
  const taken = await executeAction(addProviderSpec, p, { ...gammaInput, providerName: 'X PEC', domains: 'pec.x.test, pec.gamma.test' }, ctx, db.prisma);
  assert.equal(!taken.ok && taken.fieldErrors?.domains, 'providers.errors.domainTaken');
  const badReceipt = await executeAction(addProviderSpec, p, { ...gammaInput, mailReceipt: 'nobody' }, ctx, db.prisma);
  assert.equal(!badReceipt.ok && badReceipt.fieldErrors?.mailReceipt, 'providers.errors.badMailReceipt');

  const gammaRow = await db.prisma.trustedProvider.findFirstOrThrow({ where: { providerName: 'Gamma PEC' } });
  const edited = await executeAction(editProviderSpec, p, { id: gammaRow.id, providerName: 'Gamma PEC S.p.A.', mailReceipt: gamma.email, domains: 'pec.gamma.test', certificatesPem: '' }, ctx, db.prisma);
  assert.ok(edited.ok);
  assert.deepEqual(edited.data.domains, ['pec.gamma.test']);
  assert.equal(edited.data.certificates.length, 1, 'empty certificate field keeps the stored one');
  const { index: live } = await trustedProviderIndex(db.prisma);
  assert.equal(live.byDomain('pec.gamma.test')?.providerName, 'Gamma PEC S.p.A.');
  assert.equal(live.byDomain('gamma-pec.test'), undefined);
  const unknown = await executeAction(editProviderSpec, p, { ...gammaInput, id: '00000000-0000-4000-8000-000000000000' }, ctx, db.prisma);
  assert.equal(!unknown.ok && unknown.error, 'not_found');
});

test('import: LDIF entries are read-only but can be disabled, stay disabled across imports; every change is NOTIFYed', async () => {
  const changes: ConfigChange[] = [];
  const sub = onConfigChanged((c) => changes.push(c), { url: db.url });
  await sub.ready;
  try {
    const p = actors.provider;
    const empty = await executeAction(importIndexSpec, p, { ldif: 'version: 1\n\ndn: o=postacert\n' }, ctx, db.prisma);
    assert.equal(!empty.ok && empty.messageKey, 'providers.errors.importEmpty');
    const imported = await executeAction(importIndexSpec, p, { ldif: index }, ctx, db.prisma);
    assert.ok(imported.ok);
    assert.equal(imported.data.providers, 1);
    const deltaRow = await db.prisma.trustedProvider.findFirstOrThrow({ where: { providerName: 'Delta PEC' } });
    assert.equal(deltaRow.source, 'LDIF');
    const edit = await executeAction(editProviderSpec, p, { id: deltaRow.id, providerName: 'Delta', mailReceipt: delta.email, domains: 'pec.delta.test' }, ctx, db.prisma);
    assert.equal(!edit.ok && edit.messageKey, 'providers.errors.notEditable');
    const disabled = await executeAction(setProviderDisabledSpec, p, { id: deltaRow.id, disabled: 'true' }, ctx, db.prisma);
    assert.ok(disabled.ok);
    assert.equal(disabled.data.disabled, true);
    assert.ok((await executeAction(importIndexSpec, p, { ldif: index }, ctx, db.prisma)).ok);
    const again = await db.prisma.trustedProvider.findFirstOrThrow({ where: { providerName: 'Delta PEC' } });
    assert.equal(again.disabled, true, 'still disabled after the re-import');
    assert.ok(again.disabledAt);
    const { index: live, disabledDns } = await trustedProviderIndex(db.prisma);
    assert.equal(live.byDomain('pec.delta.test'), undefined);
    assert.ok(disabledDns.has(again.sourceDn!.toLowerCase()));
    await new Promise((r) => setTimeout(r, 300));
    // the failed import and the refused edit sent nothing (rolled back); import, disable, import did
    assert.deepEqual(
      changes.map((c) => `${c.entity}:${c.id === deltaRow.id ? 'delta' : c.id}`),
      ['trusted_provider:index', 'trusted_provider:delta', 'trusted_provider:index'],
    );
  } finally {
    await sub.close();
  }
});
