/**
 * The audited action wrapper against a real database: the audit event carries who/where/what and
 * before/after; a failed or refused action leaves neither changes nor an event; a foreign tenant's
 * object is "not found". Uses the real organization and user specs of the portal.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { z } from 'zod';
import { startTestDatabase, type TestDatabase } from '@/lib/db/testing';
import { loadActor, type Actor } from '@/lib/permissions';
import { verifyPassword } from '@/lib/passwords';
import { createTenantFixture, type TenantFixture } from '@/lib/testing/tenants';
import { createOrganizationSpec, updateOrganizationSpec } from '@/app/(portal)/organizations/specs';
import { createUserSpec, resetUserPasswordSpec, setUserDisabledSpec } from '@/app/(portal)/users/specs';
import { ActionError, executeAction, type ActionSpec } from './action';
import { clientIpFromHeaders } from './record';

let db: TestDatabase;
let f: TenantFixture;
let resellerA: Actor;
let companyA: Actor;
const ctx = { ip: '192.0.2.10', userAgent: 'Mozilla/5.0 test' };

before(async () => {
  db = await startTestDatabase();
  f = await createTenantFixture(db.prisma);
  resellerA = (await loadActor(db.prisma, f.users.resellerA.id))!;
  companyA = (await loadActor(db.prisma, f.users.companyA.id))!;
});
after(() => db?.stop());

const eventsFor = (entityId: string) => db.prisma.auditEvent.findMany({ where: { entityId }, orderBy: { id: 'asc' } });

test('create: the change and its audit event (actor, IP, agent, after, organization) are written together', async () => {
  const r = await executeAction(
    createOrganizationSpec,
    resellerA,
    { kind: 'COMPANY', parentId: f.resellerA, name: '  Gamma S.n.c. ', vatNumber: '01234567890', contactEmail: 'Info@Gamma.it', requireTotpForAdmins: 'on' },
    ctx,
    db.prisma,
  );
  assert.ok(r.ok);
  assert.equal(r.data.name, 'Gamma S.n.c.');
  assert.equal(r.data.contactEmail, 'info@gamma.it');
  assert.equal(r.data.requireTotpForAdmins, true);
  const [event] = await eventsFor(r.data.id);
  assert.equal(event.action, 'organization.create');
  assert.equal(event.entityType, 'Organization');
  assert.equal(event.actorUserId, resellerA.userId);
  assert.equal(event.actorEmail, resellerA.email);
  assert.equal(event.actorRole, 'RESELLER_ADMIN');
  assert.equal(event.ip, ctx.ip);
  assert.equal(event.userAgent, ctx.userAgent);
  assert.equal(event.organizationId, r.data.id);
  assert.equal(event.before, null);
  assert.equal((event.after as { name: string }).name, 'Gamma S.n.c.');
});

test('update: before and after values are both recorded', async () => {
  const r = await executeAction(
    updateOrganizationSpec,
    resellerA,
    { id: f.companyA, name: 'Alfa Nuova S.r.l.', mailboxLimit: '50' },
    ctx,
    db.prisma,
  );
  assert.ok(r.ok);
  const event = (await eventsFor(f.companyA)).at(-1)!;
  assert.equal(event.action, 'organization.update');
  assert.equal((event.before as { name: string }).name, 'Alfa S.r.l.');
  assert.equal((event.after as { name: string; mailboxLimit: number }).name, 'Alfa Nuova S.r.l.');
  assert.equal((event.after as { mailboxLimit: number }).mailboxLimit, 50);
});

test('another tenant’s object is not found: nothing changes, nothing is recorded', async () => {
  const before = await db.prisma.organization.findUniqueOrThrow({ where: { id: f.companyB } });
  const eventsBefore = await db.prisma.auditEvent.count();
  const r = await executeAction(updateOrganizationSpec, resellerA, { id: f.companyB, name: 'Presa!' }, ctx, db.prisma);
  assert.deepEqual(r, { ok: false, error: 'not_found', messageKey: 'errors.notFound' });
  const create = await executeAction(createOrganizationSpec, resellerA, { kind: 'COMPANY', parentId: f.resellerB, name: 'Intrusa' }, ctx, db.prisma);
  assert.equal(create.ok ? 'ok' : create.error, 'not_found');
  const reset = await executeAction(resetUserPasswordSpec, companyA, { id: f.users.holderB.id }, ctx, db.prisma);
  assert.equal(reset.ok ? 'ok' : reset.error, 'not_found');
  assert.deepEqual(await db.prisma.organization.findUniqueOrThrow({ where: { id: f.companyB } }), before);
  assert.equal(await db.prisma.auditEvent.count(), eventsBefore);
});

test('in scope but not allowed (company admin editing its own organization) is refused the same way', async () => {
  const r = await executeAction(updateOrganizationSpec, companyA, { id: f.companyA, name: 'Mia' }, ctx, db.prisma);
  assert.equal(r.ok ? 'ok' : r.error, 'not_found');
});

test('invalid input: field errors, nothing written', async () => {
  const count = await db.prisma.organization.count();
  const r = await executeAction(
    createOrganizationSpec,
    resellerA,
    { kind: 'COMPANY', parentId: f.resellerA, name: 'x', vatNumber: '123' },
    ctx,
    db.prisma,
  );
  assert.equal(r.ok, false);
  assert.ok(!r.ok && r.error === 'invalid');
  assert.deepEqual(Object.keys(!r.ok ? (r.fieldErrors ?? {}) : {}).sort(), ['name', 'vatNumber']);
  assert.equal(!r.ok && r.fieldErrors?.name, 'too_small:2');
  assert.equal(await db.prisma.organization.count(), count);
});

test('an action that fails after writing rolls back its writes and its audit event', async () => {
  const failing: ActionSpec<z.ZodObject<{ name: z.ZodString }>, undefined, null> = {
    action: 'organization.create',
    entityType: 'Organization',
    input: z.object({ name: z.string() }),
    authorize: () => true,
    async run({ input, tx }) {
      await tx.organization.create({ data: { kind: 'COMPANY', name: input.name, parentId: f.resellerA } });
      throw new ActionError('errors.failed');
    },
  };
  const eventsBefore = await db.prisma.auditEvent.count();
  const r = await executeAction(failing, resellerA, { name: 'Fantasma S.r.l.' }, ctx, db.prisma);
  assert.deepEqual(r, { ok: false, error: 'failed', messageKey: 'errors.failed', fieldErrors: undefined });
  assert.equal(await db.prisma.organization.count({ where: { name: 'Fantasma S.r.l.' } }), 0);
  assert.equal(await db.prisma.auditEvent.count(), eventsBefore);

  // an unexpected error propagates, still leaving nothing behind
  const crashing = { ...failing, run: async (c: Parameters<typeof failing.run>[0]) => {
    await c.tx.organization.create({ data: { kind: 'COMPANY', name: 'Crash S.r.l.', parentId: f.resellerA } });
    throw new Error('boom');
  } };
  await assert.rejects(executeAction(crashing, resellerA, { name: 'x' }, ctx, db.prisma), /boom/);
  assert.equal(await db.prisma.organization.count({ where: { name: 'Crash S.r.l.' } }), 0);
  assert.equal(await db.prisma.auditEvent.count(), eventsBefore);
});

test('users: create with a grantable role (password shown once, stored hashed), reset, disable', async () => {
  const created = await executeAction(
    createUserSpec,
    companyA,
    { email: 'Nuovo.Admin@alfa.test', role: 'COMPANY_ADMIN', organizationId: f.companyA, displayName: 'Nuovo Admin' },
    ctx,
    db.prisma,
  );
  assert.ok(created.ok);
  assert.equal(created.data.email, 'nuovo.admin@alfa.test');
  const stored = await db.prisma.user.findUniqueOrThrow({ where: { id: created.data.id } });
  assert.equal(await verifyPassword(stored.passwordHash, created.data.password), true);
  assert.equal(stored.mustChangePassword, true);
  const [event] = await eventsFor(stored.id);
  assert.equal((event.after as { passwordHash: string }).passwordHash, '[secret]');

  const tooHigh = await executeAction(
    createUserSpec,
    companyA,
    { email: 'capo@alfa.test', role: 'RESELLER_ADMIN', organizationId: f.companyA },
    ctx,
    db.prisma,
  );
  assert.equal(tooHigh.ok ? 'ok' : tooHigh.error, 'not_found');

  const holderWithoutMailbox = await executeAction(
    createUserSpec,
    companyA,
    { email: 'tit@alfa.test', role: 'MAILBOX_HOLDER', organizationId: f.companyA, mailboxAddress: 'info@pec.beta.test' },
    ctx,
    db.prisma,
  );
  assert.deepEqual(holderWithoutMailbox.ok ? null : holderWithoutMailbox.messageKey, 'users.mailboxRequired');

  const reset = await executeAction(resetUserPasswordSpec, companyA, { id: f.users.holderA.id }, ctx, db.prisma);
  assert.ok(reset.ok);
  const holder = await db.prisma.user.findUniqueOrThrow({ where: { id: f.users.holderA.id } });
  assert.equal(await verifyPassword(holder.passwordHash, reset.data.password), true);
  assert.equal(holder.mustChangePassword, true);

  const disabled = await executeAction(setUserDisabledSpec, companyA, { id: f.users.holderA.id, disabled: 'true' }, ctx, db.prisma);
  assert.ok(disabled.ok && disabled.data.disabled);
  const last = (await eventsFor(f.users.holderA.id)).at(-1)!;
  assert.deepEqual([last.action, last.before, last.after], ['user.set_disabled', { disabled: false }, { disabled: true }]);
});

test('client IP: first X-Forwarded-For hop, else X-Real-IP', () => {
  const h = (o: Record<string, string>) => ({ get: (n: string) => o[n] ?? null });
  assert.equal(clientIpFromHeaders(h({ 'x-forwarded-for': '203.0.113.9, 10.0.0.1', 'x-real-ip': '10.0.0.1' })), '203.0.113.9');
  assert.equal(clientIpFromHeaders(h({ 'x-real-ip': '198.51.100.2' })), '198.51.100.2');
  assert.equal(clientIpFromHeaders(h({})), null);
});
