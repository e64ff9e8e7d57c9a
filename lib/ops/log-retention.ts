/**
 * The transmission-log retention job (spec §5.2: 30 months, unmodified): creates the coming months'
 * partitions and DROPs whole month partitions older than the retention period. A dry run lists
 * both without changing anything. Nothing younger than 30 months can go: a longer retention may be
 * asked for, a shorter one is refused, and the drop itself is guarded again in lib/db.
 */
import type { PrismaClient } from '../db/client';
import {
  addUtcMonths,
  dropTransmissionLogPartitionsOlderThan,
  ensureTransmissionLogPartitions,
  listTransmissionLogPartitions,
  transmissionLogRetentionCutoff,
  transmissionLogRetentionMonths,
  type LogPartition,
} from '../db/transmission-log';

export interface LogRetentionOptions {
  /** drop and create for real (default: dry run) */
  apply?: boolean;
  /** months after the current one that must have a partition (default 3) */
  monthsAhead?: number;
  /** retention in months, at least 30 (default 30) */
  keepMonths?: number;
  now?: Date;
}

export interface LogRetentionReport {
  cutoff: Date;
  /** partitions dropped (or, in a dry run, that would be) */
  dropped: LogPartition[];
  /** partitions created (or, in a dry run, missing months that would be created) */
  created: string[];
  applied: boolean;
}

const partitionName = (month: Date): string =>
  `transmission_log_y${month.getUTCFullYear()}m${String(month.getUTCMonth() + 1).padStart(2, '0')}`;

export async function runLogRetention(db: PrismaClient, options: LogRetentionOptions = {}): Promise<LogRetentionReport> {
  const now = options.now ?? new Date();
  const keepMonths = options.keepMonths ?? transmissionLogRetentionMonths;
  const monthsAhead = options.monthsAhead ?? 3;
  if (!Number.isInteger(keepMonths) || keepMonths < transmissionLogRetentionMonths) {
    throw new Error(`Refusing a retention of ${keepMonths} months: the transmission log must be kept at least ${transmissionLogRetentionMonths} months`);
  }
  if (!Number.isInteger(monthsAhead) || monthsAhead < 0 || monthsAhead > 120) {
    throw new Error(`--months-ahead must be an integer between 0 and 120 (got ${monthsAhead})`);
  }
  const cutoff = transmissionLogRetentionCutoff(now, keepMonths);
  const from = addUtcMonths(now, -1);
  if (!options.apply) {
    const existing = new Set((await listTransmissionLogPartitions(db)).map((p) => p.name));
    const missing: string[] = [];
    for (let i = 0; i <= monthsAhead + 1; i++) {
      const name = partitionName(addUtcMonths(from, i));
      if (!existing.has(name)) missing.push(name);
    }
    const dropped = await dropTransmissionLogPartitionsOlderThan(cutoff, { dryRun: true, now }, db);
    return { cutoff, dropped, created: missing, applied: false };
  }
  // create first: a failure below must never leave the coming month without a partition
  const created = await ensureTransmissionLogPartitions({ from, monthsAhead: monthsAhead + 1 }, db);
  const dropped = await dropTransmissionLogPartitionsOlderThan(cutoff, { now }, db);
  return { cutoff, dropped, created, applied: true };
}
