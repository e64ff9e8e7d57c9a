/**
 * The mailbox lifecycle, run every hour by `npm run expiry` (safe to run as often as wished):
 *
 *   ACTIVE ──(60/30/7 days before expiry: reminder to the holder's ordinary contact address)──▶
 *   at expiry: AUTOMATIC renewal → one more year from the old expiry (recorded), still ACTIVE;
 *              MANUAL → EXPIRED: readable, cannot send (the MTA admits only ACTIVE senders)
 *   EXPIRED for the grace period (PEC_EXPIRY_GRACE_DAYS) → CEASED
 *
 * Idempotent: every step is a conditional update (it changes only rows still in the state it
 * expects) plus a notice whose unique key (mailbox, kind, expiry) makes a second run a no-op.
 * Notices are the outbox: rows with sentAt null are what a transport still has to send.
 */
import type { Prisma, PrismaClient } from '@/lib/db';
import { recordAuditEvent } from '@/lib/audit/record';
import { addYears } from '@/lib/requests/provisioning';
import { noticeText, type NoticeKind } from './notices';

export const reminderDays = [60, 30, 7] as const;
const day = 86_400_000;

export interface ExpiryOptions {
  now: Date;
  graceDays: number;
  timeZone?: string;
  /** rows handled per step and run (the next hourly run continues) */
  batchSize?: number;
}

export interface ExpiryReport {
  reminders: number;
  renewed: number;
  expired: number;
  ceased: number;
}

type Tx = Prisma.TransactionClient;

interface MailboxRow {
  id: string;
  address: string;
  organizationId: string;
  holderContactEmail: string | null;
  expiresAt: Date;
  renewalMode: 'AUTOMATIC' | 'MANUAL';
  status: string;
}

const select = { id: true, address: true, organizationId: true, holderContactEmail: true, expiresAt: true, renewalMode: true, status: true } as const;

/** Writes the notice unless it exists; true when this call wrote it. */
async function addNotice(tx: Tx, m: MailboxRow, kind: NoticeKind, text: { subject: string; body: string }): Promise<boolean> {
  const rows = await tx.mailboxNotice.createMany({
    data: [{ mailboxId: m.id, kind, expiresAt: m.expiresAt, recipient: m.holderContactEmail, subject: text.subject, body: text.body }],
    skipDuplicates: true,
  });
  return rows.count === 1;
}

const system = { actorEmail: 'system:expiry' };

export async function runExpiry(db: PrismaClient, options: ExpiryOptions): Promise<ExpiryReport> {
  const { now, graceDays } = options;
  const tz = options.timeZone ?? 'Europe/Rome';
  const take = options.batchSize ?? 1000;
  const report: ExpiryReport = { reminders: 0, renewed: 0, expired: 0, ceased: 0 };

  // 1. at expiry: automatic renewal, or expiry (suspended for sending)
  const due = await db.mailbox.findMany({ where: { status: 'ACTIVE', expiresAt: { lte: now } }, select, orderBy: { expiresAt: 'asc' }, take });
  for (const m of due) {
    await db.$transaction(async (tx) => {
      if (m.renewalMode === 'AUTOMATIC') {
        // a mailbox left far behind (job stopped for long) is brought past now in whole years
        let newExpiry = addYears(m.expiresAt, 1);
        while (newExpiry.getTime() <= now.getTime()) newExpiry = addYears(newExpiry, 1);
        const changed = await tx.mailbox.updateMany({ where: { id: m.id, status: 'ACTIVE', expiresAt: m.expiresAt }, data: { expiresAt: newExpiry } });
        if (changed.count === 0) return;
        await addNotice(tx, m, 'RENEWED', noticeText('RENEWED', { ...m, newExpiry }, tz));
        await recordAuditEvent(tx, system, {
          action: 'mailbox.auto_renew',
          entityType: 'Mailbox',
          entityId: m.id,
          before: { expiresAt: m.expiresAt },
          after: { expiresAt: newExpiry },
          organizationId: m.organizationId,
        });
        report.renewed++;
      } else {
        const changed = await tx.mailbox.updateMany({ where: { id: m.id, status: 'ACTIVE', expiresAt: m.expiresAt }, data: { status: 'EXPIRED', statusReason: 'scaduta' } });
        if (changed.count === 0) return;
        await addNotice(tx, m, 'EXPIRED', noticeText('EXPIRED', { ...m, ceasesAt: new Date(m.expiresAt.getTime() + graceDays * day) }, tz));
        await recordAuditEvent(tx, system, {
          action: 'mailbox.expire',
          entityType: 'Mailbox',
          entityId: m.id,
          before: { status: 'ACTIVE' },
          after: { status: 'EXPIRED' },
          organizationId: m.organizationId,
        });
        report.expired++;
      }
    });
  }

  // 2. after the grace period: cessation
  const ending = await db.mailbox.findMany({
    where: { status: 'EXPIRED', expiresAt: { lte: new Date(now.getTime() - graceDays * day) } },
    select,
    orderBy: { expiresAt: 'asc' },
    take,
  });
  for (const m of ending) {
    await db.$transaction(async (tx) => {
      const changed = await tx.mailbox.updateMany({ where: { id: m.id, status: 'EXPIRED' }, data: { status: 'CEASED', statusReason: 'cessata', ceasedAt: now } });
      if (changed.count === 0) return;
      await addNotice(tx, m, 'CEASED', noticeText('CEASED', m, tz));
      // the holder's portal account goes with the mailbox
      await tx.user.updateMany({ where: { mailboxId: m.id, role: 'MAILBOX_HOLDER' }, data: { disabled: true } });
      await recordAuditEvent(tx, system, {
        action: 'mailbox.cease',
        entityType: 'Mailbox',
        entityId: m.id,
        before: { status: 'EXPIRED' },
        after: { status: 'CEASED', ceasedAt: now },
        organizationId: m.organizationId,
      });
      report.ceased++;
    });
  }

  // 3. reminders: only the tightest threshold reached (a mailbox created 20 days before its expiry
  // gets the 30-day reminder, not the 60-day one as well)
  const horizon = new Date(now.getTime() + Math.max(...reminderDays) * day);
  const upcoming = await db.mailbox.findMany({
    where: { status: 'ACTIVE', expiresAt: { gt: now, lte: horizon } },
    select: { ...select, notices: { where: { kind: { startsWith: 'REMINDER_' } }, select: { kind: true, expiresAt: true } } },
    orderBy: { expiresAt: 'asc' },
    take,
  });
  for (const m of upcoming) {
    const left = m.expiresAt.getTime() - now.getTime();
    const threshold = [...reminderDays].sort((a, b) => a - b).find((d) => left <= d * day)!;
    const sent = m.notices.filter((n) => n.expiresAt.getTime() === m.expiresAt.getTime()).map((n) => Number(n.kind.slice(9)));
    if (sent.some((d) => d <= threshold)) continue;
    const kind = `REMINDER_${threshold}` as NoticeKind;
    if (await addNotice(db as unknown as Tx, m, kind, noticeText(kind, m, tz))) report.reminders++;
  }
  return report;
}
