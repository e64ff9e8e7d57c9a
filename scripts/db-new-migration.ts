/**
 * `npm run db:new-migration -- <name>`: after editing prisma/schema.prisma, writes
 * prisma/migrations/<UTC timestamp>_<name>/migration.sql with the SQL that takes the database from
 * the last migrated schema (prisma/migrations/schema.snapshot.prisma) to the current one, then
 * updates the snapshot. Review the SQL (hand edits are fine before it is applied anywhere; never
 * after), then `npm run db:migrate`.
 *
 * Why a snapshot: `prisma migrate dev` needs a shadow database and fails through the driver
 * adapter. `prisma migrate diff` between two schema files works, but Prisma's JS schema engine
 * still wants a live connection, so a throw-away embedded PostgreSQL is started for it.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startTestDatabase } from '../lib/db/testing';

const root = path.resolve(__dirname, '..');
const migrationsDir = path.join(root, 'prisma', 'migrations');
const schema = path.join(root, 'prisma', 'schema.prisma');
const snapshot = path.join(migrationsDir, 'schema.snapshot.prisma');

function timestamp(now: Date): string {
  return now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

async function main(): Promise<void> {
  const name = process.argv[2];
  if (!name || !/^[a-z0-9_]+$/.test(name)) {
    throw new Error(
      'Usage: npm run db:new-migration -- <name>   (name: lower-case letters, digits, underscores)',
    );
  }
  if (!existsSync(snapshot))
    throw new Error(`Missing ${path.relative(root, snapshot)}: the schema of the last migration`);
  const db = await startTestDatabase({ migrate: false });
  let sql: string;
  try {
    const diff = spawnSync(
      process.execPath,
      [
        path.join(root, 'node_modules', 'prisma', 'build', 'index.js'),
        'migrate',
        'diff',
        '--from-schema-datamodel',
        snapshot,
        '--to-schema-datamodel',
        schema,
        '--script',
      ],
      { cwd: root, encoding: 'utf8', env: { ...process.env, DATABASE_URL: db.url } },
    );
    if (diff.status !== 0) throw new Error(`prisma migrate diff failed:\n${diff.stderr}`);
    sql = diff.stdout;
  } finally {
    await db.stop();
  }
  if (!/^\s*[A-Z]/m.test(sql.replace(/^--.*$/gm, ''))) {
    console.log('prisma/schema.prisma matches the last migration: nothing to write.');
    return;
  }
  const folder = path.join(migrationsDir, `${timestamp(new Date())}_${name}`);
  mkdirSync(folder);
  writeFileSync(path.join(folder, 'migration.sql'), sql);
  copyFileSync(schema, snapshot);
  console.log(`Wrote ${path.relative(root, folder)}/migration.sql; review it, then npm run db:migrate.`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
