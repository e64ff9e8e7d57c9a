/**
 * Signing-certificate actions against a real database, PKCS#12 made by the real openssl: only the
 * provider admin reaches them; a PEM upload activates the first certificate, a PKCS#12 staged as
 * "next" is activated later (the previous one stays published); the checks of cert:import refuse
 * bad material; the audit trail never holds the key.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { executeAction } from '@/lib/audit/action';
import { activeSigningMaterial, listSigningCertificates } from '@/lib/certificates';
import { startTestDatabase, type TestDatabase } from '@/lib/db/testing';
import { loadActor, type Actor } from '@/lib/permissions';
import { createTenantFixture, type TenantFixture } from '@/lib/testing/tenants';
import { createTestCa, issueProviderCertificate } from '@/mail/pec/testing/test-pki';
import { activateCertificateSpec, uploadCertificateSpec } from './specs';

const service = 'posta-certificata@pec.gestore.test';
const dir = mkdtempSync(path.join(os.tmpdir(), 'pec-cert-actions-'));
const ca = createTestCa('Gestore Test CA');
const first = issueProviderCertificate({ email: service, providerName: 'Gestore Test', ca });
const second = issueProviderCertificate({ email: service, providerName: 'Gestore Test', ca });
const foreign = issueProviderCertificate({ email: 'posta-certificata@pec.altro.test', providerName: 'Altro', ca });
const upload = uploadCertificateSpec(() => service);
let db: TestDatabase;
let f: TenantFixture;
const actors = {} as Record<keyof TenantFixture['users'], Actor>;
const ctx = { ip: '192.0.2.10' };

function p12Of(cert: typeof second, password: string): string {
  writeFileSync(path.join(dir, 'c.pem'), cert.certPem + cert.chainPem);
  writeFileSync(path.join(dir, 'k.pem'), cert.keyPem);
  execFileSync('openssl', ['pkcs12', '-export', '-in', 'c.pem', '-inkey', 'k.pem', '-out', 'b.p12', '-passout', `pass:${password}`], { cwd: dir, stdio: 'pipe' });
  return readFileSync(path.join(dir, 'b.p12')).toString('base64');
}

before(async () => {
  db = await startTestDatabase();
  f = await createTenantFixture(db.prisma);
  for (const key of Object.keys(f.users) as (keyof TenantFixture['users'])[]) actors[key] = (await loadActor(db.prisma, f.users[key].id))!;
});
after(async () => {
  await db?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const pem = (c: typeof first, extra: Record<string, string> = {}) => ({ format: 'pem', certPem: c.certPem, keyPem: c.keyPem, chainPem: c.chainPem, activate: 'on', ...extra });

test('only the provider admin may upload or activate', async () => {
  for (const role of ['resellerA', 'companyA', 'auditorA', 'holderA'] as const) {
    const r = await executeAction(upload, actors[role], pem(first), ctx, db.prisma);
    assert.equal(!r.ok && r.error, 'not_found', role);
  }
  assert.equal(await db.prisma.providerCertificate.count(), 0);
});

test('PEM upload activates the first; a PKCS#12 staged as next is activated later; bad material is refused', async () => {
  const p = actors.provider;
  const mismatch = await executeAction(upload, p, pem(first, { keyPem: second.keyPem }), ctx, db.prisma);
  assert.equal(!mismatch.ok && mismatch.messageKey, 'certificates.errors.keyMismatch');
  const wrongAddress = await executeAction(upload, p, pem(foreign), ctx, db.prisma);
  assert.equal(!wrongAddress.ok && wrongAddress.messageKey, 'certificates.errors.emailMismatch');
  const garbage = await executeAction(upload, p, pem(first, { certPem: 'nonsense' }), ctx, db.prisma);
  assert.equal(!garbage.ok && garbage.fieldErrors?.certPem, 'certificates.errors.unreadableCertificate');

  const one = await executeAction(upload, p, pem(first, { label: 'primo' }), ctx, db.prisma);
  assert.ok(one.ok);
  assert.equal(one.data.stored.active, true);
  assert.equal((await activeSigningMaterial(db.prisma))?.certPem.trim(), first.certPem.trim());
  const dup = await executeAction(upload, p, pem(first), ctx, db.prisma);
  assert.equal(!dup.ok && dup.messageKey, 'certificates.errors.duplicate');

  const badPassword = await executeAction(upload, p, { format: 'p12', p12Base64: p12Of(second, 'giusta'), password: 'sbagliata' }, ctx, db.prisma);
  assert.equal(!badPassword.ok && badPassword.fieldErrors?.p12Base64, 'certificates.errors.p12');
  const staged = await executeAction(upload, p, { format: 'p12', p12Base64: p12Of(second, 'giusta'), password: 'giusta' }, ctx, db.prisma);
  assert.ok(staged.ok);
  assert.equal(staged.data.stored.active, false);
  assert.deepEqual((await listSigningCertificates(db.prisma)).map((c) => c.status).sort(), ['active', 'next']);
  assert.equal((await activeSigningMaterial(db.prisma))?.certPem.trim(), first.certPem.trim(), 'staging does not change the signer');

  const activated = await executeAction(activateCertificateSpec, p, { id: staged.data.stored.id }, ctx, db.prisma);
  assert.ok(activated.ok);
  assert.equal(activated.data.retired?.sha1, one.data.stored.sha1);
  const listed = await listSigningCertificates(db.prisma);
  assert.deepEqual(listed.map((c) => [c.sha1, c.status]), [
    [staged.data.stored.sha1, 'active'],
    [one.data.stored.sha1, 'published'],
  ]);
  assert.ok(listed.every((c) => c.daysToExpiry > 300));
  const twice = await executeAction(activateCertificateSpec, p, { id: staged.data.stored.id }, ctx, db.prisma);
  assert.equal(!twice.ok && twice.messageKey, 'certificates.errors.alreadyActive');
  const otherRole = await executeAction(activateCertificateSpec, actors.resellerA, { id: one.data.stored.id }, ctx, db.prisma);
  assert.equal(!otherRole.ok && otherRole.error, 'not_found');

  const audit = await db.prisma.auditEvent.findMany({ where: { action: { startsWith: 'certificate.' } }, orderBy: { occurredAt: 'asc' } });
  assert.deepEqual(audit.map((a) => a.action), ['certificate.upload', 'certificate.upload', 'certificate.activate']);
  assert.doesNotMatch(JSON.stringify(audit.map((a) => [a.before, a.after])), /PRIVATE KEY|privateKey/);
});
