/**
 * The permission matrix, table-driven: every role × every action × own/foreign tenant, against a
 * real database (actors are loaded with loadActor, so scope resolution over the organization tree
 * is exercised too). For each "view" action the SQL where-fragment must agree with the predicate,
 * so a list can never show what a detail page would refuse.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestDatabase, type TestDatabase } from '@/lib/db/testing';
import { createTenantFixture, type TenantFixture } from '@/lib/testing/tenants';
import {
  auditEventWhereForActor,
  canChangeMailboxPassword,
  canCreateOrganization,
  canCreateUser,
  canDecideRequest,
  canEditOrganization,
  canManageDomain,
  canManageMailbox,
  canManageUser,
  canSearchLogs,
  canViewAuditTrail,
  canViewDomain,
  canViewMailbox,
  canViewOrganization,
  canViewRequest,
  canViewUser,
  domainWhereForActor,
  loadActor,
  mailboxWhereForActor,
  organizationWhereForActor,
  requestWhereForActor,
  userWhereForActor,
  type Actor,
} from './index';

let db: TestDatabase;
let f: TenantFixture;
const actors: Record<string, Actor> = {};
const roles = ['provider', 'resellerA', 'companyA', 'auditorA', 'holderA'] as const;
type Role = (typeof roles)[number];
type Side = 'own' | 'foreign';

/** The objects of each side: A (inside every non-provider actor's tenant) and B (another tenant). */
interface Side$ {
  company: { id: string; kind: 'COMPANY'; parentId: string };
  reseller: { id: string; kind: 'RESELLER'; parentId: string };
  holderUser: { id: string; role: 'MAILBOX_HOLDER'; organizationId: string };
  domain: { id: string; kind: 'COMPANY'; organizationId: string };
  mailbox: { id: string; organizationId: string };
  request: { id: string; requesterOrganizationId: string };
}
const sides = {} as Record<Side, Side$>;

before(async () => {
  db = await startTestDatabase();
  f = await createTenantFixture(db.prisma);
  for (const r of [...roles, 'resellerB'] as const) actors[r] = (await loadActor(db.prisma, f.users[r].id))!;
  const request = (org: string) =>
    db.prisma.mailboxRequest.create({ data: { kind: 'ACTIVATION', plan: 'base', requesterOrganizationId: org, status: 'SUBMITTED' } });
  const [reqA, reqB] = [await request(f.companyA), await request(f.companyB)];
  for (const [side, s] of [
    ['own', { company: f.companyA, reseller: f.resellerA, holder: f.users.holderA.id, domain: f.domainA, mailbox: f.mailboxA, req: reqA.id }],
    ['foreign', { company: f.companyB, reseller: f.resellerB, holder: f.users.holderB.id, domain: f.domainB, mailbox: f.mailboxB, req: reqB.id }],
  ] as const) {
    sides[side] = {
      company: { id: s.company, kind: 'COMPANY', parentId: s.reseller },
      reseller: { id: s.reseller, kind: 'RESELLER', parentId: f.providerId },
      holderUser: { id: s.holder, role: 'MAILBOX_HOLDER', organizationId: s.company },
      domain: { id: s.domain, kind: 'COMPANY', organizationId: s.company },
      mailbox: { id: s.mailbox, organizationId: s.company },
      request: { id: s.req, requesterOrganizationId: s.company },
    };
  }
});
after(() => db?.stop());

