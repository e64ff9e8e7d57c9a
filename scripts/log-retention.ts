/**
 * `npm run log:retention [-- --apply] [--months-ahead N] [--keep-months M]`
 * Transmission-log retention: lists (dry run, the default) or drops the month partitions older than
 * 30 months (or M ≥ 30), and creates partitions for the next N months (default 3); the virus store
 * (PEC_VIRUS_STORE_DIR) loses its month folders older than the same limit. Run it daily.
 */
import { parseArgs } from 'node:util';
import { getConfig } from '../lib/config';
import { getPrisma } from '../lib/db/client';
import { openDatabase, progress, runScript } from '../lib/ops/cli';
import { runLogRetention } from '../lib/ops/log-retention';
import { VirusStore } from '../mail/mta/virus-store';

const integer = (name: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new Error(`--${name} must be a whole number (got ${v})`);
  return Number(v);
};

runScript('retention', async () => {
  const { values } = parseArgs({
    options: { apply: { type: 'boolean' }, 'months-ahead': { type: 'string' }, 'keep-months': { type: 'string' } },
  });
  const db = await openDatabase('retention');
  try {
    const r = await runLogRetention(getPrisma(), {
      apply: values.apply,
      monthsAhead: integer('months-ahead', values['months-ahead']),
      keepMonths: integer('keep-months', values['keep-months']),
    });
    const verb = r.applied ? 'dropped' : 'would drop';
    progress('retention', `cutoff ${r.cutoff.toISOString()} (partitions ending on or before it go)`);
    for (const p of r.dropped) progress('retention', `${verb} ${p.name} (${p.from.toISOString().slice(0, 7)})`);
    for (const name of r.created) progress('retention', `${r.applied ? 'created' : 'would create'} ${name}`);
    progress('retention', `${r.dropped.length} partition(s) ${verb}, ${r.created.length} ${r.applied ? 'created' : 'to create'}${r.applied ? '' : ' (dry run: add --apply)'}`);
    const store = new VirusStore(getConfig().virusStoreDir);
    const v = await store.prune({ apply: values.apply, keepMonths: integer('keep-months', values['keep-months']) });
    const removal = v.applied ? 'removed' : 'would remove';
    for (const month of v.months) progress('retention', `virus store: ${removal} ${month}`);
    progress('retention', `virus store ${store.dir}: ${v.months.length} month(s) ${removal}`);
  } finally {
    await db.stop();
  }
});
