/**
 * The lifecycle job on a real database with a controlled clock: reminders at 60/30/7 days sent once,
 * expiry (suspended), automatic renewal, cessation after the grace period; every run repeated gives
 * the same state and no duplicate notices; a renewed mailbox gets fresh reminders.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestDatabase, type TestDatabase } from '@/lib/db/testing';
import { createTenantFixture, type TenantFixture } from '@/lib/testing/tenants';
import { runExpiry } from './expiry';
import { createExpiringMailbox } from './testing';

let db: TestDatabase;
let f: TenantFixture;
const day = 86_400_000;
const t0 = new Date('2027-01-01T08:00:00Z');
const at = (days: number) => new Date(t0.getTime() + days * day);

before(async () => {
  db = await startTestDatabase();
  f = await createTenantFixture(db.prisma);
});
after(() => db?.stop());

const mailbox = (localPart: string, expiresInDays: number, renewalMode: 'AUTOMATIC' | 'MANUAL' = 'MANUAL') =>
  createExpiringMailbox(db.prisma, f.mailboxA, { localPart, expiresAt: at(expiresInDays), renewalMode });

const kinds = async (id: string) =>
  (await db.prisma.mailboxNotice.findMany({ where: { mailboxId: id }, orderBy: { id: 'asc' } })).map((n) => n.kind);
const run = (now: Date) => runExpiry(db.prisma, { now, graceDays: 90 });

test('manual mailbox: 60/30/7-day reminders once each, expiry suspends, cessation after 90 days; runs repeat cleanly', async () => {
  // keep the fixture's own mailboxes out of the way
  await db.prisma.mailbox.updateMany({ data: { expiresAt: at(5000) } });
  const m = await mailbox('manuale', 100);
  assert.deepEqual(await run(at(0)), { reminders: 0, renewed: 0, expired: 0, ceased: 0 });
  assert.deepEqual(await kinds(m.id), []);

  for (const [now, expected] of [
    [at(40), ['REMINDER_60']], // 60 days left
    [at(41), ['REMINDER_60']],
    [at(70), ['REMINDER_60', 'REMINDER_30']],
    [at(93), ['REMINDER_60', 'REMINDER_30', 'REMINDER_7']],
    [at(99), ['REMINDER_60', 'REMINDER_30', 'REMINDER_7']],
  ] as const) {
    await run(now);
    await run(now); // twice: nothing more
    assert.deepEqual(await kinds(m.id), expected, now.toISOString());
  }
  const notice = await db.prisma.mailboxNotice.findFirstOrThrow({ where: { mailboxId: m.id, kind: 'REMINDER_7' } });
  assert.equal(notice.recipient, 'manuale@ordinaria.example');
  assert.match(notice.subject, /scade fra 7 giorni/);
  assert.equal(notice.sentAt, null, 'queued in the outbox');

  const expiredRun = await run(at(100));
  assert.equal(expiredRun.expired, 1);
  assert.equal((await run(at(100))).expired, 0);
  let row = await db.prisma.mailbox.findUniqueOrThrow({ where: { id: m.id } });
  assert.equal(row.status, 'EXPIRED');
  assert.deepEqual((await kinds(m.id)).slice(3), ['EXPIRED']);

  await run(at(189)); // 89 days into the grace period
  assert.equal((await db.prisma.mailbox.findUniqueOrThrow({ where: { id: m.id } })).status, 'EXPIRED');
  assert.equal((await run(at(190))).ceased, 1);
  assert.equal((await run(at(191))).ceased, 0);
  row = await db.prisma.mailbox.findUniqueOrThrow({ where: { id: m.id } });
  assert.equal(row.status, 'CEASED');
  assert.equal(row.ceasedAt?.toISOString(), at(190).toISOString());
  assert.deepEqual(await kinds(m.id), ['REMINDER_60', 'REMINDER_30', 'REMINDER_7', 'EXPIRED', 'CEASED']);
  const audit = await db.prisma.auditEvent.findMany({ where: { entityId: m.id }, orderBy: { id: 'asc' } });
  assert.deepEqual(audit.map((a) => a.action), ['mailbox.expire', 'mailbox.cease']);
  assert.equal(audit[0].actorEmail, 'system:expiry');
});

test('a mailbox with 20 days left gets the 30-day reminder only, then the 7-day one', async () => {
  const m = await mailbox('breve', 20);
  await run(at(0));
  await run(at(0));
  assert.deepEqual(await kinds(m.id), ['REMINDER_30']);
  await run(at(14));
  assert.deepEqual(await kinds(m.id), ['REMINDER_30', 'REMINDER_7']);
});

test('automatic renewal extends by a year at expiry, records it, and the new period gets its own reminders', async () => {
  const m = await mailbox('automatica', 10, 'AUTOMATIC');
  await run(at(5)); // 5 days left → 7-day reminder mentioning the automatic renewal
  const reminder = await db.prisma.mailboxNotice.findFirstOrThrow({ where: { mailboxId: m.id, kind: 'REMINDER_7' } });
  assert.match(reminder.body, /rinnovo automatico/);
  const r = await run(at(10));
  assert.equal(r.renewed, 1);
  assert.equal((await run(at(10))).renewed, 0);
  const row = await db.prisma.mailbox.findUniqueOrThrow({ where: { id: m.id } });
  assert.equal(row.status, 'ACTIVE');
  const oneYearLater = new Date(at(10));
  oneYearLater.setUTCFullYear(oneYearLater.getUTCFullYear() + 1);
  assert.equal(row.expiresAt.toISOString(), oneYearLater.toISOString());
  assert.ok(await db.prisma.auditEvent.findFirst({ where: { entityId: m.id, action: 'mailbox.auto_renew' } }));
  // 7 days before the new expiry: a new 7-day reminder (keyed by the new expiry), not a duplicate
  await run(new Date(row.expiresAt.getTime() - 6 * day));
  assert.deepEqual(await kinds(m.id), ['REMINDER_7', 'RENEWED', 'REMINDER_7']);
});

test('grace period is configurable; ceased holder account is disabled', async () => {
  const m = await mailbox('grazia', 1);
  const holder = await db.prisma.user.create({
    data: { email: 'grazia@pec.alfa.test', role: 'MAILBOX_HOLDER', organizationId: f.companyA, mailboxId: m.id, passwordHash: m.passwordHash },
  });
  await runExpiry(db.prisma, { now: at(2), graceDays: 2 });
  assert.equal((await db.prisma.mailbox.findUniqueOrThrow({ where: { id: m.id } })).status, 'EXPIRED');
  await runExpiry(db.prisma, { now: at(3), graceDays: 2 });
  assert.equal((await db.prisma.mailbox.findUniqueOrThrow({ where: { id: m.id } })).status, 'CEASED');
  assert.equal((await db.prisma.user.findUniqueOrThrow({ where: { id: holder.id } })).disabled, true);
});
