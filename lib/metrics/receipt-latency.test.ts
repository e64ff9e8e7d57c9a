/**
 * Receipt latency on a real database: the message state reports, per recipient whose ricevuta di
 * avvenuta consegna comes back, the time since its accettazione; the MTA counters turn it into the
 * pec_mta_receipt_latency_seconds histogram. A duplicate consegna and a mancata consegna add nothing.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startTestDatabase, type TestDatabase } from '@/lib/db/testing';
import { MessageStateStore } from '@/mail/mta/message-state';
import { newPecMessageId } from '@/mail/pec';
import { MtaCounters } from '.';

let db: TestDatabase;

before(async () => {
  db = await startTestDatabase();
});
after(async () => {
  await db?.stop();
});

function histogram(text: string): { buckets: Map<string, number>; sum: number; count: number } {
  const buckets = new Map([...text.matchAll(/^pec_mta_receipt_latency_seconds_bucket\{le="([^"]+)"\} (\d+)$/gm)].map((m) => [m[1], Number(m[2])]));
  const value = (name: string) => Number(new RegExp(`^pec_mta_receipt_latency_seconds_${name} (\\S+)$`, 'm').exec(text)?.[1]);
  return { buckets, sum: value('sum'), count: value('count') };
}

test('the time from accettazione to each consegna received back fills the receipt-latency histogram', async () => {
  const counters = new MtaCounters();
  const state = new MessageStateStore(db.prisma, {
    preavvisoSeconds: 3600,
    mancataConsegnaSeconds: 7200,
    archiveDir: path.join(db.dir, 'originals'),
    onConsegna: (seconds) => counters.observeReceiptLatency(seconds),
  });
  const identificativo = newPecMessageId(new Date(), { domain: 'pec.alfa.test' });
  await state.recordSubmission({
    identificativo,
    originalMessageId: '<lat@client.alfa.test>',
    sender: 'alice@pec.alfa.test',
    subject: 'Latenza',
    receiptType: 'completa',
    sizeBytes: 100,
    recipients: [
      { address: 'bob@pec.beta.test', tipo: 'certificato', field: 'to' },
      { address: 'carol@pec.beta.test', tipo: 'certificato', field: 'to' },
      { address: 'dave@pec.beta.test', tipo: 'certificato', field: 'cc' },
    ],
    original: Buffer.from('From: alice@pec.alfa.test\r\nTo: bob@pec.beta.test\r\nSubject: Latenza\r\n\r\nx\r\n'),
    acceptedAt: new Date(),
  });
  const row = await db.prisma.pecRecipient.findFirstOrThrow({ where: { recipient: 'bob@pec.beta.test', message: { identificativo } } });
  const accepted = row.createdAt.getTime();
  await state.markRelayed(identificativo, ['bob@pec.beta.test', 'carol@pec.beta.test', 'dave@pec.beta.test']);
  assert.equal(await state.applyReceipt('presa-in-carico', identificativo, ['bob@pec.beta.test', 'carol@pec.beta.test'], new Date(accepted + 1000)), 2);
  assert.equal(counters.receiptLatencyCount, 0, 'a presa in carico is not a consegna');

  // bob's consegna 90 s after the accettazione, carol's 2 s after
  assert.equal(await state.applyReceipt('avvenuta-consegna', identificativo, ['bob@pec.beta.test'], new Date(accepted + 90_000)), 1);
  assert.equal(await state.applyReceipt('avvenuta-consegna', identificativo, ['carol@pec.beta.test'], new Date(accepted + 2_000)), 1);
  // the same consegna again (the other provider retried) and a mancata consegna add nothing
  assert.equal(await state.applyReceipt('avvenuta-consegna', identificativo, ['bob@pec.beta.test'], new Date(accepted + 95_000)), 0);
  assert.equal(await state.applyReceipt('errore-consegna', identificativo, ['dave@pec.beta.test'], new Date(accepted + 5_000), 'casella piena'), 1);
  assert.equal(counters.receiptLatencyCount, 2);

  const h = histogram(counters.write().toString());
  assert.equal(h.count, 2);
  assert.ok(Math.abs(h.sum - 92) < 0.01, `sum ${h.sum}`);
  assert.equal(h.buckets.get('1'), 0);
  assert.equal(h.buckets.get('2'), 1);
  assert.equal(h.buckets.get('60'), 1);
  assert.equal(h.buckets.get('300'), 2);
  assert.equal(h.buckets.get('+Inf'), 2);
  const delivered = await db.prisma.pecRecipient.count({ where: { message: { identificativo }, state: 'DELIVERED' } });
  assert.equal(delivered, 2, 'the state moved as before');
});
