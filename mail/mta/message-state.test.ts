/**
 * Receipts moving the OUTBOUND state on a real database: the message completes with its last
 * certified recipient's consegna, duplicates change nothing, and two consegne for two recipients
 * of one message applied at the same time still complete it.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { createSqlPool } from '@/lib/db/sql';
import { startTestDatabase, type TestDatabase } from '@/lib/db/testing';
import { newPecMessageId } from '@/mail/pec';
import { InboundBusyError, MessageStateStore } from './message-state';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'pec-state-'));
let db: TestDatabase;
let pool: pg.Pool;
let store: MessageStateStore;
before(async () => {
  db = await startTestDatabase();
  pool = createSqlPool(db.url);
  // the archive folder does not exist yet: the first submission makes it
  store = new MessageStateStore(pool, {
    preavvisoSeconds: 3600,
    mancataConsegnaSeconds: 7200,
    archiveDir: path.join(tmp, 'originals'),
  });
});
after(async () => {
  await pool?.end();
  await db?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

let n = 0;
async function submitted(
  identificativo = newPecMessageId(new Date(), { domain: 'pec.alfa.test', node: `n${++n}` }),
): Promise<string> {
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
    original: Buffer.from(`Subject: ${n}\r\n\r\nx\r\n`),
    acceptedAt: new Date(),
  });
  return identificativo;
}

const messageState = async (identificativo: string) =>
  (await db.prisma.pecMessage.findFirstOrThrow({ where: { identificativo, direction: 'OUTBOUND' } })).state;

describe('MessageStateStore.applyReceipt', () => {
  it('completes the message with the last certified consegna, and a duplicate changes nothing', async () => {
    const id = await submitted();
    assert.equal(
      await store.applyReceipt('presa-in-carico', id, ['bob@pec.beta.test', 'carol@pec.beta.test']),
      2,
    );
    assert.equal(await messageState(id), 'ACCEPTED');
    assert.equal(await store.applyReceipt('avvenuta-consegna', id, ['BOB@pec.beta.test']), 1);
    assert.equal(await messageState(id), 'ACCEPTED', 'carol is still open');
    assert.equal(await store.applyReceipt('avvenuta-consegna', id, ['bob@pec.beta.test']), 0, 'duplicate');
    assert.equal(
      await store.applyReceipt('errore-consegna', id, ['carol@pec.beta.test'], new Date(), '5.1.1 x'),
      1,
    );
    assert.equal(await messageState(id), 'COMPLETED', 'the esterno recipient does not hold it open');
    const carol = await db.prisma.pecRecipient.findFirstOrThrow({
      where: { recipient: 'carol@pec.beta.test', message: { identificativo: id } },
    });
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

describe('MessageStateStore receipts arriving together', () => {
  it('applies a presa in carico and a consegna for one recipient in the same batch, in order', async () => {
    const ids = await Promise.all(Array.from({ length: 3 }, () => submitted()));
    // the first receipt goes alone; the rest meet in one batch, bob named twice per message
    const counts = await Promise.all([
      store.applyReceipt('presa-in-carico', ids[0], ['carol@pec.beta.test']),
      ...ids.flatMap((id) => [
        store.applyReceipt('presa-in-carico', id, ['bob@pec.beta.test']),
        store.applyReceipt('avvenuta-consegna', id, ['bob@pec.beta.test']),
        store.applyReceipt('avvenuta-consegna', id, ['bob@pec.beta.test']),
      ]),
    ]);
    assert.deepEqual(counts, [1, 1, 1, 0, 1, 1, 0, 1, 1, 0]);
    for (const id of ids) {
      const bob = await db.prisma.pecRecipient.findFirstOrThrow({
        where: { recipient: 'bob@pec.beta.test', message: { identificativo: id } },
      });
      assert.equal(bob.state, 'DELIVERED');
      assert.ok(bob.takenInChargeAt && bob.deliveredAt);
      assert.equal(await messageState(id), 'ACCEPTED', 'carol is still open');
    }
    // carol's consegna and an unknown message's receipt in one batch
    const last = await Promise.all([
      store.applyReceipt('presa-in-carico', 'opec.unknown@pec.alfa.test', ['bob@pec.beta.test']),
      store.applyReceipt(
        'errore-consegna',
        ids[0],
        ['carol@pec.beta.test'],
        new Date(),
        '5.2.2 casella piena',
      ),
      store.applyReceipt('avvenuta-consegna', ids[1], ['carol@pec.beta.test']),
    ]);
    assert.deepEqual(last, [0, 1, 1]);
    assert.equal(await messageState(ids[0]), 'COMPLETED');
    assert.equal(await messageState(ids[1]), 'COMPLETED');
    assert.equal(await messageState(ids[2]), 'ACCEPTED');
  });
});

describe('MessageStateStore', () => {
  it('archives the original where the message row points, concurrent submissions included', async () => {
    const ids = await Promise.all(Array.from({ length: 5 }, () => submitted()));
    for (const id of ids) {
      const m = await db.prisma.pecMessage.findFirstOrThrow({
        where: { identificativo: id, direction: 'OUTBOUND' },
      });
      assert.match(readFileSync(m.spoolPath!, 'latin1'), /^Subject: \d+\r\n/);
      assert.equal(m.sizeBytes, 100n);
    }
  });

  it('records submissions accepted together, timers only for certified recipients', async () => {
    const ids = await Promise.all(Array.from({ length: 8 }, () => submitted()));
    for (const id of ids) {
      const rows = await db.prisma.pecRecipient.findMany({
        where: { message: { identificativo: id } },
        include: { message: true },
        orderBy: { recipient: 'asc' },
      });
      assert.deepEqual(
        rows.map((r) => [
          r.recipient,
          r.certified,
          r.isCc,
          r.state,
          r.preavvisoDueAt !== null,
          r.mancataConsegnaDueAt !== null,
        ]),
        [
          ['bob@pec.beta.test', true, false, 'ACCEPTED', true, true],
          ['carol@pec.beta.test', true, true, 'ACCEPTED', true, true],
          ['dan@example.org', false, false, 'ACCEPTED', false, false],
        ],
      );
      const m = rows[0].message;
      assert.equal(m.receiptType, 'COMPLETA');
      assert.equal(m.sender, 'alice@pec.alfa.test');
      assert.ok(m.senderMailboxId === null, 'alice has no mailbox in this database');
      const late = rows[0].mancataConsegnaDueAt!.getTime() - rows[0].preavvisoDueAt!.getTime();
      assert.equal(late, 3600_000);
    }
  });

  it('refuses only the submission that fails in a batch, not its neighbours', async () => {
    const taken = await submitted();
    const results = await Promise.allSettled([submitted(), submitted(taken), submitted(), submitted()]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled', 'fulfilled'],
    );
    for (const r of results)
      if (r.status === 'fulfilled') assert.equal(await messageState(r.value), 'ACCEPTED');
  });

  it('makes the archive folder again when it went away', async () => {
    await submitted();
    rmSync(path.join(tmp, 'originals'), { recursive: true, force: true });
    const id = await submitted();
    const m = await db.prisma.pecMessage.findFirstOrThrow({
      where: { identificativo: id, direction: 'OUTBOUND' },
    });
    assert.match(readFileSync(m.spoolPath!, 'latin1'), /^Subject: /);
  });

  it('marks bustas relayed at the same time, each for its own recipients', async () => {
    const ids = await Promise.all(Array.from({ length: 10 }, () => submitted()));
    const at = new Date('2026-11-24T10:00:00.000Z');
    await Promise.all(ids.map((id) => store.markRelayed(id, ['BOB@pec.beta.test'], at)));
    for (const id of ids) {
      const rows = await db.prisma.pecRecipient.findMany({ where: { message: { identificativo: id } } });
      const bob = rows.find((r) => r.recipient === 'bob@pec.beta.test')!;
      assert.equal(bob.state, 'RELAYED');
      assert.equal(bob.relayedAt?.toISOString(), at.toISOString());
      assert.equal(rows.find((r) => r.recipient === 'carol@pec.beta.test')!.state, 'ACCEPTED');
    }
    // a relay reported after the presa in carico does not move the recipient back
    await store.applyReceipt('presa-in-carico', ids[0], ['carol@pec.beta.test']);
    await store.markRelayed(ids[0], ['carol@pec.beta.test']);
    const carol = await db.prisma.pecRecipient.findFirstOrThrow({
      where: { recipient: 'carol@pec.beta.test', message: { identificativo: ids[0] } },
    });
    assert.equal(carol.state, 'TAKEN_IN_CHARGE');
  });

  it('settles inbound recipients together, and a retried busta finds them settled', async () => {
    const inbound = {
      identificativo: 'opec.in.1@pec.alfa.test',
      originalMessageId: '<in1@client.alfa.test>',
      sender: 'alice@pec.alfa.test',
      subject: 'In',
      counterpartProvider: 'Alfa PEC S.p.A.',
      sizeBytes: 10,
      recipients: ['bob@pec.beta.test', 'carol@pec.beta.test', 'dan@pec.beta.test'],
    };
    const first = await store.beginInbound(inbound);
    assert.deepEqual(first.newlyReceived, inbound.recipients);
    await Promise.all([
      store.settleInbound(inbound.identificativo, 'bob@pec.beta.test', true),
      store.settleInbound(inbound.identificativo, 'carol@pec.beta.test', false, '5.2.2 casella piena'),
    ]);
    // the first attempt failed before dan (its sender heard 4xx): what it claimed is released
    await store.releaseInbound(inbound.identificativo, first.claim);
    const retried = await store.beginInbound(inbound);
    assert.deepEqual(retried.newlyReceived, []);
    assert.deepEqual([...retried.settled].sort(), ['bob@pec.beta.test', 'carol@pec.beta.test']);
    const carol = await db.prisma.pecRecipient.findFirstOrThrow({
      where: { recipient: 'carol@pec.beta.test', message: { identificativo: inbound.identificativo } },
    });
    assert.equal(carol.failureReason, '5.2.2 casella piena');
  });

  it('claims a busta\'s recipients for one attempt: one retried meanwhile waits, a failed one releases them', async () => {
    const busta = (k: string) => ({
      identificativo: `opec.claim.${k}@pec.alfa.test`,
      originalMessageId: `<claim${k}@client.alfa.test>`,
      sender: 'alice@pec.alfa.test',
      subject: 'Claim',
      counterpartProvider: 'Alfa PEC S.p.A.',
      sizeBytes: 10,
      recipients: ['bob@pec.beta.test', 'carol@pec.beta.test'],
    });
    const claims = async (identificativo: string) =>
      (
        await db.prisma.pecRecipient.findMany({
          where: { message: { identificativo, direction: 'INBOUND' } },
          orderBy: { recipient: 'asc' },
        })
      ).map((r) => r.claim);
    // the same busta twice at once, new (both insert its rows) and known (both claim them)
    for (const k of ['new', 'known']) {
      const input = busta(k);
      if (k === 'known') await store.releaseInbound(input.identificativo, (await store.beginInbound(input)).claim);
      const attempts = await Promise.allSettled([store.beginInbound(input), store.beginInbound(input)]);
      const won = attempts.filter((a) => a.status === 'fulfilled');
      const lost = attempts.filter((a) => a.status === 'rejected');
      assert.equal(won.length, 1, `${k}: one attempt delivers`);
      assert.ok(lost[0].reason instanceof InboundBusyError, `${k}: ${lost[0].reason}`);
      const winner = won[0].value;
      assert.deepEqual(winner.newlyReceived, k === 'new' ? input.recipients : []);
      assert.deepEqual(await claims(input.identificativo), [winner.claim, winner.claim], 'the loser took nothing');
      // while it runs, a third attempt waits too
      await assert.rejects(store.beginInbound(input), InboundBusyError);
      // it settles bob and fails before carol: the next attempt gets carol alone
      await store.settleInbound(input.identificativo, 'bob@pec.beta.test', true);
      await store.releaseInbound(input.identificativo, winner.claim);
      const next = await store.beginInbound(input);
      assert.deepEqual([...next.settled], ['bob@pec.beta.test']);
      assert.deepEqual(await claims(input.identificativo), [null, next.claim]);
    }
  });

  it('holds a claim against another node until its lease ends, and hands it to its own node restarted', async () => {
    const options = { preavvisoSeconds: 3600, mancataConsegnaSeconds: 7200, archiveDir: path.join(tmp, 'originals') };
    const input = {
      identificativo: 'opec.lease@pec.alfa.test',
      originalMessageId: '<lease@client.alfa.test>',
      sender: 'alice@pec.alfa.test',
      subject: 'Lease',
      counterpartProvider: 'Alfa PEC S.p.A.',
      sizeBytes: 10,
      recipients: ['bob@pec.beta.test'],
    };
    const first = new MessageStateStore(pool, { ...options, node: 'node-1' });
    const other = new MessageStateStore(pool, { ...options, node: 'node-2' });
    const claimed = await first.beginInbound(input);
    await assert.rejects(other.beginInbound(input), InboundBusyError, 'another node waits');
    // node-1's process died (kill -9) and started again: its claim is a dead run's, taken at once
    const restarted = new MessageStateStore(pool, { ...options, node: 'node-1' });
    const again = await restarted.beginInbound(input);
    assert.notEqual(again.claim, claimed.claim);
    await assert.rejects(other.beginInbound(input), InboundBusyError);
    // node-1 lost for good: past the lease, another node takes the recipient over
    const afterLease = new MessageStateStore(pool, { ...options, node: 'node-2', inboundClaimLeaseMs: 0 });
    const takenOver = await afterLease.beginInbound(input);
    assert.deepEqual(takenOver.newlyReceived, []);
    assert.deepEqual([...takenOver.settled], []);
  });

  it('knows a receipt already applied for every recipient it names', async () => {
    const id = await submitted();
    assert.equal(await store.isDuplicateReceipt('presa-in-carico', id, ['bob@pec.beta.test']), false);
    await store.applyReceipt('presa-in-carico', id, ['bob@pec.beta.test']);
    assert.equal(await store.isDuplicateReceipt('presa-in-carico', id, ['bob@pec.beta.test']), true);
    assert.equal(
      await store.isDuplicateReceipt('presa-in-carico', id, ['bob@pec.beta.test', 'carol@pec.beta.test']),
      false,
    );
    assert.equal(await store.isDuplicateReceipt('avvenuta-consegna', id, ['bob@pec.beta.test']), false);
  });
});

describe('MessageStateStore.pruneArchivedOriginals', () => {
  it('deletes the originals of settled messages older than two days, and nothing else', async () => {
    const archiveOf = async (identificativo: string) =>
      (await db.prisma.pecMessage.findFirstOrThrow({ where: { identificativo, direction: 'OUTBOUND' } })).spoolPath;
    const settled = await submitted();
    await store.applyReceipt('avvenuta-consegna', settled, ['bob@pec.beta.test', 'carol@pec.beta.test']);
    const open = await submitted();
    await store.applyReceipt('avvenuta-consegna', open, ['bob@pec.beta.test']);
    // another node's archive folder: not ours to delete
    const otherDir = path.join(tmp, 'originals-other-node');
    const other = new MessageStateStore(pool, { preavvisoSeconds: 3600, mancataConsegnaSeconds: 7200, archiveDir: otherDir });
    const elsewhere = newPecMessageId(new Date(), { domain: 'pec.alfa.test', node: 'other' });
    await other.recordSubmission({
      identificativo: elsewhere,
      originalMessageId: '<other@client.alfa.test>',
      sender: 'alice@pec.alfa.test',
      subject: 'altrove',
      receiptType: 'completa',
      sizeBytes: 10,
      recipients: [{ address: 'bob@pec.beta.test', tipo: 'certificato', field: 'to' }],
      original: Buffer.from('Subject: altrove\r\n\r\nx\r\n'),
      acceptedAt: new Date(),
    });
    await other.applyReceipt('avvenuta-consegna', elsewhere, ['bob@pec.beta.test']);
    const files = await Promise.all([settled, open, elsewhere].map(archiveOf));
    for (const f of files) assert.ok(f && existsSync(f), `${f} archived`);

    // one day later: everything is still needed (the spool may still report a relay failure)
    await store.pruneArchivedOriginals(new Date(Date.now() + 24 * 3600_000));
    for (const f of files) assert.ok(existsSync(f!), `${f} kept after one day`);

    const pruned = await store.pruneArchivedOriginals(new Date(Date.now() + 49 * 3600_000));
    assert.ok(pruned >= 1);
    assert.equal(existsSync(files[0]!), false, 'settled message: original deleted');
    assert.equal(await archiveOf(settled), null, 'and its row no longer points to it');
    assert.ok(existsSync(files[1]!), 'a certified recipient still open: kept for its 24 h notice');
    assert.equal(await archiveOf(open), files[1]);
    assert.ok(existsSync(files[2]!), "another node's archive is left to that node");
    assert.equal(await archiveOf(elsewhere), files[2]);

    // a file already gone changes nothing but the row
    rmSync(files[2]!);
    assert.equal(await other.pruneArchivedOriginals(new Date(Date.now() + 49 * 3600_000)), 1);
    assert.equal(await archiveOf(elsewhere), null);
  });
});
