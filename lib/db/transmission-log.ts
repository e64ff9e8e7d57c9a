/**
 * Monthly partitions of the transmission log (see the SQL functions in the init migration).
 * Partitions are created ahead of time; old months leave by DROPping their whole partition, so
 * retention never rewrites or deletes rows one by one. The law asks for 30 months of log.
 */
import { getPrisma, type PrismaClient } from './client';

/** Months the transmission log must be kept. */
export const transmissionLogRetentionMonths = 30;

export interface LogPartition {
  name: string;
  /** first instant of the UTC month (inclusive) */
  from: Date;
  /** first instant of the next UTC month (exclusive) */
  to: Date;
}

/**
 * Creates the partitions from `from`'s month to `monthsAhead` months later (default: last month
 * to three months ahead), and moves rows waiting in the default partition into partitions of
 * their own. Returns the names of the partitions created. Safe to run concurrently and often.
 */
export async function ensureTransmissionLogPartitions(
  options: { from?: Date; monthsAhead?: number } = {},
  db: PrismaClient = getPrisma(),
): Promise<string[]> {
  const from = options.from ?? addUtcMonths(new Date(), -1);
  const monthsAhead = options.monthsAhead ?? 4;
  const rows = await db.$queryRaw<{ name: string }[]>`
    SELECT transmission_log_ensure_partitions(${from}::timestamptz, ${monthsAhead}::integer) AS name`;
  return rows.map((r) => r.name);
}

/** The monthly partitions, oldest first (the default partition is not listed). */
export async function listTransmissionLogPartitions(db: PrismaClient = getPrisma()): Promise<LogPartition[]> {
  const rows = await db.$queryRaw<{ partition_name: string; range_start: Date; range_end: Date }[]>`
    SELECT partition_name, range_start, range_end FROM transmission_log_partitions()`;
  return rows.map((r) => ({ name: r.partition_name, from: r.range_start, to: r.range_end }));
}

/** The first instant of the UTC month `months` away from `date`'s month. */
export function addUtcMonths(date: Date, months: number): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + months, 1));
}

/** The instant before which log rows may go: `now` minus the retention period. */
export function transmissionLogRetentionCutoff(
  now: Date = new Date(),
  months = transmissionLogRetentionMonths,
): Date {
  const cutoff = new Date(now);
  cutoff.setUTCMonth(cutoff.getUTCMonth() - months);
  return cutoff;
}

export interface DropOptions {
  /** list what would be dropped, drop nothing */
  dryRun?: boolean;
  /** clock for the 30-month guard; default now */
  now?: Date;
  /**
   * Tests only: allow a cutoff younger than the 30-month retention. Production code never sets
   * this; the guard is what stops a wrong date from destroying log the law requires.
   */
  allowCutoffWithinRetention?: boolean;
}

/**
 * DROPs every monthly partition lying wholly before `cutoff` (its end ≤ cutoff), returning them.
 * Rows of younger months are untouched, as is the default partition. Refuses a cutoff inside the
 * 30-month retention period unless `allowCutoffWithinRetention` is given.
 */
export async function dropTransmissionLogPartitionsOlderThan(
  cutoff: Date,
  options: DropOptions = {},
  db: PrismaClient = getPrisma(),
): Promise<LogPartition[]> {
  const limit = transmissionLogRetentionCutoff(options.now);
  if (cutoff > limit && !options.allowCutoffWithinRetention) {
    throw new Error(
      `Refusing to drop transmission log younger than ${transmissionLogRetentionMonths} months: cutoff ${cutoff.toISOString()} is after ${limit.toISOString()}`,
    );
  }
  const doomed = (await listTransmissionLogPartitions(db)).filter((p) => p.to <= cutoff);
  if (options.dryRun || doomed.length === 0) return doomed;
  await db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('transmission_log_partitions'))`;
    for (const p of doomed) {
      // names come from pg_class and match our own pattern; checked anyway before splicing into SQL
      if (!/^transmission_log_y\d{4}m\d{2}$/.test(p.name))
        throw new Error(`Unexpected partition name ${p.name}`);
      await tx.$executeRawUnsafe(`DROP TABLE IF EXISTS public."${p.name}"`);
      // the month lookup of the log search (derived data) forgets the month with it
      await tx.$executeRaw`DELETE FROM log_index.message_months WHERE month_start >= ${p.from} AND month_start < ${p.to}`;
      // and the keys of the facts logged `once` in that month (nothing can repeat them 30 months on)
      await tx.$executeRaw`DELETE FROM transmission_log_once_facts WHERE occurred_at >= ${p.from} AND occurred_at < ${p.to}`;
    }
  });
  return doomed;
}

/**
 * The retention policy (run monthly by the maintenance job): drops the partitions older than
 * 30 months before `now`, after making sure the coming months have partitions.
 */
export async function applyTransmissionLogRetention(
  options: { now?: Date; dryRun?: boolean } = {},
  db: PrismaClient = getPrisma(),
): Promise<{ created: string[]; dropped: LogPartition[]; cutoff: Date }> {
  const now = options.now ?? new Date();
  const created = options.dryRun
    ? []
    : await ensureTransmissionLogPartitions({ from: addUtcMonths(now, -1) }, db);
  const cutoff = transmissionLogRetentionCutoff(now);
  const dropped = await dropTransmissionLogPartitionsOlderThan(cutoff, { dryRun: options.dryRun, now }, db);
  return { created, dropped, cutoff };
}
