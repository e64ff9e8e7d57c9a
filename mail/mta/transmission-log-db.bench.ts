/**
 * What a transmission log write costs PostgreSQL, and that it does not grow with the log's months:
 * 10 concurrent writers send a message's events through DatabaseTransmissionLog (SUBMISSION, and
 * ACCETTAZIONE and BUSTA_RELAYED written `once`), first with the partitions a fresh install has,
 * then with 30 months more (30-month retention). Baseline, measured in the same run on the same
 * server: a one-row autocommit INSERT into a plain table at the same concurrency, PostgreSQL's floor
 * for a committed write. PEC_BENCH_LOG_MESSAGES sets the messages per round (default 3000).
 */
import os from 'node:os';
import { createSqlPool } from '@/lib/db/sql';
import { startTestDatabase } from '@/lib/db/testing';
import { postgresCpuSeconds } from './testing/process-cpu';
import { runPool } from './testing/run-pool';
import { DatabaseTransmissionLog } from './transmission-log-db';

const messages = Number(process.env.PEC_BENCH_LOG_MESSAGES ?? 3000);
const concurrency = 10;

async function main(): Promise<void> {
  const db = await startTestDatabase();
  const pool = createSqlPool(db.url);
  try {
    const log = new DatabaseTransmissionLog(pool);
    const cpu = () => postgresCpuSeconds([db.server.dataDir]);
    /** PostgreSQL CPU ms per item of `work`, run by `concurrency` writers. */
    const measure = async (n: number, work: (i: number) => Promise<unknown>) => {
      const before = cpu();
      await runPool(n, concurrency, work);
      return ((cpu() - before) * 1000) / n;
    };
    let seq = 0;
    const writeMessage = async () => {
      const identificativo = `opec.bench${seq++}@pec.alfa.test`;
      await Promise.all([
        log.write({ type: 'SUBMISSION', identificativo, sender: 'alice@pec.alfa.test', outcome: 'OK' }),
        log.write({
          type: 'ACCETTAZIONE',
          identificativo,
          sender: 'alice@pec.alfa.test',
          outcome: 'OK',
          once: true,
        }),
        log.write({
          type: 'BUSTA_RELAYED',
          identificativo,
          sender: 'alice@pec.alfa.test',
          recipient: 'bob@pec.beta.test',
          counterpartProvider: 'Beta PEC S.r.l.',
          outcome: 'OK',
          once: true,
        }),
      ]);
    };
    await pool.query('CREATE TABLE bench_floor (id bigserial PRIMARY KEY, v text)');
    const floor = () => pool.query('INSERT INTO bench_floor (v) VALUES ($1)', ['x']);
    // warm-up: connections, plans, caches
    await measure(500, writeMessage);
    await measure(500, floor);

    const partitions = async () =>
      Number(
        (
          await pool.query<{ n: string }>(
            `SELECT count(*) AS n FROM pg_inherits WHERE inhparent = 'transmission_log'::regclass`,
          )
        ).rows[0].n,
      );
    // statistics as autovacuum keeps them on a running server
    await pool.query('ANALYZE transmission_log');
    const floorMs = await measure(messages, floor);
    const freshPartitions = await partitions();
    const freshMs = await measure(messages, writeMessage);
    await pool.query(`SELECT transmission_log_ensure_partitions(now() - interval '30 months', 30)`);
    await pool.query('ANALYZE transmission_log');
    const fullPartitions = await partitions();
    const fullMs = await measure(messages, writeMessage);

    console.log(
      `messages per round: ${messages}, ${concurrency} concurrent writers, load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`,
    );
    console.log(`baseline: one-row autocommit INSERT, PostgreSQL CPU ${floorMs.toFixed(3)} ms per statement`);
    console.log(
      `log, ${freshPartitions} partitions: PostgreSQL CPU ${freshMs.toFixed(3)} ms per message (3 events, 2 of them once): ${(freshMs / floorMs).toFixed(1)}x baseline`,
    );
    console.log(
      `log, ${fullPartitions} partitions: PostgreSQL CPU ${fullMs.toFixed(3)} ms per message: ${(fullMs / floorMs).toFixed(1)}x baseline`,
    );
    console.log(
      `ratio ${fullPartitions} / ${freshPartitions} partitions: ${(fullMs / freshMs).toFixed(2)}x (a log write must not grow with the log's months: ≈ 1.0x)`,
    );
  } finally {
    await pool.end();
    await db.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
