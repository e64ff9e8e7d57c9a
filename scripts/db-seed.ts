/**
 * `npm run db:seed`: migrates, then creates the provider organization, its domain and the first
 * provider admin (random password printed once) unless they already exist.
 */
import { ensureDatabase } from '../lib/db/ensure-database';

async function main(): Promise<void> {
  const db = await ensureDatabase();
  if (!db.seeded) console.log('[db] already seeded: nothing created');
  await db.stop();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
