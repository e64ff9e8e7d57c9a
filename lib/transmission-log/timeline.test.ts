import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ensureTransmissionLogPartitions } from '@/lib/db';
import { startTestDatabase, type TestDatabase } from '@/lib/db/testing';
import type { LogEntry } from '@/lib/queries/transmission-log';
import { buildMessageTimeline, getMessageTimeline, stepOf } from './timeline';

const t0 = new Date('2026-07-10T08:00:00.000Z');
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);
const ident = 'opec210.20260710080000.1@pec.provider.it';
const omid = '<abc-123@client.example>';
const sender = 'ufficio@pec.x.it';

let nextId = 1n;
function entry(seconds: number, eventType: string, recipient: string | null, outcome = 'OK'): LogEntry {
  return {
    id: nextId++,
    occurredAt: at(seconds),
    eventType,
    identificativo: ident,
    originalMessageId: omid,
    sender,
    recipient,
    counterpartProvider: null,
    outcome,
    details: null,
  };
}

describe('buildMessageTimeline', () => {
  test('groups per recipient with the furthest step reached as its state', () => {
    const events = [
      entry(0, 'ACCETTAZIONE', null),
      entry(1, 'RELAYED', 'a@pec.comune.it'),
      entry(1, 'RELAYED', 'b@pec.altro.it'),
      entry(1, 'RELAYED', 'c@pec.y.it'),
      entry(3, 'PRESA_IN_CARICO', 'a@pec.comune.it'),
      entry(3, 'PRESA_IN_CARICO', 'b@pec.altro.it'),
      entry(9, 'AVVENUTA_CONSEGNA', 'a@pec.comune.it'),
      entry(43200, 'PREAVVISO_ERRORE_CONSEGNA', 'b@pec.altro.it', 'WARNING'),
      entry(86400, 'ERRORE_CONSEGNA', 'b@pec.altro.it', 'ERROR'),
    ].reverse(); // any order in, time order out
    const tl = buildMessageTimeline(events);
    assert.equal(tl.acceptance, 'ACCEPTED');
    assert.deepEqual(tl.identificativi, [ident]);
    assert.equal(tl.originalMessageId, omid);
    assert.equal(tl.sender, sender);
    assert.deepEqual(tl.messageEvents.map((e) => e.eventType), ['ACCETTAZIONE']);
    assert.deepEqual(
      tl.recipients.map((r) => [r.recipient, r.state, r.warned]),
      [
        ['a@pec.comune.it', 'DELIVERED', false],
        ['b@pec.altro.it', 'FAILED', true],
        ['c@pec.y.it', 'RELAYED', false],
      ],
    );
    const a = tl.recipients[0];
    assert.deepEqual(Object.keys(a.steps).sort(), ['accettazione', 'busta', 'consegna', 'presaInCarico']);
    assert.deepEqual(a.events.map((e) => e.eventType), ['RELAYED', 'PRESA_IN_CARICO', 'AVVENUTA_CONSEGNA']);
    assert.deepEqual(
      tl.events.map((e) => e.occurredAt.getTime()),
      [...tl.events].map((e) => e.occurredAt.getTime()).sort((x, y) => x - y),
    );
  });

  test('a refused message marks every recipient NOT_ACCEPTED', () => {
    const tl = buildMessageTimeline([entry(0, 'NON_ACCETTAZIONE', null, 'REFUSED'), entry(0, 'REFUSED', 'a@pec.it', 'REFUSED')]);
    assert.equal(tl.acceptance, 'NOT_ACCEPTED');
    assert.deepEqual(tl.recipients.map((r) => r.state), ['NOT_ACCEPTED']);
  });

  test("the MTA's event names map onto the same steps", () => {
    const names: [string, string | undefined][] = [
      ['SUBMISSION', undefined],
      ['BUSTA_RELAYED', 'busta'],
      ['PRESA_IN_CARICO_RECEIVED', 'presaInCarico'],
      ['AVVENUTA_CONSEGNA_SENT', 'consegna'],
      ['MANCATA_CONSEGNA_RECEIVED', 'errore'],
      ['PREAVVISO_SENT', 'preavviso'],
      ['TIMEOUT_SENT', 'errore'],
      ['VIRUS', 'errore'],
      ['RECEIPT_DELIVERED', undefined],
    ];
    for (const [eventType, step] of names) assert.equal(stepOf({ eventType, outcome: 'OK' }), step, eventType);
    assert.equal(stepOf({ eventType: 'BUSTA_RELAYED', outcome: 'ERROR' }), 'errore');
  });

  test('a delivery logged after an earlier relay error wins (the later terminal event)', () => {
    const tl = buildMessageTimeline([
      entry(0, 'ACCETTAZIONE', null),
      entry(1, 'RELAYED', 'a@pec.it', 'ERROR'),
      entry(60, 'RELAYED', 'a@pec.it'),
      entry(62, 'AVVENUTA_CONSEGNA', 'a@pec.it'),
    ]);
    assert.equal(tl.recipients[0].state, 'DELIVERED');
  });
});