// expected[action][role] = [own, foreign]
type Row = Record<Role, [boolean, boolean]>;
const T = true;
const F = false;
const matrix: Record<string, { check: (a: Actor, s: Side$) => boolean; expected: Row }> = {
  'view organization': {
    check: (a, s) => canViewOrganization(a, s.company),
    expected: { provider: [T, T], resellerA: [T, F], companyA: [T, F], auditorA: [F, F], holderA: [F, F] },
  },
  'edit organization': {
    check: (a, s) => canEditOrganization(a, s.company),
    expected: { provider: [T, T], resellerA: [T, F], companyA: [F, F], auditorA: [F, F], holderA: [F, F] },
  },
  'create company under reseller': {
    check: (a, s) => canCreateOrganization(a, 'COMPANY', s.reseller),
    expected: { provider: [T, T], resellerA: [T, F], companyA: [F, F], auditorA: [F, F], holderA: [F, F] },
  },
  'create company admin': {
    check: (a, s) => canCreateUser(a, 'COMPANY_ADMIN', s.company),
    expected: { provider: [T, T], resellerA: [T, F], companyA: [T, F], auditorA: [F, F], holderA: [F, F] },
  },
  'view user': {
    check: (a, s) => canViewUser(a, s.holderUser),
    expected: { provider: [T, T], resellerA: [T, F], companyA: [T, F], auditorA: [F, F], holderA: [T, F] },
  },
  'reset password / disable user': {
    check: (a, s) => canManageUser(a, s.holderUser),
    expected: { provider: [T, T], resellerA: [T, F], companyA: [T, F], auditorA: [F, F], holderA: [F, F] },
  },
  'view domain': {
    check: (a, s) => canViewDomain(a, s.domain),
    expected: { provider: [T, T], resellerA: [T, F], companyA: [T, F], auditorA: [F, F], holderA: [F, F] },
  },
  'manage domain': {
    check: (a, s) => canManageDomain(a, s.domain),
    expected: { provider: [T, T], resellerA: [T, F], companyA: [T, F], auditorA: [F, F], holderA: [F, F] },
  },
  'view mailbox': {
    check: (a, s) => canViewMailbox(a, s.mailbox),
    expected: { provider: [T, T], resellerA: [T, F], companyA: [T, F], auditorA: [F, F], holderA: [T, F] },
  },
  'manage mailbox': {
    check: (a, s) => canManageMailbox(a, s.mailbox),
    expected: { provider: [T, T], resellerA: [T, F], companyA: [T, F], auditorA: [F, F], holderA: [F, F] },
  },
  'change mailbox password': {
    check: (a, s) => canChangeMailboxPassword(a, s.mailbox),
    expected: { provider: [T, T], resellerA: [T, F], companyA: [T, F], auditorA: [F, F], holderA: [T, F] },
  },
  'view request': {
    check: (a, s) => canViewRequest(a, s.request),
    expected: { provider: [T, T], resellerA: [T, F], companyA: [T, F], auditorA: [F, F], holderA: [F, F] },
  },
  'decide request': {
    check: (a, s) => canDecideRequest(a, s.request),
    expected: { provider: [T, T], resellerA: [F, F], companyA: [F, F], auditorA: [F, F], holderA: [F, F] },
  },
  'search transmission log': {
    check: (a) => canSearchLogs(a),
    expected: { provider: [T, T], resellerA: [F, F], companyA: [F, F], auditorA: [T, T], holderA: [F, F] },
  },
  'read audit trail': {
    check: (a) => canViewAuditTrail(a),
    expected: { provider: [T, T], resellerA: [F, F], companyA: [F, F], auditorA: [T, T], holderA: [T, T] },
  },
};

describe('permission matrix', () => {
  for (const [action, { check, expected }] of Object.entries(matrix)) {
    for (const role of roles) {
      for (const [i, side] of (['own', 'foreign'] as const).entries()) {
        test(`${role} · ${action} · ${side} tenant → ${expected[role][i] ? 'allowed' : 'refused'}`, () => {
          assert.equal(check(actors[role], sides[side]), expected[role][i]);
        });
      }
    }
  }
});

describe('where-fragments agree with the view predicates', () => {
  const views: [string, (a: Actor, s: Side$) => Promise<boolean>, (a: Actor, s: Side$) => boolean][] = [
    ['organization', async (a, s) => !!(await db.prisma.organization.findFirst({ where: { AND: [{ id: s.company.id }, organizationWhereForActor(a)] } })), (a, s) => canViewOrganization(a, s.company)],
    ['user', async (a, s) => !!(await db.prisma.user.findFirst({ where: { AND: [{ id: s.holderUser.id }, userWhereForActor(a)] } })), (a, s) => canViewUser(a, s.holderUser)],
    ['domain', async (a, s) => !!(await db.prisma.domain.findFirst({ where: { AND: [{ id: s.domain.id }, domainWhereForActor(a)] } })), (a, s) => canViewDomain(a, s.domain)],
    ['mailbox', async (a, s) => !!(await db.prisma.mailbox.findFirst({ where: { AND: [{ id: s.mailbox.id }, mailboxWhereForActor(a)] } })), (a, s) => canViewMailbox(a, s.mailbox)],
    ['request', async (a, s) => !!(await db.prisma.mailboxRequest.findFirst({ where: { AND: [{ id: s.request.id }, requestWhereForActor(a)] } })), (a, s) => canViewRequest(a, s.request)],
  ];
  for (const [entity, query, predicate] of views) {
    test(`${entity}: every role, both tenants`, async () => {
      for (const role of roles) {
        for (const side of ['own', 'foreign'] as const) {
          assert.equal(await query(actors[role], sides[side]), predicate(actors[role], sides[side]), `${role} ${side}`);
        }
      }
    });
  }
});

