/**
 * Auditor log search over 40 million events (30 months), in a dedicated embedded PostgreSQL under
 * .data/bench-transmission-log (generated once, reused by later runs: generation takes a while).
 *
 * Prints p50/p95 of five typical auditor queries against the round trip of `SELECT 1` on the same
 * connection (the floor any query pays), and the peak RSS of streaming a 1,000,000-row CSV export.
 * Target: p95 < 100 ms. BENCH_LOG_EVENTS overrides the size (e.g. 2000000 for a quick look).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import { applyMigrations, createPrisma, startEmbeddedPostgres, type PrismaClient } from '@/lib/db';
import { findFreePort } from '@/lib/db/testing';
import { benchDomain, benchMailbox, generateTransmissionLog } from '@/lib/transmission-log/generate';
import { createLogCsvStream } from '@/lib/transmission-log/csv-export';
import { getMessageTimeline } from '@/lib/transmission-log/timeline';
import {
  addMonths,
  explainSearch,
  logColumns,
  messageIdForms,
  searchTransmissionLog,
  type LogScope,
  type LogSearchFilters,
} from './transmission-log';

const root = path.resolve(__dirname, '..', '..');
const benchDir = path.join(root, '.data', 'bench-transmission-log');
const totalEvents = Number(process.env.BENCH_LOG_EVENTS ?? 40_000_000);
const months = 30;
const runs = Number(process.env.BENCH_LOG_RUNS ?? 40);

function freeGigabytes(dir: string): number {
  const out = execFileSync('df', ['-Pk', dir], { encoding: 'utf8' }).trim().split('\n')[1].split(/\s+/);
  return Number(out[3]) / 1024 / 1024;
}

/** The port of a PostgreSQL already running on `dataDir` (4th line of postmaster.pid), if any. */
function runningPort(dataDir: string): number | undefined {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  try {
    process.kill(Number(lines[0]), 0);
  } catch {
    return undefined;
  }
  const port = Number(lines[3]);
  return Number.isInteger(port) && port > 0 ? port : undefined;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function timeIt(fn: () => Promise<unknown>, n = runs): Promise<{ p50: number; p95: number }> {
  await fn(); // warm: plan caches, the first touch of the pages
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p95: percentile(times, 95) };
}

/** Server settings for a bulk-loaded, single-user cluster (restart needed for wal_level). */
async function tune(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ wal_level: string }>('SHOW wal_level');
    if (rows[0].wal_level === 'minimal') return false;
    for (const s of [
      "wal_level = 'minimal'",
      'max_wal_senders = 0',
      "max_wal_size = '8GB'",
      "maintenance_work_mem = '512MB'",
      "work_mem = '64MB'",
      "shared_buffers = '1GB'",
      'synchronous_commit = off',
      // the generator VACUUMs each month itself; autovacuum would only compete for the 2 cores
      'autovacuum = off',
      'max_parallel_maintenance_workers = 0',
      'max_parallel_workers_per_gather = 0',
    ])
      await c.query(`ALTER SYSTEM SET ${s}`);
    return true;
  } finally {
    await c.end();
  }
}