describe('getMessageTimeline (database)', () => {
  let db: TestDatabase;
  before(async () => {
    db = await startTestDatabase();
    await ensureTransmissionLogPartitions({ from: new Date('2026-06-01T00:00:00Z'), monthsAhead: 3 }, db.prisma);
    const rows = [
      entry(0, 'ACCETTAZIONE', null),
      entry(1, 'RELAYED', 'a@pec.comune.it'),
      entry(1, 'RELAYED', 'c@pec.y.it'),
      entry(3, 'PRESA_IN_CARICO', 'a@pec.comune.it'),
      entry(3, 'PRESA_IN_CARICO', 'c@pec.y.it'),
      // the consegna of c lands in the next month's partition
      { ...entry(0, 'AVVENUTA_CONSEGNA', 'c@pec.y.it'), occurredAt: new Date('2026-08-01T00:00:05Z') },
      entry(9, 'AVVENUTA_CONSEGNA', 'a@pec.comune.it'),
    ];
    // a receipt logged under the identificativo only (no Message-ID) still belongs to the message
    rows[6].originalMessageId = null;
    await db.prisma.transmissionLog.createMany({
      data: rows.map(({ id: _id, counterpartProvider: _c, details: _d, ...r }) => r),
    });
    await db.prisma.transmissionLog.create({
      data: { occurredAt: at(5), eventType: 'ACCETTAZIONE', identificativo: 'other@pec.provider.it', sender, outcome: 'OK' },
    });
  });
  after(async () => {
    await db?.stop();
  });

  test('found by original Message-ID (with or without brackets) or identificativo, across months', async () => {
    for (const ref of [omid, 'abc-123@client.example', ident]) {
      const tl = await getMessageTimeline(ref, { all: true }, { to: new Date('2026-11-01T00:00:00Z') }, db.prisma);
      assert.ok(tl, ref);
      assert.equal(tl.events.length, 7, ref);
      assert.deepEqual(
        tl.recipients.map((r) => [r.recipient, r.state]),
        [
          ['a@pec.comune.it', 'DELIVERED'],
          ['c@pec.y.it', 'DELIVERED'],
        ],
      );
    }
  });

  test("a recipient company's auditor sees only its recipient's events; strangers get nothing", async () => {
    const opts = { to: new Date('2026-11-01T00:00:00Z') };
    const y = await getMessageTimeline(omid, { all: false, domains: ['pec.y.it'], addresses: [] }, opts, db.prisma);
    assert.ok(y);
    assert.deepEqual(y.recipients.map((r) => r.recipient), ['c@pec.y.it']);
    assert.deepEqual(y.messageEvents, []);
    const stranger = await getMessageTimeline(omid, { all: false, domains: ['pec.z.it'], addresses: [] }, opts, db.prisma);
    assert.equal(stranger, undefined);
    assert.equal(await getMessageTimeline('<nope@x>', { all: true }, opts, db.prisma), undefined);
  });

  test('maxEvents truncates and says so', async () => {
    const tl = await getMessageTimeline(ident, { all: true }, { to: new Date('2026-11-01T00:00:00Z'), maxEvents: 3 }, db.prisma);
    assert.ok(tl);
    assert.equal(tl.events.length, 3);
    assert.equal(tl.truncated, true);
  });
});
