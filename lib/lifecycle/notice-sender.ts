/**
 * Sends the lifecycle notices queued in `mailbox_notices` (the outbox the expiry job fills) to the
 * holders' ordinary contact addresses through an SMTP relay (PEC_NOTICE_SMTP_*).
 *
 * Exactly once between runners: a notice is claimed by one UPDATE … RETURNING whose sub-select
 * locks with SKIP LOCKED, and the claim holds it for a lease, so two runners at once never take
 * the same one; it is marked sent once the relay accepted it. A failure leaves it for a later run
 * (backoff doubling from 15 minutes to a day) until `maxAttempts`. A runner killed between the
 * relay's 250 and the mark sends that one again once its lease expires: the Message-ID derived
 * from the notice lets the recipient's mail system recognise the repeat.
 */
import nodemailer from 'nodemailer';
import type { PrismaClient } from '@/lib/db';

export interface NoticeRelay {
  host: string;
  port: number;
  /** implicit TLS; otherwise STARTTLS when offered */
  secure: boolean;
  auth?: { user: string; pass: string };
}

export interface SendNoticesOptions {
  relay: NoticeRelay;
  from: string;
  now?: Date;
  /** notices claimed per round (rounds go on until none is left) */
  batchSize?: number;
  /** how long a claim holds a notice against other runners */
  leaseMs?: number;
  maxAttempts?: number;
  /** the domain of the Message-IDs (default: the From's) */
  messageIdDomain?: string;
}

export interface SendNoticesReport {
  sent: number;
  failed: number;
  /** failures of notices that have now used up their attempts */
  abandoned: number;
}

export const defaultMaxAttempts = 8;
const minute = 60_000;
const firstRetryMs = 15 * minute;
const maxRetryMs = 24 * 60 * minute;

/** Delay before the next attempt after `attempts` failed ones: 15 min, 30 min, 1 h, … at most a day. */
export function retryDelayMs(attempts: number): number {
  return Math.min(maxRetryMs, firstRetryMs * 2 ** Math.max(0, attempts - 1));
}

interface ClaimedNotice {
  id: bigint;
  recipient: string;
  subject: string;
  body: string;
  attempts: number;
}

/** Claims up to `limit` notices due at `now` for `leaseMs`; each is then this runner's alone. */
async function claimNotices(db: PrismaClient, now: Date, limit: number, leaseMs: number, maxAttempts: number): Promise<ClaimedNotice[]> {
  const until = new Date(now.getTime() + leaseMs);
  return db.$queryRaw<ClaimedNotice[]>`
    UPDATE mailbox_notices n
       SET claimed_until = ${until}::timestamptz, attempts = n.attempts + 1
     WHERE n.id IN (
       SELECT id FROM mailbox_notices
        WHERE sent_at IS NULL AND recipient IS NOT NULL AND attempts < ${maxAttempts}
          AND (next_attempt_at IS NULL OR next_attempt_at <= ${now}::timestamptz)
          AND (claimed_until IS NULL OR claimed_until <= ${now}::timestamptz)
        ORDER BY created_at, id
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED)
    RETURNING n.id, n.recipient, n.subject, n.body, n.attempts`;
}

/** Drains the outbox: every due notice is sent, or left for a later run with its error. */
export async function sendQueuedNotices(db: PrismaClient, options: SendNoticesOptions): Promise<SendNoticesReport> {
  const now = options.now ?? new Date();
  const batchSize = options.batchSize ?? 100;
  const leaseMs = options.leaseMs ?? 10 * minute;
  const maxAttempts = options.maxAttempts ?? defaultMaxAttempts;
  const domain = options.messageIdDomain ?? options.from.split('@')[1];
  const { relay } = options;
  const transport = nodemailer.createTransport({
    host: relay.host,
    port: relay.port,
    secure: relay.secure,
    auth: relay.auth,
    // one connection reused for the whole run; an unreachable relay fails fast, the next run retries
    pool: true,
    maxConnections: 1,
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 60_000,
  });
  const report: SendNoticesReport = { sent: 0, failed: 0, abandoned: 0 };
  try {
    for (;;) {
      const claimed = await claimNotices(db, now, batchSize, leaseMs, maxAttempts);
      if (claimed.length === 0) break;
      for (const notice of claimed) {
        try {
          await transport.sendMail({
            from: options.from,
            to: notice.recipient,
            subject: notice.subject,
            text: notice.body,
            messageId: `<notice-${notice.id}@${domain}>`,
            // RFC 3834: no out-of-office answers to a machine
            headers: { 'Auto-Submitted': 'auto-generated' },
          });
        } catch (err) {
          report.failed++;
          if (notice.attempts >= maxAttempts) report.abandoned++;
          const message = err instanceof Error ? err.message : String(err);
          await db.$executeRaw`
            UPDATE mailbox_notices
               SET claimed_until = NULL, last_error = ${message.slice(0, 1000)},
                   next_attempt_at = ${new Date(now.getTime() + retryDelayMs(notice.attempts))}::timestamptz
             WHERE id = ${notice.id} AND sent_at IS NULL`;
          continue;
        }
        await db.$executeRaw`
          UPDATE mailbox_notices SET sent_at = ${now}::timestamptz, claimed_until = NULL, last_error = NULL
           WHERE id = ${notice.id} AND sent_at IS NULL`;
        report.sent++;
      }
    }
  } finally {
    transport.close();
  }
  return report;
}

/** Notices still waiting: due or later, and those without an address or out of attempts. */
export async function outboxState(
  db: PrismaClient,
  maxAttempts = defaultMaxAttempts,
): Promise<{ waiting: number; noAddress: number; abandoned: number }> {
  const [r] = await db.$queryRaw<{ waiting: bigint; no_address: bigint; abandoned: bigint }[]>`
    SELECT count(*) FILTER (WHERE recipient IS NOT NULL AND attempts < ${maxAttempts}) AS waiting,
           count(*) FILTER (WHERE recipient IS NULL) AS no_address,
           count(*) FILTER (WHERE recipient IS NOT NULL AND attempts >= ${maxAttempts}) AS abandoned
      FROM mailbox_notices WHERE sent_at IS NULL`;
  return { waiting: Number(r.waiting), noAddress: Number(r.no_address), abandoned: Number(r.abandoned) };
}
