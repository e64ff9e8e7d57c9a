/**
 * A throw-away database for tests: a real embedded PostgreSQL in a temporary folder on a free
 * loopback port, migrated (and optionally seeded). Start one per test file and share it across
 * that file's tests; stop() shuts it down and deletes the folder.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../config';
import { createPrisma, type PrismaClient } from './client';
import { startEmbeddedPostgres, stopServersOnSignals, type EmbeddedPostgresHandle } from './embedded';
import { applyMigrations } from './migrations';
import { seedDatabase, type SeededCredentials } from './seed';
import { ensureTransmissionLogPartitions } from './transmission-log';

import { findFreePort } from '../testing/free-port';

export { findFreePort };

export interface TestDatabase {
  url: string;
  /** a client of its own for this database */
  prisma: PrismaClient;
  /** a configuration whose DATABASE_URL is this database and PEC_DATA_DIR a temp folder */
  config: Config;
  server: EmbeddedPostgresHandle;
  /** the folder holding the cluster (and usable as PEC_DATA_DIR) */
  dir: string;
  seeded?: SeededCredentials;
  stop(): Promise<void>;
}

export async function startTestDatabase(
  options: { migrate?: boolean; seed?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<TestDatabase> {
  // a test file killed by a signal (runner timeout, Ctrl-C) must not leave its server running
  stopServersOnSignals();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pec-testdb-'));
  // run as root, PostgreSQL runs as the `postgres` user, which must be able to enter the folder
  await chmod(dir, 0o755);
  const server = await startEmbeddedPostgres({
    dataDir: path.join(dir, 'postgres'),
    port: await findFreePort(),
  });
  const config = loadConfig({ ...options.env, DATABASE_URL: server.url, PEC_DATA_DIR: dir });
  const prisma = createPrisma(server.url);
  let seeded: SeededCredentials | undefined;
  try {
    if (options.migrate ?? true) {
      await applyMigrations(server.url);
      await ensureTransmissionLogPartitions({}, prisma);
      if (options.seed) seeded = await seedDatabase(config, prisma);
    }
  } catch (err) {
    await prisma.$disconnect();
    await server.stop();
    throw err;
  }
  return {
    url: server.url,
    prisma,
    config,
    server,
    dir,
    seeded,
    stop: async () => {
      await prisma.$disconnect();
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
