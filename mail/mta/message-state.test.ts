/**
 * Receipts moving the OUTBOUND state on a real database: the message completes with its last
 * certified recipient's consegna, duplicates change nothing, and two consegne for two recipients
 * of one message applied at the same time still complete it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestDatabase, type TestDatabase } from '@/lib/db/testing';
import { newPecMessageId } from '@/mail/pec';
import { MessageStateStore } from './message-state';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'pec-state-'));
let db: TestDatabase;
let store: MessageStateStore;
before(async () => {
  db = await startTestDatabase();
  store = new MessageStateStore(db.prisma, { preavvisoSeconds: 3600, mancataConsegnaSeconds: 7200, archiveDir: tmp });
});
after(async () => {
  await db?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

let n = 0;
async function submitted(): Promise<string> {
  const identificativo = newPecMessageId(new Date(), { domain: 'pec.alfa.test', node: `n${++n}` });
  await store.recordSubmission({
    identificativo,
    originalMessageId: `<s${n}@client.alfa.test>`,
    sender: 'alice@pec.alfa.test',
    subject: `Stato ${n}`,
    receiptType: 'completa',
    sizeBytes: 100,
    recipients: [
      { address: 'bob@pec.beta.test', tipo: 'certificato', field: 'to' },
      { address: 'carol@pec.beta.test', tipo: 'certificato', field: 'cc' },
      { address: 'dan@example.org', tipo: 'esterno', field: 'to' },
    ],
    original: Buffer.from('Subject: x\r\n\r\nx\r\n'),
    acceptedAt: new Date(),
  });
  return identificativo;
}

const messageState = async (identificativo: string) =>
  (await db.prisma.pecMessage.findFirstOrThrow({ where: { identificativo, direction: 'OUTBOUND' } })).state;

describe('MessageStateStore.applyReceipt', () => {
  it('completes the message with the last certified consegna, and a duplicate changes nothing', async () => {
    const id = await submitted();
    assert.equal(await store.applyReceipt('presa-in-carico', id, ['bob@pec.beta.test', 'carol@pec.beta.test']), 2);
    assert.equal(await messageState(id), 'ACCEPTED');
    assert.equal(await store.applyReceipt('avvenuta-consegna', id, ['BOB@pec.beta.test']), 1);
    assert.equal(await messageState(id), 'ACCEPTED', 'carol is still open');
    assert.equal(await store.applyReceipt('avvenuta-consegna', id, ['bob@pec.beta.test']), 0, 'duplicate');
    assert.equal(await store.applyReceipt('errore-consegna', id, ['carol@pec.beta.test'], new Date(), '5.1.1 x'), 1);
    assert.equal(await messageState(id), 'COMPLETED', 'the esterno recipient does not hold it open');
    const carol = await db.prisma.pecRecipient.findFirstOrThrow({ where: { recipient: 'carol@pec.beta.test', message: { identificativo: id } } });
    assert.equal(carol.state, 'FAILED');
    assert.equal(carol.failureReason, '5.1.1 x');
  });

  it('completes every message when its two consegne are applied at the same time', async () => {
    const ids = await Promise.all(Array.from({ length: 20 }, () => submitted()));
    await Promise.all(
      ids.flatMap((id) => [
        store.applyReceipt('avvenuta-consegna', id, ['bob@pec.beta.test']),
        store.applyReceipt('avvenuta-consegna', id, ['carol@pec.beta.test']),
      ]),
    );
    for (const id of ids) assert.equal(await messageState(id), 'COMPLETED', id);
  });
});