async function prepare(): Promise<{ url: string; stop: () => Promise<void> }> {
  const dataDir = path.join(benchDir, 'postgres');
  if (!existsSync(dataDir)) {
    mkdirSync(benchDir, { recursive: true });
    chmodSync(benchDir, 0o755);
    const free = freeGigabytes(benchDir);
    const needed = (totalEvents / 40_000_000) * 25;
    console.log(`free disk: ${free.toFixed(1)} GB (about ${needed.toFixed(0)} GB needed)`);
    if (free < needed) throw new Error(`Not enough disk for ${totalEvents} events under ${benchDir}`);
  }
  // a server already running on the folder (a generation in progress) is reused on its port
  const port = runningPort(dataDir) ?? (await findFreePort());
  let server = await startEmbeddedPostgres({ dataDir, port, database: 'pec_bench' });
  if (await tune(server.url)) {
    await server.stop();
    server = await startEmbeddedPostgres({ dataDir, port, database: 'pec_bench' });
  }
  await applyMigrations(server.url);
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    await client.query('CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value jsonb NOT NULL)');
    const done = await client.query<{ value: { events: number; seconds: number } }>(
      `SELECT value FROM bench_meta WHERE key = 'generated'`,
    );
    if (!done.rowCount && process.env.BENCH_LOG_PARTIAL) {
      const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM transmission_log');
      console.log(`PARTIAL log (generation unfinished): ${Number(rows[0].n).toLocaleString('en')} events`);
    } else if (done.rowCount) {
      const v = done.rows[0].value;
      console.log(`reusing ${v.events.toLocaleString('en')} events generated earlier in ${v.seconds.toFixed(0)} s`);
    } else {
      const firstMonth = addMonths(new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), 1)), -(months - 1));
      console.log(`generating ${totalEvents.toLocaleString('en')} events over ${months} months from ${firstMonth.toISOString().slice(0, 7)}…`);
      const started = Date.now();
      await generateTransmissionLog(client, {
        firstMonth,
        months,
        totalEvents,
        onMonth: (m) =>
          console.log(
            m.skipped
              ? `  ${m.partition}: already there`
              : `  ${m.partition}: ${m.events.toLocaleString('en')} events in ${m.seconds.toFixed(1)} s`,
          ),
      });
      const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM transmission_log');
      const seconds = (Date.now() - started) / 1000;
      await client.query(`INSERT INTO bench_meta VALUES ('generated', $1)`, [
        JSON.stringify({ events: Number(rows[0].n), seconds, firstMonth }),
      ]);
      console.log(`generated ${Number(rows[0].n).toLocaleString('en')} events in ${seconds.toFixed(0)} s`);
    }
  } finally {
    await client.end();
  }
  return { url: server.url, stop: () => server.stop() };
}

interface Sample {
  sender: string;
  recipient: string;
  identificativo: string;
  originalMessageId: string;
  newest: Date;
}

async function sample(db: PrismaClient): Promise<Sample> {
  // a row from the middle of the log, whose values the queries then look for
  const [oldest] = await db.$queryRaw<{ t: Date }[]>`
    SELECT occurred_at AS t FROM transmission_log ORDER BY occurred_at ASC LIMIT 1`;
  const [newest] = await db.$queryRaw<{ t: Date }[]>`
    SELECT occurred_at AS t FROM transmission_log ORDER BY occurred_at DESC LIMIT 1`;
  const middle = new Date((oldest.t.getTime() + newest.t.getTime()) / 2);
  const [row] = await db.$queryRaw<{ identificativo: string; original_message_id: string }[]>`
    SELECT identificativo, original_message_id FROM transmission_log
     WHERE occurred_at >= ${middle}::timestamptz AND occurred_at < ${middle}::timestamptz + interval '1 hour'
       AND event_type = 'AVVENUTA_CONSEGNA' LIMIT 1`;
  return {
    // a busy sender (low mailbox numbers send most) and a typical recipient
    sender: benchMailbox(7),
    recipient: benchMailbox(42),
    identificativo: row.identificativo,
    originalMessageId: row.original_message_id,
    newest: new Date(newest.t.getTime() + 1),
  };
}

