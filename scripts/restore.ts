/**
 * `npm run restore -- --from DIR`: restores a backup made by `npm run backup` onto an EMPTY install
 * (migrated database without rows, empty Maildir root). Checks every checksum first; refuses a
 * non-empty database or Maildir root.
 */
import { parseArgs } from 'node:util';
import { getConfig } from '../lib/config';
import { restoreBackup } from '../lib/ops/backup';
import { openDatabase, progress, runScript } from '../lib/ops/cli';

runScript('restore', async () => {
  const { values } = parseArgs({ options: { from: { type: 'string' } } });
  if (!values.from) throw new Error('Usage: npm run restore -- --from DIR');
  const config = getConfig();
  const db = await openDatabase('restore', config);
  try {
    const m = await restoreBackup({ databaseUrl: db.url, maildirRoot: config.maildirRoot, dataDir: config.dataDir, fromDir: values.from, log: (t) => progress('restore', t) });
    progress('restore', `done: backup of ${m.createdAt} restored (${m.tables.reduce((n, t) => n + t.rows, 0)} rows)`);
  } finally {
    await db.stop();
  }
});
