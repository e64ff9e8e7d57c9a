/**
 * Activation and renewal workflow on a real database: the state machine, form rules, who may file
 * and decide (own/foreign tenant), provisioning in the approving transaction, an address taken
 * meanwhile, renewal arithmetic, the public form's access token and the signed-scan store.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { z } from 'zod';
import { executeAction, type ActionSpec } from '@/lib/audit/action';
import { startTestDatabase, type TestDatabase } from '@/lib/db/testing';
import { verifyPassword } from '@/lib/passwords';
import { loadActor, type Actor } from '@/lib/permissions';
import { createTenantFixture, type TenantFixture } from '@/lib/testing/tenants';
import { checkAddressAvailability } from './availability';
import { activationProblems, type ActivationForm } from './form';
import { addYears, renewedExpiry } from './provisioning';
import { attachPublicScan, findPublicRequest, submitPublicActivation } from './public';
import { detectScanType, storeSignedScan } from './signed-scan';
import { approveRequestSpec, cancelRequestSpec, createActivationSpec, createRenewalSpec, rejectRequestSpec } from './specs';
import { canTransition, nextRequestStatus, RequestTransitionError } from './state-machine';

let db: TestDatabase;
let f: TenantFixture;
let sharedDomain: string;
const actors: Record<string, Actor> = {};
const ctx = { ip: '127.0.0.1', userAgent: 'test' };

before(async () => {
  db = await startTestDatabase();
  f = await createTenantFixture(db.prisma);
  for (const r of ['provider', 'resellerA', 'companyA', 'auditorA', 'holderA', 'resellerB', 'companyB'] as const) {
    actors[r] = (await loadActor(db.prisma, f.users[r].id))!;
  }
  sharedDomain = (
    await db.prisma.domain.create({ data: { name: 'pec.gestore.test', kind: 'PROVIDER_SHARED', organizationId: f.providerId, verificationState: 'VERIFIED' } })
  ).id;
});
after(() => db?.stop());

const form = (over: Record<string, string | undefined> = {}) => ({
  holderKind: 'COMPANY',
  holderName: 'Alfa S.r.l.',
  vatNumber: '12345678903',
  fiscalCode: '',
  legalRepName: 'Mario Rossi',
  legalRepFiscalCode: 'RSSMRA85T10A562S',
  contactEmail: 'amministrazione@alfa.example',
  phone: '+39 02 1234567',
  address: 'Via Roma 1, Milano',
  localPart: 'amministrazione',
  domainId: sharedDomain,
  plan: 'business',
  durationYears: '2',
  renewalMode: 'MANUAL',
  acceptTerms: 'on',
  organizationId: f.companyA,
  ...over,
});

type Loose<R> = { ok: boolean; data?: R; error?: string; messageKey?: string; fieldErrors?: Record<string, string> };
async function run<S extends z.ZodType, T, R>(spec: ActionSpec<S, T, R>, actor: Actor, input: unknown): Promise<Loose<R>> {
  return (await executeAction(spec, actor, input, ctx, db.prisma)) as Loose<R>;
}

describe('state machine', () => {
  test('the allowed path and the refused moves', () => {
    assert.equal(nextRequestStatus('DRAFT', 'submit'), 'SUBMITTED');
    assert.equal(nextRequestStatus('SUBMITTED', 'approve'), 'APPROVED');
    assert.equal(nextRequestStatus('APPROVED', 'provision'), 'PROVISIONED');
    assert.equal(nextRequestStatus('SUBMITTED', 'reject'), 'REJECTED');
    assert.equal(nextRequestStatus('SUBMITTED', 'cancel'), 'CANCELLED');
    for (const [from, event] of [
      ['DRAFT', 'approve'],
      ['SUBMITTED', 'provision'],
      ['REJECTED', 'approve'],
      ['PROVISIONED', 'reject'],
      ['APPROVED', 'reject'],
      ['CANCELLED', 'submit'],
    ] as const) {
      assert.equal(canTransition(from, event), false);
      assert.throws(() => nextRequestStatus(from, event), RequestTransitionError);
    }
  });
});

describe('form rules by holder type', () => {
  let base: ActivationForm;
  before(() => {
    base = { ...form(), durationYears: 1, acceptTerms: true } as unknown as ActivationForm;
  });
  test('a complete company form has no problems', () => assert.deepEqual(activationProblems(base), {}));
  test('company: partita IVA and legal representative required, checksums checked', () => {
    assert.equal(activationProblems({ ...base, vatNumber: '' }).vatNumber, 'requests.errors.required');
    assert.equal(activationProblems({ ...base, vatNumber: '12345678904' }).vatNumber, 'requests.errors.vatNumber');
    assert.equal(activationProblems({ ...base, legalRepFiscalCode: 'RSSMRA85T10A562X' }).legalRepFiscalCode, 'requests.errors.personalFiscalCode');
    assert.equal(activationProblems({ ...base, legalRepName: '' }).legalRepName, 'requests.errors.required');
  });
  test('individual: personal codice fiscale required, no partita IVA or representative', () => {
    const p = { ...base, holderKind: 'INDIVIDUAL' as const, vatNumber: '', legalRepName: '', legalRepFiscalCode: '' };
    assert.equal(activationProblems(p).fiscalCode, 'requests.errors.required');
    assert.deepEqual(activationProblems({ ...p, fiscalCode: 'rssmra85t10a562s' }), {});
    assert.equal(activationProblems({ ...p, fiscalCode: '12345678903' }).fiscalCode, 'requests.errors.personalFiscalCode');
  });
  test('professional needs both; public administration needs the codice fiscale and a representative', () => {
    const pro = { ...base, holderKind: 'PROFESSIONAL' as const, legalRepName: '', legalRepFiscalCode: '' };
    assert.deepEqual(Object.keys(activationProblems(pro)), ['fiscalCode']);
    const pa = { ...base, holderKind: 'PUBLIC_ADMINISTRATION' as const, vatNumber: '', fiscalCode: '12345678903' };
    assert.deepEqual(activationProblems(pa), {});
  });
  test('contacts, address, terms', () => {
    const p = activationProblems({ ...base, contactEmail: 'nope', phone: 'abc', localPart: '-bad', acceptTerms: false });
    assert.deepEqual(p, {
      contactEmail: 'requests.errors.email',
      phone: 'requests.errors.phone',
      localPart: 'requests.errors.localPart',
      acceptTerms: 'requests.errors.terms',
    });
  });
});

describe('filing an activation', () => {
  test('company admin files for its own company; foreign company → not found; auditor and holder refused', async () => {
    const own = await run(createActivationSpec, actors.companyA, form({ localPart: 'own-filing' }));
    assert.equal(own.ok, true);
    const row = await db.prisma.mailboxRequest.findUniqueOrThrow({ where: { id: own.data!.id } });
    assert.equal(row.status, 'SUBMITTED');
    assert.equal(row.requestedAddress, 'own-filing@pec.gestore.test');
    assert.equal((row.formData as { vatNumber: string }).vatNumber, '12345678903');
    for (const [actor, org] of [
      [actors.companyA, f.companyB],
      [actors.resellerA, f.companyB],
      [actors.auditorA, f.companyA],
      [actors.holderA, f.companyA],
    ] as const) {
      const r = await run(createActivationSpec, actor, form({ organizationId: org, localPart: 'refused' }));
      assert.equal(r.error, 'not_found', `${actor.email}`);
    }
    const audit = await db.prisma.auditEvent.findFirst({ where: { action: 'request.create', entityId: own.data!.id } });
    assert.equal(audit?.organizationId, f.companyA);
  });

  test('the company domain of another tenant is not usable; an address open in a request is taken', async () => {
    const foreignDomain = await run(createActivationSpec, actors.resellerA, form({ domainId: f.domainB, localPart: 'x1' }));
    assert.equal(foreignDomain.fieldErrors?.domainId, 'requests.errors.domain');
    const ownDomain = await run(createActivationSpec, actors.resellerA, form({ domainId: f.domainA, localPart: 'contabilita' }));
    assert.equal(ownDomain.ok, true);
    const again = await run(createActivationSpec, actors.resellerA, form({ domainId: f.domainA, localPart: 'Contabilita' }));
    assert.equal(again.fieldErrors?.localPart, 'requests.errors.addressTaken');
    const existing = await checkAddressAvailability(db.prisma, { localPart: 'info', domainId: f.domainA, organizationId: f.companyA });
    assert.equal(existing.availability, 'taken');
    const free = await checkAddressAvailability(db.prisma, { localPart: 'libera', domainId: sharedDomain, organizationId: null });
    assert.deepEqual(free, { availability: 'available', address: 'libera@pec.gestore.test' });
  });

  test('invalid form → field errors, nothing written', async () => {
    const before = await db.prisma.mailboxRequest.count();
    const r = await run(createActivationSpec, actors.companyA, form({ vatNumber: '11111111111', acceptTerms: '' }));
    assert.equal(r.ok, false);
    assert.equal(r.fieldErrors?.vatNumber, 'requests.errors.vatNumber');
    assert.equal(r.fieldErrors?.acceptTerms, 'requests.errors.terms');
    assert.equal(await db.prisma.mailboxRequest.count(), before);
  });
});

describe('deciding', () => {
  test('approval provisions the mailbox, its holder user and the one-time password, in one transaction', async () => {
    const filed = await run(createActivationSpec, actors.resellerA, form({ localPart: 'approvata' }));
    // reseller without the right, and the foreign reseller, cannot decide
    assert.equal((await run(approveRequestSpec, actors.resellerA, { id: filed.data!.id })).error, 'not_found');
    assert.equal((await run(approveRequestSpec, actors.resellerB, { id: filed.data!.id })).error, 'not_found');
    const started = Date.now();
    const r = await run(approveRequestSpec, actors.provider, { id: filed.data!.id });
    assert.equal(r.ok, true);
    const mailbox = await db.prisma.mailbox.findUniqueOrThrow({ where: { address: 'approvata@pec.gestore.test' }, include: { holderUser: true } });
    assert.equal(mailbox.status, 'ACTIVE');
    assert.equal(mailbox.organizationId, f.companyA);
    assert.equal(mailbox.quotaBytes, 5n * 1024n ** 3n);
    assert.equal(mailbox.holderVatNumber, '12345678903');
    assert.equal(mailbox.holderContactEmail, 'amministrazione@alfa.example');
    const expected = addYears(new Date(started), 2).getTime();
    assert.ok(Math.abs(mailbox.expiresAt.getTime() - expected) < 60_000);
    assert.ok(await verifyPassword(mailbox.passwordHash, r.data!.password!));
    assert.equal(mailbox.holderUser?.role, 'MAILBOX_HOLDER');
    assert.equal(mailbox.holderUser?.mustChangePassword, true);
    const request = await db.prisma.mailboxRequest.findUniqueOrThrow({ where: { id: filed.data!.id } });
    assert.equal(request.status, 'PROVISIONED');
    assert.equal(request.mailboxId, mailbox.id);
    assert.equal(request.decidedByUserId, f.users.provider.id);
    // the clear password is in no audit entry
    const events = await db.prisma.auditEvent.findMany({ where: { entityId: { in: [request.id, mailbox.id] } } });
    assert.deepEqual(events.map((e) => e.action).sort(), ['mailbox.provision', 'request.approve', 'request.create']);
    assert.ok(!JSON.stringify(events, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)).includes(r.data!.password!));
    // a second approval is refused by the state machine
    assert.equal((await run(approveRequestSpec, actors.provider, { id: filed.data!.id })).messageKey, 'requests.errors.state');
  });

  test('a reseller granted mayApproveActivations approves its own customers only', async () => {
    await db.prisma.organization.update({ where: { id: f.resellerA }, data: { mayApproveActivations: true } });
    try {
      const granted = (await loadActor(db.prisma, f.users.resellerA.id))!;
      const mine = await run(createActivationSpec, actors.companyA, form({ localPart: 'dal-rivenditore' }));
      assert.equal((await run(approveRequestSpec, granted, { id: mine.data!.id })).ok, true);
      const theirs = await run(createActivationSpec, actors.companyB, form({ organizationId: f.companyB, localPart: 'altrui' }));
      assert.equal((await run(approveRequestSpec, granted, { id: theirs.data!.id })).error, 'not_found');
    } finally {
      await db.prisma.organization.update({ where: { id: f.resellerA }, data: { mayApproveActivations: false } });
    }
  });

  test('an address taken meanwhile: clear error, request still SUBMITTED, nothing half-written', async () => {
    const filed = await run(createActivationSpec, actors.companyA, form({ localPart: 'contesa' }));
    const existing = await db.prisma.mailbox.findUniqueOrThrow({ where: { id: f.mailboxA } });
    await db.prisma.mailbox.create({
      data: { ...existing, id: undefined, address: 'contesa@pec.gestore.test', localPart: 'contesa', domainId: sharedDomain, createdAt: undefined, updatedAt: undefined },
    });
    const [orgs, users] = [await db.prisma.organization.count(), await db.prisma.user.count()];
    const r = await run(approveRequestSpec, actors.provider, { id: filed.data!.id });
    assert.equal(r.messageKey, 'requests.errors.addressTakenMeanwhile');
    assert.equal((await db.prisma.mailboxRequest.findUniqueOrThrow({ where: { id: filed.data!.id } })).status, 'SUBMITTED');
    assert.equal(await db.prisma.organization.count(), orgs);
    assert.equal(await db.prisma.user.count(), users);
    assert.equal(await db.prisma.auditEvent.count({ where: { action: 'request.approve', entityId: filed.data!.id } }), 0);
  });

  test('rejection needs a reason and is final; cancel by the requester', async () => {
    const filed = await run(createActivationSpec, actors.companyA, form({ localPart: 'respinta' }));
    assert.equal((await run(rejectRequestSpec, actors.provider, { id: filed.data!.id, reason: 'no' })).error, 'invalid');
    assert.equal((await run(rejectRequestSpec, actors.companyA, { id: filed.data!.id, reason: 'Documento illeggibile' })).error, 'not_found');
    assert.equal((await run(rejectRequestSpec, actors.provider, { id: filed.data!.id, reason: 'Documento illeggibile' })).ok, true);
    const row = await db.prisma.mailboxRequest.findUniqueOrThrow({ where: { id: filed.data!.id } });
    assert.equal(row.status, 'REJECTED');
    assert.equal(row.decisionReason, 'Documento illeggibile');
    assert.equal((await run(approveRequestSpec, actors.provider, { id: filed.data!.id })).messageKey, 'requests.errors.state');
    // the address is free again once the request is closed
    const again = await checkAddressAvailability(db.prisma, { localPart: 'respinta', domainId: sharedDomain, organizationId: null });
    assert.equal(again.availability, 'available');
    const other = await run(createActivationSpec, actors.companyA, form({ localPart: 'ritirata' }));
    assert.equal((await run(cancelRequestSpec, actors.companyB, { id: other.data!.id })).error, 'not_found');
    assert.equal((await run(cancelRequestSpec, actors.companyA, { id: other.data!.id })).ok, true);
  });
});

describe('renewal', () => {
  test('expiry arithmetic: from the current expiry while running, from now once expired', () => {
    const now = new Date('2026-06-01T10:00:00Z');
    assert.equal(renewedExpiry(new Date('2026-09-01T00:00:00Z'), 1, now).toISOString(), '2027-09-01T00:00:00.000Z');
    assert.equal(renewedExpiry(new Date('2026-01-01T00:00:00Z'), 2, now).toISOString(), '2028-06-01T10:00:00.000Z');
    assert.equal(addYears(new Date('2028-02-29T12:00:00Z'), 1).toISOString(), '2029-03-01T12:00:00.000Z');
  });

  test('renewal of a running mailbox extends from its expiry; of an expired one, from now, and reactivates it', async () => {
    const input = { mailboxId: f.mailboxA, plan: 'base', durationYears: '1', renewalMode: 'AUTOMATIC', contactEmail: 'rinnovi@alfa.example', acceptTerms: 'on' };
    assert.equal((await run(createRenewalSpec, actors.companyB, input)).error, 'not_found');
    const before = await db.prisma.mailbox.findUniqueOrThrow({ where: { id: f.mailboxA } });
    const filed = await run(createRenewalSpec, actors.companyA, input);
    assert.equal(filed.ok, true);
    assert.equal((await run(createRenewalSpec, actors.companyA, input)).messageKey, 'requests.errors.renewalOpen');
    assert.equal((await run(approveRequestSpec, actors.provider, { id: filed.data!.id })).ok, true);
    const renewed = await db.prisma.mailbox.findUniqueOrThrow({ where: { id: f.mailboxA } });
    assert.equal(renewed.expiresAt.toISOString(), addYears(before.expiresAt, 1).toISOString());
    assert.equal(renewed.renewalMode, 'AUTOMATIC');
    assert.equal(renewed.holderContactEmail, 'rinnovi@alfa.example');
    assert.equal(renewed.quotaBytes, before.quotaBytes, 'a smaller plan never shrinks the quota');

    await db.prisma.mailbox.update({ where: { id: f.mailboxA }, data: { status: 'EXPIRED', expiresAt: new Date(Date.now() - 10 * 86_400_000) } });
    const late = await run(createRenewalSpec, actors.companyA, { ...input, durationYears: '3' });
    const started = Date.now();
    assert.equal((await run(approveRequestSpec, actors.provider, { id: late.data!.id })).ok, true);
    const back = await db.prisma.mailbox.findUniqueOrThrow({ where: { id: f.mailboxA } });
    assert.equal(back.status, 'ACTIVE');
    assert.ok(Math.abs(back.expiresAt.getTime() - addYears(new Date(started), 3).getTime()) < 60_000);
  });
});

describe('public form', () => {
  test('files under the provider, token-protected, approval creates a customer company', async () => {
    const refused = await submitPublicActivation(db.prisma, { ...form({ domainId: f.domainA, localPart: 'pubblica' }) }, ctx);
    assert.equal(refused.ok, false, 'a company domain is not offered to the public');
    const r = await submitPublicActivation(db.prisma, { ...form({ localPart: 'pubblica', holderName: 'Gamma Studio' }), organizationId: undefined }, ctx);
    assert.ok(r.ok);
    assert.equal(await findPublicRequest(db.prisma, r.id, 'wrong-token'), null);
    assert.equal(await findPublicRequest(db.prisma, r.id, undefined), null);
    const found = await findPublicRequest(db.prisma, r.id, r.token);
    assert.equal(found?.requesterOrganizationId, f.providerId);
    assert.ok(!JSON.stringify(found?.formData).includes(r.token), 'only the hash of the token is stored');

    const dir = await mkdtemp(path.join(os.tmpdir(), 'scan-'));
    try {
      const scan = await storeSignedScan(dir, Buffer.from('%PDF-1.7\nfirmato\n'), '../../modulo firmato.pdf');
      assert.equal(scan.name, 'modulo firmato.pdf');
      assert.equal((await readFile(path.join(dir, scan.relativePath))).toString(), '%PDF-1.7\nfirmato\n');
      assert.equal(await attachPublicScan(db.prisma, r.id, 'wrong', scan, ctx), false);
      assert.equal(await attachPublicScan(db.prisma, r.id, r.token, scan, ctx), true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const approved = await run(approveRequestSpec, actors.provider, { id: r.id });
    assert.equal(approved.ok, true);
    const mailbox = await db.prisma.mailbox.findUniqueOrThrow({ where: { id: approved.data!.mailboxId }, include: { organization: true } });
    assert.equal(mailbox.organization.kind, 'COMPANY');
    assert.equal(mailbox.organization.name, 'Gamma Studio');
    assert.equal(mailbox.organization.parentId, f.providerId);
  });
});

describe('signed scan', () => {
  test('type by magic bytes; empty, oversized and other types refused', async () => {
    assert.equal(detectScanType(Buffer.from([0xff, 0xd8, 0xff, 0xe0])), 'jpg');
    assert.equal(detectScanType(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0])), 'png');
    assert.equal(detectScanType(Buffer.from('GIF89a')), undefined);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'scan-'));
    try {
      await assert.rejects(storeSignedScan(dir, Buffer.alloc(0), 'a.pdf'), /scanEmpty/);
      await assert.rejects(storeSignedScan(dir, Buffer.from('<html>'), 'a.pdf'), /scanType/);
      const big = Buffer.alloc(10 * 1024 * 1024 + 1);
      big.write('%PDF-');
      await assert.rejects(storeSignedScan(dir, big, 'a.pdf'), /scanTooLarge/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