async function main(): Promise<void> {
  const { url, stop } = await prepare();
  const db = createPrisma(url);
  try {
    const s = await sample(db);
    const to = s.newest;
    const all: LogScope = { all: true };
    const company: LogScope = { all: false, domains: [benchDomain(3), benchDomain(1003)], addresses: [] };
    const queries: { name: string; filters: LogSearchFilters; scope: LogScope }[] = [
      { name: 'one sender, last month', filters: { from: addMonths(to, -1), to, sender: s.sender }, scope: all },
      {
        name: 'one recipient, 30 months, first page',
        filters: { from: addMonths(to, -30), to, recipient: s.recipient },
        scope: all,
      },
      {
        name: 'by identificativo, 30 months (auditor scope)',
        filters: { from: addMonths(to, -30), to, messageId: s.identificativo },
        scope: all,
      },
      {
        name: 'event kind + domain, one week',
        filters: {
          from: new Date(to.getTime() - 7 * 86400_000),
          to,
          eventTypes: ['AVVENUTA_CONSEGNA'],
          domain: benchDomain(11),
        },
        scope: all,
      },
      {
        name: 'by original Message-ID, 30 months',
        filters: { from: addMonths(to, -30), to, messageId: s.originalMessageId },
        scope: all,
      },
      {
        name: 'company auditor (2 domains), 3 months, no filter',
        filters: { from: addMonths(to, -3), to },
        scope: company,
      },
    ];

    const base = await timeIt(() => db.$queryRaw`SELECT 1`, 200);
    console.log(`baseline SELECT 1 round trip: p50 ${base.p50.toFixed(2)} ms, p95 ${base.p95.toFixed(2)} ms`);
    console.log('query'.padEnd(52), 'rows', '   p50 ms', '   p95 ms', ' p95/SELECT 1', ' target');
    for (const q of queries) {
      const first = await searchTransmissionLog(q.filters, q.scope, { limit: 50 }, db);
      const t = await timeIt(() => searchTransmissionLog(q.filters, q.scope, { limit: 50 }, db));
      // the next page, by keyset
      if (first.older) await searchTransmissionLog(q.filters, q.scope, { limit: 50, after: first.older }, db);
      console.log(
        q.name.padEnd(52),
        String(first.entries.length).padStart(4),
        t.p50.toFixed(2).padStart(9),
        t.p95.toFixed(2).padStart(9),
        `${(t.p95 / base.p95).toFixed(1)}x`.padStart(13),
        t.p95 < 100 ? '  ok' : '  OVER 100 ms',
      );
      if (process.env.BENCH_LOG_EXPLAIN) console.log(await explainSearch(q.filters, q.scope, db));
      if (q.filters.messageId) {
        // the same search as it ran before the month lookup: every month's partition planned and probed
        const forms = messageIdForms(q.filters.messageId);
        const old = await timeIt(
          () => db.$queryRaw`
            SELECT ${logColumns} FROM transmission_log
             WHERE occurred_at >= ${q.filters.from}::timestamptz AND occurred_at < ${q.filters.to}::timestamptz
               AND (identificativo = ANY(${forms}::text[]) OR original_message_id = ANY(${forms}::text[]))
             ORDER BY occurred_at DESC, id DESC LIMIT 51`,
        );
        console.log(
          `${'  the same, all 30 months probed (no month lookup)'.padEnd(58)}${old.p50.toFixed(2).padStart(9)}${old.p95.toFixed(2).padStart(10)}` +
            `   lookup: p95 ${(old.p95 / t.p95).toFixed(1)}x faster`,
        );
      }
    }

    const timeline = await timeIt(() => getMessageTimeline(s.originalMessageId, all, { to }, db));
    const tl = await getMessageTimeline(s.originalMessageId, all, { to }, db);
    console.log(
      `${'timeline by Message-ID (2 statements)'.padEnd(52)} ${String(tl?.events.length ?? 0).padStart(4)}` +
        `${timeline.p50.toFixed(2).padStart(10)}${timeline.p95.toFixed(2).padStart(10)}` +
        `${`${(timeline.p95 / base.p95).toFixed(1)}x`.padStart(14)}${timeline.p95 < 100 ? '   ok' : '   OVER 100 ms'}`,
    );

    // export: 1,000,000 rows streamed as CSV to a sink that discards them, watching RSS
    const exportFilters: LogSearchFilters = { from: addMonths(to, -1), to };
    const target = Math.min(1_000_000, totalEvents / 10);
    let rows = 0;
    let bytes = 0;
    let peak = process.memoryUsage().rss;
    const rssBefore = peak;
    const timer = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 50);
    const started = Date.now();
    const stream = createLogCsvStream(exportFilters, all, { maxRows: target, onRows: (n) => (rows += n) }, db);
    await pipeline(
      Readable.fromWeb(stream as import('node:stream/web').ReadableStream<Uint8Array>),
      new Writable({
        write(chunk: Buffer, _enc, done) {
          bytes += chunk.length;
          done();
        },
      }),
    );
    clearInterval(timer);
    peak = Math.max(peak, process.memoryUsage().rss);
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `CSV export: ${rows.toLocaleString('en')} rows, ${(bytes / 1048576).toFixed(0)} MB in ${seconds.toFixed(1)} s ` +
        `(${Math.round(rows / seconds).toLocaleString('en')} rows/s); RSS ${(rssBefore / 1048576).toFixed(0)} MB before, ` +
        `peak ${(peak / 1048576).toFixed(0)} MB (+${((peak - rssBefore) / 1048576).toFixed(0)} MB; the CSV itself is ${(bytes / 1048576).toFixed(0)} MB)`,
    );
  } finally {
    await db.$disconnect();
    await stop();
  }
}

if (process.env.BENCH_LOG_GENERATE_ONLY) {
  prepare()
    .then(({ stop }) => stop())
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
} else {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
