/**
 * The mailbox holder's own pages against a real database: the password change (current password,
 * mailbox policy, both hashes set, audited without secrets, readable in the holder's own trail),
 * nothing but its own mailbox reachable (a foreign id, an admin, a holder without mailbox: not
 * found), and its transmission history (own address only, keyset pages, 30 months).
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { executeAction } from '@/lib/audit/action';
import { startTestDatabase, type TestDatabase } from '@/lib/db/testing';
import { hashPassword, verifyPassword } from '@/lib/passwords';
import { loadActor, type Actor } from '@/lib/permissions';
import { searchAuditEvents } from '@/lib/queries/audit-events';
import { getDomainForActor } from '@/lib/queries/domains';
import { getOwnMailbox, ownTransmissionHistory, renewalContact } from '@/lib/queries/holder';
import { getMailboxForActor } from '@/lib/queries/mailboxes';
import { getOrganizationForActor } from '@/lib/queries/organizations';
import { getRequestForActor } from '@/lib/queries/requests';
import type { LogCursor } from '@/lib/queries/transmission-log';
import { getUserForActor } from '@/lib/queries/users';
import { createTenantFixture, fixturePassword, type TenantFixture } from '@/lib/testing/tenants';
import { changeOwnMailboxPasswordSpec } from './specs';

let db: TestDatabase;
let f: TenantFixture;
const actors = {} as Record<keyof TenantFixture['users'], Actor>;
const ctx = { ip: '192.0.2.9', userAgent: 'test' };
let breachedFile: string;
const addressA = 'info@pec.alfa.test';
const addressB = 'info@pec.beta.test';

before(async () => {
  db = await startTestDatabase();
  f = await createTenantFixture(db.prisma);
  for (const key of Object.keys(f.users) as (keyof TenantFixture['users'])[]) actors[key] = (await loadActor(db.prisma, f.users[key].id))!;
  breachedFile = path.join(db.dir, 'breached.txt');
  await writeFile(breachedFile, 'password1234567\nCasellaPec2026!\n');
});
after(() => db?.stop());

const change = (actor: Actor, input: Record<string, string>) =>
  executeAction(changeOwnMailboxPasswordSpec(() => breachedFile), actor, input, ctx, db.prisma);

describe('holder changes the mailbox password', () => {
  test('wrong current password, short, equal to the address, breached: refused with the field marked, nothing changed', async () => {
    const cases: [Record<string, string>, string, string][] = [
      [{ currentPassword: 'not-the-password', newPassword: 'Una-Nuova-Password-9' }, 'holder.wrongPassword', 'currentPassword'],
      [{ currentPassword: fixturePassword, newPassword: 'corta' }, 'password.tooShort', 'newPassword'],
      [{ currentPassword: fixturePassword, newPassword: addressA.toUpperCase() }, 'password.equalsEmail', 'newPassword'],
      [{ currentPassword: fixturePassword, newPassword: 'casellapec2026!' }, 'mailboxes.passwordBreached', 'newPassword'],
    ];
    for (const [input, key, field] of cases) {
      const r = await change(actors.holderA, { id: f.mailboxA, ...input });
      assert.equal(r.ok, false, key);
      assert.ok(!r.ok && r.messageKey === key && r.fieldErrors?.[field] === key, `${key}: ${JSON.stringify(r)}`);
    }
    const m = await db.prisma.mailbox.findUniqueOrThrow({ where: { id: f.mailboxA } });
    assert.ok(await verifyPassword(m.passwordHash, fixturePassword));
    assert.equal(await db.prisma.auditEvent.count({ where: { action: 'mailbox.password_change' } }), 0);
  });

  test('another mailbox, an admin, a holder without mailbox: not found, whatever the id', async () => {
    const input = { currentPassword: fixturePassword, newPassword: 'Una-Nuova-Password-9' };
    for (const [who, actor, id] of [
      ['holder A → mailbox B', actors.holderA, f.mailboxB],
      ['holder B → mailbox A', actors.holderB, f.mailboxA],
      ['company admin A → mailbox A', actors.companyA, f.mailboxA],
      ['provider admin → mailbox A', actors.provider, f.mailboxA],
      ['holder without mailbox', { ...actors.holderA, mailboxId: null }, f.mailboxA],
    ] as const) {
      const r = await change(actor, { id, ...input });
      assert.ok(!r.ok && r.error === 'not_found', `${who}: ${JSON.stringify(r)}`);
    }
    for (const id of [f.mailboxA, f.mailboxB]) {
      const m = await db.prisma.mailbox.findUniqueOrThrow({ where: { id } });
      assert.ok(await verifyPassword(m.passwordHash, fixturePassword));
    }
  });

  test('the right current password: mailbox and portal sign-in both take the new one; the trail says so without hashes', async () => {
    await db.prisma.user.update({ where: { id: f.users.holderA.id }, data: { mustChangePassword: true } });
    const r = await change(actors.holderA, { id: f.mailboxA, currentPassword: fixturePassword, newPassword: 'Casella-Alfa-Nuova-2026' });
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(r.data, { address: addressA });
    const m = await db.prisma.mailbox.findUniqueOrThrow({ where: { id: f.mailboxA } });
    const u = await db.prisma.user.findUniqueOrThrow({ where: { id: f.users.holderA.id } });
    assert.ok(await verifyPassword(m.passwordHash, 'Casella-Alfa-Nuova-2026'));
    assert.ok(!(await verifyPassword(m.passwordHash, fixturePassword)));
    assert.ok(await verifyPassword(u.passwordHash, 'Casella-Alfa-Nuova-2026'));
    assert.equal(u.mustChangePassword, false);

    const event = await db.prisma.auditEvent.findFirstOrThrow({ where: { action: 'mailbox.password_change' } });
    assert.equal(event.entityType, 'Mailbox');
    assert.equal(event.entityId, f.mailboxA);
    assert.equal(event.organizationId, f.companyA);
    assert.equal(event.actorUserId, f.users.holderA.id);
    assert.equal(event.ip, ctx.ip);
    assert.ok(!JSON.stringify([event.before, event.after]).includes('$argon2'), 'no hash in the trail');
    // the holder reads it in its own trail, the other tenant's holder does not
    assert.ok((await searchAuditEvents(db.prisma, actors.holderA, {})).rows.some((e) => e.id === event.id.toString()));
    assert.ok(!(await searchAuditEvents(db.prisma, actors.holderB, {})).rows.some((e) => e.id === event.id.toString()));

    // the portal password alone (they differ after an admin reset) also proves who is asking
    await db.prisma.mailbox.update({ where: { id: f.mailboxA }, data: { passwordHash: await hashPassword('Reimpostata-Da-Admin-1') } });
    const again = await change(actors.holderA, { id: f.mailboxA, currentPassword: 'Casella-Alfa-Nuova-2026', newPassword: fixturePassword });
    assert.ok(again.ok, JSON.stringify(again));
    assert.ok(await verifyPassword((await db.prisma.mailbox.findUniqueOrThrow({ where: { id: f.mailboxA } })).passwordHash, fixturePassword));
  });
});

describe('the holder reaches its own mailbox and nothing else', () => {
  test('own mailbox with who to ask for renewal; admins and holders without mailbox get none', async () => {
    const own = await getOwnMailbox(db.prisma, actors.holderA);
    assert.equal(own?.address, addressA);
    // company A has no contact address: the reseller above it is the one to ask
    await db.prisma.organization.update({ where: { id: f.resellerA }, data: { contactEmail: 'rinnovi@rivenditore-alfa.example' } });
    assert.deepEqual(renewalContact((await getOwnMailbox(db.prisma, actors.holderA))!), { name: 'Rivenditore Alfa', email: 'rinnovi@rivenditore-alfa.example' });
    await db.prisma.organization.update({ where: { id: f.companyA }, data: { contactEmail: 'pec@alfa.example' } });
    assert.deepEqual(renewalContact((await getOwnMailbox(db.prisma, actors.holderA))!), { name: 'Alfa S.r.l.', email: 'pec@alfa.example' });
    assert.equal(await getOwnMailbox(db.prisma, actors.companyA), null);
    assert.equal(await getOwnMailbox(db.prisma, actors.provider), null);
    assert.equal(await getOwnMailbox(db.prisma, { ...actors.holderA, mailboxId: null }), null);
  });

  test('every other object by id is not found: mailbox, organizations, domain, users, requests', async () => {
    const h = actors.holderA;
    const request = await db.prisma.mailboxRequest.create({ data: { kind: 'RENEWAL', plan: 'base', requesterOrganizationId: f.companyA, mailboxId: f.mailboxA, status: 'SUBMITTED' } });
    assert.equal(await getMailboxForActor(db.prisma, h, f.mailboxB), null);
    assert.equal(await getOrganizationForActor(db.prisma, h, f.companyA), null, 'not even its own company');
    assert.equal(await getOrganizationForActor(db.prisma, h, f.companyB), null);
    assert.equal(await getDomainForActor(db.prisma, h, f.domainA), null);
    assert.equal(await getUserForActor(db.prisma, h, f.users.holderB.id), null);
    assert.equal(await getUserForActor(db.prisma, h, f.users.companyA.id), null);
    assert.equal(await getRequestForActor(db.prisma, h, request.id), null, 'not even a renewal of its own mailbox');
    assert.equal((await getMailboxForActor(db.prisma, h, f.mailboxA))?.id, f.mailboxA);
  });
});

describe('own transmission history', () => {
  const now = new Date();
  const minutesAgo = (n: number) => new Date(now.getTime() - n * 60_000);
  before(async () => {
    const rows = [];
    for (let i = 0; i < 7; i++) {
      rows.push({ occurredAt: minutesAgo(10 + i), eventType: 'ACCETTAZIONE', identificativo: `a-${i}@pec.gestore.test`, sender: addressA, recipient: `dest${i}@pec.altro.it`, outcome: 'OK' });
    }
    rows.push({ occurredAt: minutesAgo(5), eventType: 'AVVENUTA_CONSEGNA', identificativo: 'in-1@pec.altro.it', sender: 'mittente@pec.altro.it', recipient: addressA, outcome: 'OK' });
    rows.push({ occurredAt: minutesAgo(3), eventType: 'ACCETTAZIONE', identificativo: 'b-1@pec.gestore.test', sender: addressB, recipient: 'x@pec.altro.it', outcome: 'OK' });
    rows.push({ occurredAt: minutesAgo(2), eventType: 'ACCETTAZIONE', identificativo: 'b-2@pec.gestore.test', sender: 'ufficio@pec.alfa.test', recipient: 'y@pec.altro.it', outcome: 'OK' });
    // older than the 30 months kept (the retention job drops those; the search must not reach them either)
    rows.push({ occurredAt: new Date(now.getTime() - 31 * 31 * 86_400_000), eventType: 'ACCETTAZIONE', identificativo: 'old@pec.gestore.test', sender: addressA, recipient: 'z@pec.altro.it', outcome: 'OK' });
    await db.prisma.transmissionLog.createMany({ data: rows });
  });

  test('only rows with its own address, newest first, in keyset pages that neither overlap nor skip', async () => {
    const seen: string[] = [];
    let after: LogCursor | undefined;
    let pages = 0;
    for (;;) {
      const page = await ownTransmissionHistory(db.prisma, actors.holderA, { limit: 3, after }, now);
      seen.push(...page.entries.map((e) => e.identificativo!));
      for (const e of page.entries) assert.ok(e.sender === addressA || e.recipient === addressA, `${e.identificativo}: ${e.sender} → ${e.recipient}`);
      pages++;
      if (!page.older) break;
      after = page.older;
    }
    assert.deepEqual(seen, ['in-1@pec.altro.it', ...Array.from({ length: 7 }, (_, i) => `a-${i}@pec.gestore.test`)]);
    assert.equal(pages, 3);
    // and back: the page newer than the last one shown
    const last = await ownTransmissionHistory(db.prisma, actors.holderA, { limit: 3, after }, now);
    const back = await ownTransmissionHistory(db.prisma, actors.holderA, { limit: 3, before: last.newer }, now);
    assert.deepEqual(back.entries.map((e) => e.identificativo), ['a-2@pec.gestore.test', 'a-3@pec.gestore.test', 'a-4@pec.gestore.test']);
  });

  test('another holder sees only its own; admins and holders without mailbox see nothing here', async () => {
    const b = await ownTransmissionHistory(db.prisma, actors.holderB, {}, now);
    assert.deepEqual(b.entries.map((e) => e.identificativo), ['b-1@pec.gestore.test']);
    assert.deepEqual((await ownTransmissionHistory(db.prisma, actors.companyA, {}, now)).entries, []);
    assert.deepEqual((await ownTransmissionHistory(db.prisma, actors.provider, {}, now)).entries, []);
    assert.deepEqual((await ownTransmissionHistory(db.prisma, { ...actors.holderA, mailboxId: null }, {}, now)).entries, []);
  });
});
