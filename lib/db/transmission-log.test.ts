import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { startTestDatabase, type TestDatabase } from './testing';
import {
  addUtcMonths,
  applyTransmissionLogRetention,
  dropTransmissionLogPartitionsOlderThan,
  ensureTransmissionLogPartitions,
  listTransmissionLogPartitions,
  transmissionLogRetentionCutoff,
} from './transmission-log';

let db: TestDatabase;
before(async () => {
  db = await startTestDatabase();
});
after(async () => {
  await db?.stop();
});

/** Number of partitions attached to transmission_log, straight from the catalogue. */
async function partitionCount(): Promise<number> {
  const [row] = await db.prisma.$queryRaw<{ n: bigint }[]>`
    SELECT count(*) AS n FROM pg_inherits WHERE inhparent = 'public.transmission_log'::regclass`;
  return Number(row.n);
}

async function rowsIn(table: string): Promise<number> {
  const [row] = await db.prisma.$queryRawUnsafe<{ n: bigint }[]>(
    `SELECT count(*) AS n FROM public."${table}"`,
  );
  return Number(row.n);
}

function log(occurredAt: Date, eventType = 'ACCETTAZIONE') {
  return {
    occurredAt,
    eventType,
    identificativo: `opec.${occurredAt.getTime()}@pec.example.it`,
    sender: 'a@pec.example.it',
    recipient: 'b@pec.example.it',
    outcome: 'OK',
  };
}