test('scope resolution over the tree: provider all, reseller itself + its companies, company itself, holder nothing', () => {
  assert.equal(actors.provider.scope, 'all');
  assert.deepEqual([...(actors.resellerA.scope as string[])].sort(), [f.resellerA, f.companyA].sort());
  assert.deepEqual(actors.companyA.scope, [f.companyA]);
  assert.deepEqual([...(actors.auditorA.scope as string[])].sort(), [f.resellerA, f.companyA].sort());
  assert.deepEqual(actors.holderA.scope, []);
  assert.equal(actors.holderA.mailboxId, f.mailboxA);
});

test('a reseller granted approval decides its companies’ requests only, never another reseller’s', () => {
  const granted: Actor = { ...actors.resellerA, mayApproveActivations: true };
  assert.equal(canDecideRequest(granted, sides.own.request), true);
  assert.equal(canDecideRequest(granted, sides.foreign.request), false);
  assert.equal(canDecideRequest(granted, { id: 'x', requesterOrganizationId: f.resellerA }), false, 'not its own requests');
});

test('roles a user may grant: by rank and by organization kind', () => {
  const companyOrg = { id: f.companyA, kind: 'COMPANY' as const };
  const resellerOrg = { id: f.resellerA, kind: 'RESELLER' as const };
  assert.equal(canCreateUser(actors.companyA, 'RESELLER_ADMIN', companyOrg), false, 'no promotion above oneself');
  assert.equal(canCreateUser(actors.resellerA, 'COMPANY_ADMIN', resellerOrg), false, 'company admin in a reseller org');
  assert.equal(canCreateUser(actors.resellerA, 'RESELLER_ADMIN', resellerOrg), true);
  assert.equal(canCreateUser(actors.resellerA, 'PROVIDER_ADMIN', resellerOrg), false);
  assert.equal(canCreateUser(actors.resellerA, 'AUDITOR', companyOrg), true);
});

test('nobody manages themselves or a peer of the same rank in the same organization', () => {
  const self = { id: f.users.resellerA.id, role: 'RESELLER_ADMIN' as const, organizationId: f.resellerA };
  assert.equal(canManageUser(actors.resellerA, self), false);
  const peer = { id: '00000000-0000-4000-8000-000000000001', role: 'RESELLER_ADMIN' as const, organizationId: f.resellerA };
  assert.equal(canManageUser(actors.resellerA, peer), false);
  assert.equal(canManageUser(actors.resellerA, { ...peer, role: 'AUDITOR' }), true);
});

test('audit trail visibility: scope for admins/auditors, own mailbox and user for holders', async () => {
  const ev = (organizationId: string, entityType: string, entityId: string) =>
    db.prisma.auditEvent.create({ data: { action: 'test.event', organizationId, entityType, entityId } });
  const onA = await ev(f.companyA, 'Mailbox', f.mailboxA);
  const onB = await ev(f.companyB, 'Mailbox', f.mailboxB);
  const otherOnA = await ev(f.companyA, 'Domain', f.domainA);
  const seen = async (a: Actor) =>
    new Set(
      (await db.prisma.auditEvent.findMany({ where: { AND: [{ action: 'test.event' }, auditEventWhereForActor(a)] } })).map((e) =>
        e.id.toString(),
      ),
    );
  const ids = (...events: { id: bigint }[]) => new Set(events.map((e) => e.id.toString()));
  assert.deepEqual(await seen(actors.provider), ids(onA, onB, otherOnA));
  assert.deepEqual(await seen(actors.auditorA), ids(onA, otherOnA));
  assert.deepEqual(await seen(actors.holderA), ids(onA));
  assert.deepEqual(await seen(actors.resellerB), ids(onB));
});

test('a disabled user has no actor (its session stops working)', async () => {
  await db.prisma.user.update({ where: { id: f.users.companyB.id }, data: { disabled: true } });
  assert.equal(await loadActor(db.prisma, f.users.companyB.id), undefined);
});
