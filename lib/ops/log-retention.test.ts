import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { addUtcMonths, ensureTransmissionLogPartitions, listTransmissionLogPartitions } from '../db/transmission-log';
import { startTestDatabase, type TestDatabase } from '../db/testing';
import { runLogRetention } from './log-retention';

let db: TestDatabase;
const now = new Date();
// mid-month rows, one per month from 36 months ago to this month
const rowMonths = Array.from({ length: 37 }, (_, i) => new Date(addUtcMonths(now, i - 36).getTime() + 14 * 86_400_000));

before(async () => {
  db = await startTestDatabase();
  await ensureTransmissionLogPartitions({ from: addUtcMonths(now, -36), monthsAhead: 36 }, db.prisma);
  for (const at of rowMonths) {
    await db.prisma.$executeRaw`INSERT INTO transmission_log (occurred_at, event_type, outcome) VALUES (${at}, 'ACCETTAZIONE', 'OK')`;
  }
});
after(async () => db?.stop());

const run = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', path.join('scripts', 'log-retention.ts'), ...args], {
    env: { ...process.env, DATABASE_URL: db.url, PEC_DATA_DIR: db.dir },
    encoding: 'utf8',
  });

const rowCount = async (): Promise<number> =>
  Number((await db.prisma.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM transmission_log`)[0].n);

test('dry run lists the partitions older than 30 months and changes nothing; --apply drops exactly those', async () => {
  const partitionsBefore = await listTransmissionLogPartitions(db.prisma);
  assert.ok(partitionsBefore.length >= 37);
  const dry = await runLogRetention(db.prisma, { now });
  // months 36..31 ago end before now-30 months; month 30 ago ends after the cutoff and stays
  assert.deepEqual(dry.dropped.map((p) => p.from.getTime()), [36, 35, 34, 33, 32, 31].map((m) => addUtcMonths(now, -m).getTime()));
  assert.equal(dry.applied, false);
  const cli = run('--keep-months', '31');
  assert.equal(cli.status, 0, cli.stderr);
  for (const p of dry.dropped.slice(0, 5)) assert.match(cli.stdout, new RegExp(`would drop ${p.name}`));
  assert.doesNotMatch(cli.stdout, new RegExp(`would drop ${dry.dropped[5].name}`));
  assert.match(cli.stdout, /5 partition\(s\) would drop.*dry run: add --apply/);
  assert.equal(await rowCount(), 37);
  assert.equal((await listTransmissionLogPartitions(db.prisma)).length, partitionsBefore.length);

  await assert.rejects(runLogRetention(db.prisma, { now, apply: true, keepMonths: 29 }), /at least 30 months/);
  const applied = await runLogRetention(db.prisma, { now, apply: true, monthsAhead: 3 });
  assert.deepEqual(applied.dropped.map((p) => p.name), dry.dropped.map((p) => p.name));
  assert.equal(await rowCount(), 31);
  const oldest = (await db.prisma.$queryRaw<{ t: Date }[]>`SELECT min(occurred_at) AS t FROM transmission_log`)[0].t;
  assert.equal(oldest.getTime(), rowMonths[6].getTime());
  // running again finds nothing more to drop
  assert.deepEqual((await runLogRetention(db.prisma, { now, apply: true })).dropped, []);
});

test('the job creates the coming months; the CLI refuses a shorter retention with a clear message', async () => {
  const r = await runLogRetention(db.prisma, { now, apply: true, monthsAhead: 40 });
  const starts = new Set((await listTransmissionLogPartitions(db.prisma)).map((p) => p.from.getTime()));
  assert.ok(r.created.length > 0);
  assert.ok(starts.has(addUtcMonths(now, 40).getTime()));
  assert.ok(!starts.has(addUtcMonths(now, 41).getTime()));
  const refused = run('--apply', '--keep-months', '6');
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /\[retention\] error: Refusing a retention of 6 months/);
  assert.equal(await rowCount(), 31);
});
