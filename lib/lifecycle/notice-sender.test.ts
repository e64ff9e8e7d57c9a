/**
 * The notice sender against a real SMTP sink on loopback and a real database: the reminders the
 * expiry job queues arrive at the holders' contact addresses; a second run sends nothing again;
 * two runners at once send each notice once; a relay that refuses leaves the notice for a later
 * run, which sends it. `npm run expiry` runs the lifecycle and then the sender.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import { startTestDatabase, findFreePort, type TestDatabase } from '@/lib/db/testing';
import { createTenantFixture, type TenantFixture } from '@/lib/testing/tenants';
import { startSmtpSink, type SmtpSink } from '@/mail/mta/testing/smtp-sink';
import { runExpiry } from './expiry';
import { retryDelayMs, sendQueuedNotices, type NoticeRelay } from './notice-sender';
import { createExpiringMailbox } from './testing';

const root = path.resolve(__dirname, '..', '..');
let db: TestDatabase;
let f: TenantFixture;
const sinks: SmtpSink[] = [];
const day = 86_400_000;
const t0 = new Date('2027-03-01T08:00:00Z');
const at = (days: number) => new Date(t0.getTime() + days * day);
const from = 'no-reply@pec.provider.test';

before(async () => {
  db = await startTestDatabase();
  f = await createTenantFixture(db.prisma);
});
after(async () => {
  await Promise.all(sinks.map((s) => s.close()));
  await db?.stop();
});
beforeEach(async () => {
  await db.prisma.mailboxNotice.deleteMany();
  // the fixture's own mailboxes stay out of the way
  await db.prisma.mailbox.updateMany({ data: { expiresAt: at(5000) } });
});

async function sink(options: Parameters<typeof startSmtpSink>[0] = {}): Promise<SmtpSink> {
  // no STARTTLS: the sink's certificate is self-signed, and the sender verifies certificates
  const s = await startSmtpSink({ startTls: false, ...options });
  sinks.push(s);
  return s;
}
const relayOf = (s: { port: number }): NoticeRelay => ({ host: '127.0.0.1', port: s.port, secure: false });

let serial = 0;
const mailbox = (expiresInDays: number, contact: string | null = `holder${++serial}@ordinaria.example`) =>
  createExpiringMailbox(db.prisma, f.mailboxA, { localPart: `avvisi${++serial}`, expiresAt: at(expiresInDays), contact });

const header = (raw: Buffer, name: string) => new RegExp(`^${name}: (.*)$`, 'mi').exec(raw.toString('utf8'))?.[1]?.trim();

test('reminders queued by the expiry job arrive at the holders’ contact addresses; a second run sends nothing', async () => {
  const boxes = [await mailbox(60), await mailbox(30), await mailbox(7)];
  const silent = await mailbox(60, null);
  const report = await runExpiry(db.prisma, { now: at(0), graceDays: 90 });
  assert.equal(report.reminders, 4);
  const s = await sink();

  assert.deepEqual(await sendQueuedNotices(db.prisma, { relay: relayOf(s), from, now: at(0) }), { sent: 3, failed: 0, abandoned: 0 });
  assert.equal(s.messages.length, 3);
  const byRecipient = new Map(s.messages.map((m) => [m.to[0], m]));
  for (const [box, days] of [[boxes[0], 60], [boxes[1], 30], [boxes[2], 7]] as const) {
    const m = byRecipient.get(box.holderContactEmail!);
    assert.ok(m, `reminder for ${box.address}`);
    assert.equal(m.from, from);
    assert.equal(header(m.raw, 'Subject'), `La casella PEC ${box.address} scade fra ${days} giorni`);
    assert.equal(header(m.raw, 'Auto-Submitted'), 'auto-generated');
    assert.match(m.raw.toString('utf8'), new RegExp(box.address.replace(/\./g, '\\.')));
  }
  const notices = await db.prisma.mailboxNotice.findMany({ orderBy: { id: 'asc' } });
  assert.deepEqual(
    notices.map((n) => [n.mailboxId === silent.id, n.sentAt?.toISOString() ?? null, n.attempts]),
    [
      [false, at(0).toISOString(), 1],
      [false, at(0).toISOString(), 1],
      [false, at(0).toISOString(), 1],
      [true, null, 0], // no contact address: never claimed
    ],
  );

  // again, the same hour and a day later: nothing is sent twice
  assert.deepEqual(await sendQueuedNotices(db.prisma, { relay: relayOf(s), from, now: at(0) }), { sent: 0, failed: 0, abandoned: 0 });
  await runExpiry(db.prisma, { now: at(1), graceDays: 90 });
  assert.deepEqual(await sendQueuedNotices(db.prisma, { relay: relayOf(s), from, now: at(1) }), { sent: 0, failed: 0, abandoned: 0 });
  assert.equal(s.messages.length, 3);
});

test('two runners at once send each notice exactly once', async () => {
  for (let i = 0; i < 24; i++) await mailbox(30);
  await runExpiry(db.prisma, { now: at(0), graceDays: 90 });
  const s = await sink();
  const runner = () => sendQueuedNotices(db.prisma, { relay: relayOf(s), from, now: at(0), batchSize: 3 });
  const [a, b] = await Promise.all([runner(), runner()]);
  assert.equal(a.sent + b.sent, 24);
  assert.ok(a.sent > 0 && b.sent > 0, `both runners took part (${a.sent} + ${b.sent})`);
  const ids = s.messages.map((m) => header(m.raw, 'Message-ID'));
  assert.equal(s.messages.length, 24);
  assert.equal(new Set(ids).size, 24);
  assert.equal(await db.prisma.mailboxNotice.count({ where: { sentAt: null } }), 0);
});

test('a relay that refuses leaves the notice for a later run, which sends it', async () => {
  const refused = await mailbox(7, 'rifiutato@ordinaria.example');
  const fine = await mailbox(7);
  await runExpiry(db.prisma, { now: at(0), graceDays: 90 });

  // the recipient refused (550 at RCPT), the other accepted
  const picky = await sink({ rejectRecipients: ['rifiutato@ordinaria.example'] });
  assert.deepEqual(await sendQueuedNotices(db.prisma, { relay: relayOf(picky), from, now: at(0) }), { sent: 1, failed: 1, abandoned: 0 });
  assert.deepEqual(picky.messages.map((m) => m.to), [[fine.holderContactEmail]]);
  const waiting = await db.prisma.mailboxNotice.findFirstOrThrow({ where: { mailboxId: refused.id } });
  assert.equal(waiting.sentAt, null);
  assert.equal(waiting.attempts, 1);
  assert.match(waiting.lastError ?? '', /550|no such user/);
  assert.equal(waiting.nextAttemptAt?.getTime(), at(0).getTime() + retryDelayMs(1));

  // no relay listening at all: the run before the retry time does not try; the one after fails again
  const closedPort = { port: await findFreePort() };
  assert.deepEqual(await sendQueuedNotices(db.prisma, { relay: relayOf(closedPort), from, now: at(0) }), { sent: 0, failed: 0, abandoned: 0 });
  const hourLater = new Date(at(0).getTime() + 3_600_000);
  assert.deepEqual(await sendQueuedNotices(db.prisma, { relay: relayOf(closedPort), from, now: hourLater }), { sent: 0, failed: 1, abandoned: 0 });
  const again = await db.prisma.mailboxNotice.findFirstOrThrow({ where: { mailboxId: refused.id } });
  assert.equal(again.attempts, 2);
  assert.match(again.lastError ?? '', /ECONNREFUSED|connect/i);

  // the next run after the retry delay, with a relay that accepts: sent, once
  const good = await sink();
  const later = new Date(hourLater.getTime() + retryDelayMs(2));
  assert.deepEqual(await sendQueuedNotices(db.prisma, { relay: relayOf(good), from, now: later }), { sent: 1, failed: 0, abandoned: 0 });
  assert.deepEqual(good.messages.map((m) => m.to), [['rifiutato@ordinaria.example']]);
  const sent = await db.prisma.mailboxNotice.findFirstOrThrow({ where: { mailboxId: refused.id } });
  assert.deepEqual([sent.sentAt?.getTime(), sent.lastError, sent.attempts], [later.getTime(), null, 3]);
  assert.deepEqual(await sendQueuedNotices(db.prisma, { relay: relayOf(good), from, now: later }), { sent: 0, failed: 0, abandoned: 0 });
});

test('a notice is given up after its last attempt', async () => {
  await mailbox(7, 'mai@ordinaria.example');
  await runExpiry(db.prisma, { now: at(0), graceDays: 90 });
  const picky = await sink({ rejectRecipients: ['mai@ordinaria.example'] });
  let now = at(0);
  const reports = [];
  for (let i = 0; i < 4; i++) {
    reports.push(await sendQueuedNotices(db.prisma, { relay: relayOf(picky), from, now, maxAttempts: 3 }));
    now = new Date(now.getTime() + day);
  }
  assert.deepEqual(reports, [
    { sent: 0, failed: 1, abandoned: 0 },
    { sent: 0, failed: 1, abandoned: 0 },
    { sent: 0, failed: 1, abandoned: 1 },
    { sent: 0, failed: 0, abandoned: 0 },
  ]);
  assert.equal(retryDelayMs(1), 15 * 60_000);
  assert.equal(retryDelayMs(3), 60 * 60_000);
  assert.equal(retryDelayMs(20), day);
});

test('npm run expiry queues the reminders and sends them through PEC_NOTICE_SMTP_HOST', async () => {
  const box = await mailbox(30);
  const s = await sink();
  const out = await new Promise<{ code: number | null; text: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/expiry.ts', '--now', at(0).toISOString()], {
      cwd: root,
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        PEC_DATA_DIR: db.dir,
        PEC_NOTICE_SMTP_HOST: '127.0.0.1',
        PEC_NOTICE_SMTP_PORT: String(s.port),
        PEC_NOTICE_FROM: from,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d));
    child.stderr.on('data', (d: Buffer) => (text += d));
    child.on('close', (code) => resolve({ code, text }));
  });
  assert.equal(out.code, 0, out.text);
  assert.match(out.text, /1 reminder\(s\) queued/);
  assert.match(out.text, new RegExp(`notices: 1 sent via 127\\.0\\.0\\.1:${s.port}, 0 failed`));
  assert.deepEqual(s.messages.map((m) => [m.from, m.to]), [[from, [box.holderContactEmail]]]);
});
