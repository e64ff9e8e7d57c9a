/**
 * `npm run db:migrate`: applies pending migrations to DATABASE_URL, or to the embedded PostgreSQL
 * under PEC_DATA_DIR when it is unset (started for the occasion, or reused if already running).
 */
import { ensureDatabase } from '../lib/db/ensure-database';

async function main(): Promise<void> {
  const db = await ensureDatabase(undefined, { seed: false });
  const { applied, alreadyApplied, unknownApplied } = db.migrations;
  console.log(`[db] ${applied.length} migration(s) applied, ${alreadyApplied.length} already applied`);
  if (unknownApplied.length > 0)
    console.warn(`[db] applied in the database but not found here: ${unknownApplied.join(', ')}`);
  await db.stop();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
