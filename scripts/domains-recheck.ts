/**
 * `npm run domains:recheck` — re-checks the DNS records of every verified domain (run it from cron,
 * e.g. hourly). Domains whose records broke become FAILED with their problems (shown in the portal
 * and recorded in the audit trail); repaired ones become VERIFIED again. Exit code 1 when a domain
 * broke in this run, so cron mail or monitoring notices.
 */
import { getConfig } from '../lib/config';
import { getPrisma } from '../lib/db/client';
import { dnsCheckDepsFromConfig, recheckDomains } from '../lib/dns/domain-check';
import { openDatabase, progress, runScript } from '../lib/ops/cli';

runScript('domains', async () => {
  const db = await openDatabase('domains');
  let broken = 0;
  try {
    const summary = await recheckDomains(getPrisma(), dnsCheckDepsFromConfig(getConfig()));
    for (const b of summary.broken) progress('domains', `BROKEN ${b.name}: ${b.problems.map((p) => p.code + (p.detail ? ` (${p.detail})` : '')).join(', ')}`);
    for (const name of summary.repaired) progress('domains', `repaired ${name}`);
    progress('domains', `${summary.checked} domain(s) checked, ${summary.broken.length} broke, ${summary.repaired.length} repaired`);
    broken = summary.broken.length;
  } finally {
    await db.stop();
  }
  if (broken > 0) throw new Error(`${broken} domain(s) with broken DNS records`);
});
