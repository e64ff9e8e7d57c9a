import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestDatabase, type TestDatabase } from '@/lib/db/testing';
import { DatabaseTransmissionLog } from './transmission-log-db';

let db: TestDatabase;
before(async () => {
  db = await startTestDatabase();
});
after(async () => {
  await db?.stop();
});

describe('DatabaseTransmissionLog', () => {
  it('writes every column, and a `once` event only once per type, identificativo and recipient', async () => {
    const log = new DatabaseTransmissionLog(db.prisma);
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

    const rows = await db.prisma.transmissionLog.findMany({ orderBy: { id: 'asc' } });
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
});
