/**
 * `npm run backup -- --out DIR`: database snapshot + Maildir archive + manifest with checksums
 * into a new folder DIR (see lib/ops/backup.ts). Copy DIR off the machine afterwards.
 */
import { parseArgs } from 'node:util';
import { getConfig } from '../lib/config';
import { createBackup } from '../lib/ops/backup';
import { openDatabase, progress, runScript } from '../lib/ops/cli';

runScript('backup', async () => {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  if (!values.out) throw new Error('Usage: npm run backup -- --out DIR');
  const config = getConfig();
  const db = await openDatabase('backup', config);
  try {
    const m = await createBackup({ databaseUrl: db.url, maildirRoot: config.maildirRoot, dataDir: config.dataDir, outDir: values.out, log: (t) => progress('backup', t) });
    const rows = m.tables.reduce((n, t) => n + t.rows, 0);
    progress('backup', `done: ${m.tables.length} tables, ${rows} rows, Maildirs, manifest in ${values.out}`);
  } finally {
    await db.stop();
  }
});