test('months around now have partitions from the start, and ensuring again creates nothing', async () => {
  const now = new Date();
  const names = (await listTransmissionLogPartitions(db.prisma)).map((p) => p.name);
  for (const offset of [-1, 0, 1, 2]) {
    const d = addUtcMonths(now, offset);
    const name = `transmission_log_y${d.getUTCFullYear()}m${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
    assert.ok(names.includes(name), `${name} missing from ${names.join(', ')}`);
  }
  assert.deepEqual(await ensureTransmissionLogPartitions({}, db.prisma), []);
});

test('rows across several months land in their own monthly partitions', async () => {
  const now = new Date();
  const threeMonthsAgo = addUtcMonths(now, -3);
  await ensureTransmissionLogPartitions({ from: threeMonthsAgo, monthsAhead: 5 }, db.prisma);
  const when = [
    new Date(threeMonthsAgo.getTime() + 3600_000),
    now,
    new Date(addUtcMonths(now, 1).getTime() + 86_400_000),
  ];
  await db.prisma.transmissionLog.createMany({ data: when.map((d) => log(d)) });
  for (const d of when) {
    const [row] = await db.prisma.$queryRaw<{ part: string }[]>`
      SELECT tableoid::regclass::text AS part FROM transmission_log WHERE occurred_at = ${d}`;
    assert.equal(
      row.part,
      `transmission_log_y${d.getUTCFullYear()}m${String(d.getUTCMonth() + 1).padStart(2, '0')}`,
    );
  }
  assert.equal(await rowsIn('transmission_log_default'), 0);
});

test('a row for a month without partition is kept, then moved into its partition when created', async () => {
  const farFuture = new Date(Date.UTC(2099, 6, 14, 10, 30));
  const created = await db.prisma.transmissionLog.create({ data: log(farFuture, 'RELAYED') });
  assert.equal(await rowsIn('transmission_log_default'), 1);

  const made = await ensureTransmissionLogPartitions({}, db.prisma);
  assert.ok(made.includes('transmission_log_y2099m07'), made.join(', '));
  assert.equal(await rowsIn('transmission_log_default'), 0);
  assert.equal(await rowsIn('transmission_log_y2099m07'), 1);
  const found = await db.prisma.transmissionLog.findMany({ where: { occurredAt: farFuture } });
  assert.deepEqual(
    found.map((r) => [r.id, r.eventType]),
    [[created.id, 'RELAYED']],
  );
});

test('retention drops only whole partitions older than the cutoff, listing them; younger rows stay', async () => {
  // a log spanning 36 months before a fixed "now"
  const now = new Date(Date.UTC(2031, 5, 15, 12));
  // up to four months past "now", as the retention run itself ensures
  await ensureTransmissionLogPartitions({ from: addUtcMonths(now, -36), monthsAhead: 40 }, db.prisma);
  const months = Array.from(
    { length: 37 },
    (_, i) => new Date(addUtcMonths(now, i - 36).getTime() + 5 * 86_400_000),
  );
  await db.prisma.transmissionLog.createMany({ data: months.map((d) => log(d, 'AVVENUTA_CONSEGNA')) });
  // the key of a fact the MTA logged `once` in each of those months
  await db.prisma.transmissionLogOnceFact.createMany({
    data: months.map((d) => ({
      identificativo: `retention-${d.toISOString()}`,
      eventType: 'AVVENUTA_CONSEGNA_SENT',
      recipient: '',
      outcome: 'OK',
      occurredAt: d,
    })),
  });
  const partitionsBefore = await partitionCount();
  const rowsBefore = await db.prisma.transmissionLog.count();

  const cutoff = transmissionLogRetentionCutoff(now);
  assert.equal(cutoff.toISOString(), '2028-12-15T12:00:00.000Z');

  const planned = await applyTransmissionLogRetention({ now, dryRun: true }, db.prisma);
  assert.equal(await partitionCount(), partitionsBefore, 'dry run drops nothing');
  // whole months before December 2028: June 2028 … November 2028 from this log, plus the older test rows' months
  assert.ok(planned.dropped.every((p) => p.to <= cutoff));
  assert.ok(planned.dropped.some((p) => p.name === 'transmission_log_y2028m11'));
  assert.ok(
    !planned.dropped.some((p) => p.name === 'transmission_log_y2028m12'),
    'the month holding the cutoff stays',
  );

  const done = await applyTransmissionLogRetention({ now }, db.prisma);
  assert.deepEqual(
    done.dropped.map((p) => p.name),
    planned.dropped.map((p) => p.name),
  );
  assert.equal(await partitionCount(), partitionsBefore - done.dropped.length);

  const survivors = await db.prisma.transmissionLog.findMany({
    where: { eventType: 'AVVENUTA_CONSEGNA' },
    orderBy: { occurredAt: 'asc' },
  });
  assert.equal(survivors.length, months.filter((d) => d >= new Date(Date.UTC(2028, 11, 1))).length);
  assert.ok(survivors.every((r) => r.occurredAt >= new Date(Date.UTC(2028, 11, 1))));
  assert.ok(rowsBefore - (await db.prisma.transmissionLog.count()) >= 6);
  assert.equal(await rowsIn('transmission_log_y2028m12'), 1, 'rows of the cutoff month intact');
  // the once facts of the dropped months go with them, the others stay
  const facts = await db.prisma.transmissionLogOnceFact.findMany({
    where: { identificativo: { startsWith: 'retention-' } },
  });
  assert.deepEqual(
    facts.map((f) => f.occurredAt.toISOString()).sort(),
    months.filter((d) => d >= new Date(Date.UTC(2028, 11, 1))).map((d) => d.toISOString()),
  );
});

test('dropping log younger than 30 months is refused unless a test explicitly overrides', async () => {
  const now = new Date();
  await ensureTransmissionLogPartitions({ from: addUtcMonths(now, -3) }, db.prisma);
  const partitionsBefore = await partitionCount();
  await assert.rejects(
    dropTransmissionLogPartitionsOlderThan(addUtcMonths(now, -2), {}, db.prisma),
    /Refusing to drop transmission log younger than 30 months/,
  );
  assert.equal(await partitionCount(), partitionsBefore);

  const oneMonthAgo = addUtcMonths(now, -1);
  const dropped = await dropTransmissionLogPartitionsOlderThan(
    oneMonthAgo,
    { allowCutoffWithinRetention: true, dryRun: true },
    db.prisma,
  );
  assert.ok(dropped.length > 0 && dropped.every((p) => p.to <= oneMonthAgo));
  assert.equal(await partitionCount(), partitionsBefore, 'dry run');
});

test('partition bounds are UTC months whatever the session time zone', async () => {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    await client.query("SET TIME ZONE 'Europe/Rome'");
    // March: the month of the switch to summer time in Rome
    await client.query("SELECT transmission_log_ensure_partitions('2035-03-15 12:00+01', 0)");
    const { rows } = await client.query<{ range_start: Date; range_end: Date }>(
      "SELECT range_start, range_end FROM transmission_log_partitions() WHERE partition_name = 'transmission_log_y2035m03'",
    );
    assert.deepEqual(
      rows.map((r) => [r.range_start.toISOString(), r.range_end.toISOString()]),
      [['2035-03-01T00:00:00.000Z', '2035-04-01T00:00:00.000Z']],
    );
  } finally {
    await client.end();
  }
});
