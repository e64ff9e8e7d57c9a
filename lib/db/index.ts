/** The database API shared by the portal, the MTA and the scripts. */
export {
  ensureDatabase,
  embeddedDataDir,
  type DatabaseHandle,
  type EnsureDatabaseOptions,
} from './ensure-database';
export {
  createPrisma,
  getPrisma,
  disconnectPrisma,
  setDatabaseUrl,
  currentDatabaseUrl,
  PrismaClient,
} from './client';
export { startEmbeddedPostgres, type EmbeddedPostgresHandle, type EmbeddedPostgresOptions } from './embedded';
export {
  applyMigrations,
  readMigrations,
  migrationChecksum,
  MigrationError,
  type MigrationResult,
} from './migrations';
export { seedDatabase, formatSeededCredentials, type SeededCredentials } from './seed';
export {
  ensureTransmissionLogPartitions,
  listTransmissionLogPartitions,
  dropTransmissionLogPartitionsOlderThan,
  applyTransmissionLogRetention,
  transmissionLogRetentionCutoff,
  transmissionLogRetentionMonths,
  addUtcMonths,
  type LogPartition,
} from './transmission-log';
export { Prisma } from '../../prisma/generated/client';
export * from '../../prisma/generated/enums';
