import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { createSqlPool } from '@/lib/db/sql';
import { startTestDatabase, type TestDatabase } from '@/lib/db/testing';
import type { TransmissionEvent } from './transmission-log';
import { DatabaseTransmissionLog } from './transmission-log-db';

let db: TestDatabase;
let pool: pg.Pool;
before(async () => {
  db = await startTestDatabase();
  pool = createSqlPool(db.url);
});
after(async () => {
  await pool?.end();
  await db?.stop();
});

/** Transactions committed in this database so far (each statement outside one counts one). */
async function commits(): Promise<number> {
  // the statistics collector publishes at transaction end; a fresh snapshot each time
  await pool.query('SELECT pg_stat_clear_snapshot()');
  const { rows } = await pool.query<{ n: string }>(
    'SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()',
  );
  return Number(rows[0].n);
}

const rowsFor = (identificativo: string) =>
  db.prisma.transmissionLog.findMany({ where: { identificativo }, orderBy: { id: 'asc' } });

describe('DatabaseTransmissionLog', () => {
  it('writes every column, and a `once` event only once per type, identificativo and recipient', async () => {
    const log = new DatabaseTransmissionLog(pool);
    const at = new Date('2026-11-24T10:00:00.123Z');
    const event = {
      type: 'AVVENUTA_CONSEGNA_SENT' as const,
      identificativo: 'opec.1@pec.alfa.test',
      originalMessageId: '<m1@client.alfa.test>',
      sender: 'alice@pec.alfa.test',
      recipient: 'bob@pec.beta.test',
      counterpartProvider: 'Alfa PEC S.p.A.',
      outcome: 'OK' as const,
      occurredAt: at,
      details: { messageId: '<r1@pec.beta.test>', n: 1 },
      once: true,
    };
    assert.equal(await log.write(event), true);
    assert.equal(
      await log.write({ ...event, details: { retried: true } }),
      false,
      'the retried transaction repeats nothing',
    );
    assert.equal(
      await log.write({ ...event, recipient: 'carol@pec.beta.test' }),
      true,
      'another recipient is another fact',
    );
    assert.equal(await log.write({ ...event, type: 'MANCATA_CONSEGNA_SENT', outcome: 'ERROR' }), true);
    // Without `once`, and without an identificativo, every write is a row.
    assert.equal(await log.write({ type: 'SUBMISSION', outcome: 'OK', sender: 'alice@pec.alfa.test' }), true);
    assert.equal(
      await log.write({ type: 'SUBMISSION', outcome: 'OK', sender: 'alice@pec.alfa.test', once: true }),
      true,
    );

    const rows = await db.prisma.transmissionLog.findMany({
      where: { OR: [{ identificativo: 'opec.1@pec.alfa.test' }, { identificativo: null }] },
      orderBy: { id: 'asc' },
    });
    assert.equal(rows.length, 5);
    const first = rows[0];
    assert.equal(first.occurredAt.toISOString(), at.toISOString());
    assert.equal(first.eventType, 'AVVENUTA_CONSEGNA_SENT');
    assert.equal(first.identificativo, 'opec.1@pec.alfa.test');
    assert.equal(first.originalMessageId, '<m1@client.alfa.test>');
    assert.equal(first.sender, 'alice@pec.alfa.test');
    assert.equal(first.recipient, 'bob@pec.beta.test');
    assert.equal(first.counterpartProvider, 'Alfa PEC S.p.A.');
    assert.equal(first.outcome, 'OK');
    assert.deepEqual(first.details, { messageId: '<r1@pec.beta.test>', n: 1 });
    assert.equal(rows[3].details, null);
  });

  it('writes concurrent events in few statements, each caller learning about its own row', async () => {
    const log = new DatabaseTransmissionLog(pool);
    const id = 'opec.batch@pec.alfa.test';
    const before = await commits();
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        log.write({
          type: 'RECEIVED',
          identificativo: id,
          recipient: `r${i}@pec.beta.test`,
          outcome: 'OK',
          once: true,
        }),
      ),
    );
    const statements = (await commits()) - before - 1; // the snapshot clear in commits() counts one
    assert.deepEqual(results, Array(60).fill(true));
    assert.equal((await rowsFor(id)).length, 60);
    // the first goes alone, the other 59 wait for it and go together
    assert.ok(statements <= 3, `${statements} transactions for 60 rows`);
  });

  it('writes the first of two `once` events for the same fact in one batch, and none already on record', async () => {
    const log = new DatabaseTransmissionLog(pool);
    const id = 'opec.once@pec.alfa.test';
    const event: TransmissionEvent = {
      type: 'AVVENUTA_CONSEGNA_SENT',
      identificativo: id,
      recipient: 'bob@pec.beta.test',
      outcome: 'OK',
      once: true,
    };
    // the first write goes alone; the next four wait and form one batch
    const results = await Promise.all([
      log.write({ ...event, recipient: 'first@pec.beta.test' }),
      log.write({ ...event, details: { copy: 1 } }),
      log.write({ ...event, details: { copy: 2 } }),
      log.write({ ...event, once: false, details: { repeated: true } }),
      log.write({ ...event, recipient: 'first@pec.beta.test' }),
    ]);
    assert.deepEqual(results, [true, true, false, true, false]);
    const rows = await rowsFor(id);
    assert.deepEqual(
      rows.map((r) => [r.recipient, r.details]),
      [
        ['first@pec.beta.test', null],
        ['bob@pec.beta.test', { copy: 1 }],
        ['bob@pec.beta.test', { repeated: true }],
      ],
    );
    // across batches: the fact is on record now
    assert.equal(await log.write(event), false);
  });

  it('of writers on two connections (two MTA nodes) racing for the same `once` fact, exactly one writes it', async () => {
    const other = createSqlPool(db.url);
    try {
      const nodes = [new DatabaseTransmissionLog(pool), new DatabaseTransmissionLog(other)];
      for (let round = 0; round < 20; round++) {
        const event: TransmissionEvent = {
          type: 'AVVENUTA_CONSEGNA_SENT',
          identificativo: `opec.race${round}@pec.alfa.test`,
          recipient: 'bob@pec.beta.test',
          outcome: 'OK',
          once: true,
        };
        const results = await Promise.all([...nodes, ...nodes].map((log) => log.write(event)));
        assert.equal(results.filter(Boolean).length, 1, `round ${round}: ${results}`);
        assert.equal((await rowsFor(event.identificativo!)).length, 1);
      }
      // the fact's key is kept beside the log, recipient-less facts under ''
      const recipientless: TransmissionEvent = {
        type: 'ANOMALIA',
        identificativo: 'opec.race@pec.alfa.test',
        outcome: 'OK',
        once: true,
      };
      assert.deepEqual(
        await Promise.all(nodes.map((log) => log.write(recipientless))).then((r) => r.sort()),
        [false, true],
      );
      const facts = await db.prisma.transmissionLogOnceFact.findMany({
        where: { identificativo: 'opec.race@pec.alfa.test' },
      });
      assert.deepEqual(
        facts.map((f) => [f.eventType, f.recipient, f.outcome]),
        [['ANOMALIA', '', 'OK']],
      );
    } finally {
      await other.end();
    }
  });

  it('a row the database refuses fails only its own caller: its batch is written again row by row', async () => {
    const log = new DatabaseTransmissionLog(pool);
    const id = 'opec.fail@pec.alfa.test';
    const ok = { type: 'SUBMISSION', identificativo: id, outcome: 'OK' } as const;
    const [first, tooLong, neighbour, withNul] = await Promise.allSettled([
      log.write(ok),
      // event_type is varchar(64), and text cannot hold NUL: both rows fail the batch they share
      log.write({ ...ok, type: 'X'.repeat(65) as TransmissionEvent['type'] }),
      log.write({ ...ok, recipient: 'bob@pec.beta.test' }),
      log.write({ ...ok, originalMessageId: '<evil\u0000@client.example>' }),
    ]);
    assert.deepEqual(first, { status: 'fulfilled', value: true });
    assert.match(String(tooLong.status === 'rejected' && tooLong.reason), /too long/);
    assert.deepEqual(
      neighbour,
      { status: 'fulfilled', value: true },
      'the neighbour of a bad row is written',
    );
    assert.match(String(withNul.status === 'rejected' && withNul.reason), /invalid byte sequence/);
    assert.deepEqual(
      (await rowsFor(id)).map((r) => r.recipient),
      [null, 'bob@pec.beta.test'],
    );
    // the writer goes on with the next batch
    assert.equal(await log.write({ ...ok, recipient: 'carol@pec.beta.test' }), true);
    assert.equal((await rowsFor(id)).length, 3);
  });
});
