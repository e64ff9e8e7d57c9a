/**
 * Scoped reads against a real database: dashboard figures per role, organization list search /
 * sort / pagination, and the audit trail's keyset pagination and filters.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestDatabase, type TestDatabase } from '@/lib/db/testing';
import { loadActor, type Actor } from '@/lib/permissions';
import { createTenantFixture, type TenantFixture } from '@/lib/testing/tenants';
import { searchAuditEvents } from './audit-events';
import { dashboardFigures } from './dashboard';
import { getOrganizationForActor, listOrganizations } from './organizations';
import { listUsers } from './users';

let db: TestDatabase;
let f: TenantFixture;
const actors: Record<string, Actor> = {};

before(async () => {
  db = await startTestDatabase();
  f = await createTenantFixture(db.prisma);
  for (const r of ['provider', 'resellerA', 'companyA', 'holderA'] as const) actors[r] = (await loadActor(db.prisma, f.users[r].id))!;
});
after(() => db?.stop());

test('dashboard figures count only what is in scope', async () => {
  await db.prisma.mailbox.update({ where: { id: f.mailboxB }, data: { expiresAt: new Date(Date.now() + 10 * 86_400_000) } });
  const p = await dashboardFigures(db.prisma, actors.provider);
  assert.deepEqual(
    [p.resellers, p.companies, p.domains, p.mailboxes, p.activeMailboxes, p.expiringMailboxes],
    [2, 2, 2, 2, 2, 1],
  );
  const r = await dashboardFigures(db.prisma, actors.resellerA);
  assert.deepEqual([r.resellers, r.companies, r.domains, r.mailboxes, r.expiringMailboxes], [1, 1, 1, 1, 0]);
  const h = await dashboardFigures(db.prisma, actors.holderA);
  assert.deepEqual([h.companies, h.domains, h.mailboxes], [0, 0, 1]);
});

test('organization list: search, sort, pagination, all inside the scope', async () => {
  await db.prisma.organization.createMany({
    data: Array.from({ length: 30 }, (_, i) => ({
      kind: 'COMPANY' as const,
      name: `Cliente ${String(i).padStart(2, '0')}`,
      parentId: f.resellerA,
      createdAt: new Date(Date.now() + i * 1000),
    })),
  });
  // scope is resolved per request: the new companies count from the next one on
  actors.resellerA = (await loadActor(db.prisma, f.users.resellerA.id))!;
  const page1 = await listOrganizations(db.prisma, actors.resellerA, { q: 'cliente', page: 1, pageSize: 25 });
  assert.equal(page1.total, 30);
  assert.equal(page1.pages, 2);
  assert.equal(page1.rows[0].name, 'Cliente 00');
  const page2 = await listOrganizations(db.prisma, actors.resellerA, { q: 'cliente', page: 2, pageSize: 25 });
  assert.equal(page2.rows.length, 5);
  assert.equal(page2.rows[4].name, 'Cliente 29');
  const newest = await listOrganizations(db.prisma, actors.resellerA, { q: 'CLIENTE', sort: 'created', pageSize: 1 });
  assert.equal(newest.rows[0].name, 'Cliente 29');
  const foreign = await listOrganizations(db.prisma, actors.resellerA, { q: 'Beta' });
  assert.equal(foreign.total, 0, 'reseller B’s organizations never match');
  assert.equal(await getOrganizationForActor(db.prisma, actors.resellerA, f.companyB), null);
  assert.equal(await getOrganizationForActor(db.prisma, actors.resellerA, 'not-a-uuid'), null);
  const users = await listUsers(db.prisma, actors.companyA, { q: 'alfa' });
  assert.deepEqual(users.rows.map((u) => u.email).sort(), ['admin@alfa.test', 'titolare@alfa.test']);
});

test('audit trail: keyset pages cover every event once, newest first; filters narrow; actor filter is for providers', async () => {
  const base = Date.UTC(2026, 5, 1);
  await db.prisma.auditEvent.createMany({
    data: Array.from({ length: 120 }, (_, i) => ({
      // pairs of events share a timestamp, so the id breaks ties
      occurredAt: new Date(base + Math.floor(i / 2) * 1000),
      action: i % 3 === 0 ? 'mailbox.suspend' : 'user.create',
      actorEmail: i % 2 ? 'rivenditore@alfa.test' : 'gestore@test.it',
      organizationId: i % 4 === 0 ? f.companyB : f.companyA,
      entityType: 'Mailbox',
      entityId: i % 5 === 0 ? f.mailboxA : f.mailboxB,
    })),
  });
  const range = { from: new Date(base), to: new Date(base + 3_600_000) };
  const seen: string[] = [];
  let after: string | undefined;
  let pages = 0;
  do {
    const page = await searchAuditEvents(db.prisma, actors.provider, { ...range, after, limit: 25 });
    seen.push(...page.rows.map((r) => r.id));
    for (let i = 1; i < page.rows.length; i++) assert.ok(page.rows[i - 1].occurredAt >= page.rows[i].occurredAt);
    after = page.next;
    pages++;
  } while (after);
  assert.equal(pages, 5);
  assert.equal(seen.length, 120);
  assert.equal(new Set(seen).size, 120);

  const suspends = await searchAuditEvents(db.prisma, actors.provider, { ...range, action: 'mailbox.', limit: 200 });
  assert.equal(suspends.rows.length, 40);
  const byActor = await searchAuditEvents(db.prisma, actors.provider, { ...range, actor: 'RIVENDITORE', limit: 200 });
  assert.equal(byActor.rows.length, 60);
  // a reseller sees its scope (events of company A) and cannot filter by actor
  const reseller = await searchAuditEvents(db.prisma, actors.resellerA, { ...range, actor: 'rivenditore', limit: 200 });
  assert.equal(reseller.rows.length, 90);
  // a holder: events on its own mailbox only
  const holder = await searchAuditEvents(db.prisma, actors.holderA, { ...range, limit: 200 });
  assert.equal(holder.rows.length, 24);
  assert.ok(holder.rows.every((r) => r.entityId === f.mailboxA));
});
