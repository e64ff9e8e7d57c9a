/**
 * One call that makes the database ready, for the portal, the MTA and the scripts:
 * DATABASE_URL set → use that server (never start one); unset → start (or reuse) the embedded
 * PostgreSQL under PEC_DATA_DIR/postgres on EMBEDDED_PG_PORT. Then apply migrations, make sure the
 * transmission log has partitions for the coming months, and seed on first start.
 *
 * Afterwards getPrisma() points at that database, and process.env.DATABASE_URL is set to its URL
 * (unless exportEnv is false) so child processes (Haraka, scripts) reach the same database.
 */
import path from 'node:path';
import { getConfig, type Config } from '../config';
import { disconnectPrisma, getPrisma, setDatabaseUrl } from './client';
import { startEmbeddedPostgres } from './embedded';
import { applyMigrations, type MigrationResult } from './migrations';
import { formatSeededCredentials, seedDatabase, type SeededCredentials } from './seed';
import { ensureTransmissionLogPartitions } from './transmission-log';

export interface EnsureDatabaseOptions {
  /** seed on first start (default true) */
  seed?: boolean;
  /** where progress and the once-only credentials go (default console.log) */
  log?: (text: string) => void;
  /** set process.env.DATABASE_URL to the URL (default true) */
  exportEnv?: boolean;
  /** default prisma/migrations */
  migrationsDir?: string;
}

export interface DatabaseHandle {
  url: string;
  /** true when the embedded PostgreSQL serves this database */
  embedded: boolean;
  migrations: MigrationResult;
  /** the first admin's credentials, only on the start that created them (already printed) */
  seeded?: SeededCredentials;
  /** closes getPrisma()'s connections and stops the embedded server if this call started it */
  stop(): Promise<void>;
}

/** The embedded cluster's folder for a configuration. */
export function embeddedDataDir(config: Config): string {
  return path.join(config.dataDir, 'postgres');
}

export async function ensureDatabase(
  config: Config = getConfig(),
  options: EnsureDatabaseOptions = {},
): Promise<DatabaseHandle> {
  const log = options.log ?? ((text: string) => console.log(text));
  let url = config.databaseUrl;
  let stopServer: () => Promise<void> = async () => undefined;
  if (!url) {
    const server = await startEmbeddedPostgres({
      dataDir: embeddedDataDir(config),
      port: config.embeddedPgPort,
    });
    url = server.url;
    stopServer = server.stop;
    log(
      `[db] embedded PostgreSQL ${server.startedHere ? 'started' : server.owned ? 'adopted (left running by a killed process)' : 'already running'} on 127.0.0.1:${server.port} (${server.dataDir})`,
    );
  }
  try {
    const migrations = await applyMigrations(url, { migrationsDir: options.migrationsDir, log });
    setDatabaseUrl(url);
    if (options.exportEnv ?? true) process.env.DATABASE_URL = url;
    const db = getPrisma();
    await ensureTransmissionLogPartitions({}, db);
    const seeded = (options.seed ?? true) ? await seedDatabase(config, db) : undefined;
    if (seeded) log(formatSeededCredentials(seeded));
    return {
      url,
      embedded: !config.databaseUrl,
      migrations,
      seeded,
      stop: async () => {
        await disconnectPrisma();
        await stopServer();
      },
    };
  } catch (err) {
    await disconnectPrisma().catch(() => undefined);
    await stopServer().catch(() => undefined);
    throw err;
  }
}
