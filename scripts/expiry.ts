/**
 * `npm run expiry [-- --now <ISO date>]`: the mailbox lifecycle job (lib/lifecycle/expiry.ts) —
 * reminders at 60/30/7 days, automatic renewal or expiry, cessation after PEC_EXPIRY_GRACE_DAYS —
 * then the notice sender (lib/lifecycle/notice-sender.ts) mails the queued notices through
 * PEC_NOTICE_SMTP_HOST. Idempotent: run it every hour (cron or a systemd timer). --now tries a date out.
 */
import { parseArgs } from 'node:util';
import { getConfig } from '../lib/config';
import { getPrisma } from '../lib/db/client';
import { runExpiry } from '../lib/lifecycle/expiry';
import { outboxState, sendQueuedNotices } from '../lib/lifecycle/notice-sender';
import { openDatabase, progress, runScript } from '../lib/ops/cli';

runScript('expiry', async () => {
  const { values } = parseArgs({ options: { now: { type: 'string' } } });
  const now = values.now ? new Date(values.now) : new Date();
  if (Number.isNaN(now.getTime())) throw new Error(`--now must be a date such as 2027-01-31T10:00:00Z (got ${values.now})`);
  const config = getConfig();
  const db = await openDatabase('expiry');
  try {
    const r = await runExpiry(getPrisma(), { now, graceDays: config.lifecycle.graceDays, timeZone: config.provider.timeZone });
    progress(
      'expiry',
      `${now.toISOString()}: ${r.reminders} reminder(s) queued, ${r.renewed} renewed automatically, ${r.expired} expired (suspended), ${r.ceased} ceased`,
    );
    const { smtp, from } = config.notices;
    if (smtp) {
      const s = await sendQueuedNotices(getPrisma(), { relay: smtp, from, now });
      progress('expiry', `notices: ${s.sent} sent via ${smtp.host}:${smtp.port}, ${s.failed} failed (retried later${s.abandoned ? `; ${s.abandoned} given up` : ''})`);
    }
    const o = await outboxState(getPrisma());
    if (!smtp && o.waiting > 0) progress('expiry', `notices: ${o.waiting} queued, not sent (PEC_NOTICE_SMTP_HOST unset)`);
    if (o.noAddress > 0) progress('expiry', `notices: ${o.noAddress} without a holder contact address (never sent)`);
    if (o.abandoned > 0) progress('expiry', `notices: ${o.abandoned} given up after repeated failures (see mailbox_notices.last_error)`);
  } finally {
    await db.stop();
  }
});
