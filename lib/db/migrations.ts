/**
 * Our migration runner: `prisma migrate deploy` does not work through the pg driver adapter
 * (prisma/orm#27403), so this applies `prisma/migrations/<timestamp>_<name>/migration.sql` itself,
 * keeping Prisma's own `_prisma_migrations` bookkeeping so `prisma migrate status` agrees.
 *
 * - in name order, each migration and its record in one transaction (all or nothing);
 * - serialised across processes by Prisma's own advisory lock key, so two starting processes (or a
 *   Prisma CLI) never migrate at once; the second finds everything applied;
 * - refuses to run when an applied migration's file changed (SHA-256 checksum, as Prisma computes it).
 * Statements that cannot run inside a transaction (CREATE INDEX CONCURRENTLY) are not supported.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';

/** The advisory lock key Prisma's schema engine takes around migrations. */
export const migrationLockKey = 72707369;

// Prisma's exact DDL for its bookkeeping table.
const createMigrationsTable = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
);`;

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrationResult {
  /** migrations applied by this call, in order */
  applied: string[];
  /** migrations found already applied */
  alreadyApplied: string[];
  /** recorded in the database but absent from the folder (a newer release migrated it) */
  unknownApplied: string[];
}

export class MigrationError extends Error {
  constructor(
    readonly migration: string,
    message: string,
  ) {
    super(message);
    this.name = 'MigrationError';
  }
}

/** The repository's prisma/migrations, found from this file or, once bundled, from the working folder. */
export function defaultMigrationsDir(): string {
  const beside = path.resolve(__dirname, '..', '..', 'prisma', 'migrations');
  return existsSync(beside) ? beside : path.resolve(process.cwd(), 'prisma', 'migrations');
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/** Prisma's checksum of a migration: SHA-256 hex of the file's bytes. */
export function migrationChecksum(sql: string | Buffer): string {
  return createHash('sha256').update(sql).digest('hex');
}

/** The migrations in a folder, in the order they apply (their names start with a timestamp). */
export async function readMigrations(dir: string = defaultMigrationsDir()): Promise<MigrationFile[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory() && existsSync(path.join(dir, e.name, 'migration.sql')))
    .map((e) => e.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const bytes = await readFile(path.join(dir, name, 'migration.sql'));
      return { name, sql: bytes.toString('utf8'), checksum: migrationChecksum(bytes) };
    }),
  );
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/** Applies the pending migrations of `migrationsDir` to the database at `url`. Idempotent. */
export async function applyMigrations(
  url: string,
  options: { migrationsDir?: string; log?: (line: string) => void } = {},
): Promise<MigrationResult> {
  const migrations = await readMigrations(options.migrationsDir);
  const log = options.log ?? (() => undefined);
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(`Cannot connect to the database ${redactUrl(url)}: ${(err as Error).message}`);
  }
  try {
    await client.query('SELECT pg_advisory_lock($1)', [migrationLockKey]);
    try {
      await client.query(createMigrationsTable);
      const rows = (
        await client.query<AppliedRow>(
          'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at',
        )
      ).rows.filter((r) => r.rolled_back_at === null);
      const applied = new Map(rows.filter((r) => r.finished_at !== null).map((r) => [r.migration_name, r]));
      const failed = rows.find((r) => r.finished_at === null);
      if (failed) {
        throw new MigrationError(
          failed.migration_name,
          `Migration ${failed.migration_name} is recorded as started but not finished; fix the database by hand, then mark it rolled back (prisma migrate resolve --rolled-back ${failed.migration_name}).`,
        );
      }
      for (const m of migrations) {
        const row = applied.get(m.name);
        if (row && row.checksum !== m.checksum) {
          throw new MigrationError(
            m.name,
            `Migration ${m.name} was changed after it was applied (checksum ${row.checksum} in the database, ${m.checksum} on disk). Applied migrations must never be edited: restore the file and put the change in a new migration.`,
          );
        }
      }

      const result: MigrationResult = {
        applied: [],
        alreadyApplied: migrations.filter((m) => applied.has(m.name)).map((m) => m.name),
        unknownApplied: [...applied.keys()].filter((name) => !migrations.some((m) => m.name === name)),
      };
      for (const m of migrations) {
        if (applied.has(m.name)) continue;
        const startedAt = new Date();
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query(
            `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
             VALUES ($1, $2, now(), $3, NULL, NULL, $4, 1)`,
            [randomUUID(), m.checksum, m.name, startedAt],
          );
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw new MigrationError(
            m.name,
            `Migration ${m.name} failed and was rolled back: ${(err as Error).message}`,
          );
        }
        log(`[db] applied migration ${m.name}`);
        result.applied.push(m.name);
      }
      return result;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [migrationLockKey]).catch(() => undefined);
    }
  } finally {
    await client.end();
  }
}
