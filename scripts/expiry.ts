/**
 * `npm run expiry [-- --now <ISO date>]`: the mailbox lifecycle job (lib/lifecycle/expiry.ts) —
 * reminders at 60/30/7 days, automatic renewal or expiry, cessation after PEC_EXPIRY_GRACE_DAYS.
 * Idempotent: run it every hour (cron or a systemd timer). --now tries a date out.
 */
import { parseArgs } from 'node:util';
import { getConfig } from '../lib/config';
import { getPrisma } from '../lib/db/client';
import { runExpiry } from '../lib/lifecycle/expiry';
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
  } finally {
    await db.stop();
  }
});
