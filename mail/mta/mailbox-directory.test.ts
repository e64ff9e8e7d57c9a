import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { createSqlPool } from '@/lib/db/sql';
import { startTestDatabase, type TestDatabase } from '@/lib/db/testing';
import { verifyPassword } from '@/lib/passwords';
import { DatabaseMailboxDirectory } from './mailbox-directory';
import { createMailboxes } from './testing/provider-fixture';

let db: TestDatabase;
let pool: pg.Pool;
before(async () => {
  db = await startTestDatabase();
  pool = createSqlPool(db.url);
  await createMailboxes(db.prisma, 'Beta PEC S.r.l.', [
    { address: 'bob@pec.beta.test', password: 'x', quotaBytes: 10_000 },
    { address: 'carol@pec.beta.test', password: 'x' },
    { address: 'later@pec.beta.test', password: 'x' },
  ]);
});
after(async () => {
  await pool?.end();
  await db?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const usedInDb = async (address: string) =>
  Number(
    (await db.prisma.mailbox.findUniqueOrThrow({ where: { address }, select: { usedBytes: true } }))
      .usedBytes,
  );

describe('DatabaseMailboxDirectory', () => {
  it('remembers a mailbox for its TTL, then sees a portal change (suspension)', async () => {
    const dir = new DatabaseMailboxDirectory(pool, { ttlMs: 300 });
    const first = await dir.find('Bob@PEC.beta.test');
    assert.equal(first?.status, 'ACTIVE');
    assert.equal(first?.quotaBytes, 10_000);
    await db.prisma.mailbox.update({
      where: { address: 'bob@pec.beta.test' },
      data: { status: 'SUSPENDED' },
    });
    assert.equal((await dir.find('bob@pec.beta.test'))?.status, 'ACTIVE', 'still the remembered row');
    await sleep(350);
    assert.equal((await dir.find('bob@pec.beta.test'))?.status, 'SUSPENDED');
    await db.prisma.mailbox.update({ where: { address: 'bob@pec.beta.test' }, data: { status: 'ACTIVE' } });
  });

  it('keeps the remembered usage in step with recordDelivery and the database', async () => {
    const dir = new DatabaseMailboxDirectory(pool, { ttlMs: 60_000 });
    const before = (await dir.find('carol@pec.beta.test'))!.usedBytes!;
    await Promise.all([
      dir.recordDelivery('carol@pec.beta.test', 700),
      dir.recordDelivery('CAROL@pec.beta.test', 300),
    ]);
    assert.equal((await dir.find('carol@pec.beta.test'))?.usedBytes, before + 1000);
    assert.equal(await usedInDb('carol@pec.beta.test'), before + 1000);
  });

  it('counts a delivery that lands while the first read is under way', async () => {
    const dir = new DatabaseMailboxDirectory(pool, { ttlMs: 60_000 });
    const before = await usedInDb('carol@pec.beta.test');
    const [found] = await Promise.all([
      dir.find('carol@pec.beta.test'),
      dir.recordDelivery('carol@pec.beta.test', 50),
    ]);
    assert.ok(found);
    assert.equal((await dir.find('carol@pec.beta.test'))?.usedBytes, before + 50);
  });

  it('remembers an unknown address too, until a mailbox appears after the TTL', async () => {
    const dir = new DatabaseMailboxDirectory(pool, { ttlMs: 300 });
    assert.equal(await dir.find('dave@pec.beta.test'), null);
    // a mailbox made ready beforehand (password hashing is slow) appears under that address now
    await db.prisma.mailbox.update({
      where: { address: 'later@pec.beta.test' },
      data: { address: 'dave@pec.beta.test' },
    });
    assert.equal(await dir.find('dave@pec.beta.test'), null, 'still remembered as unknown');
    await sleep(350);
    assert.equal((await dir.find('dave@pec.beta.test'))?.address, 'dave@pec.beta.test');
  });

  it('hands out copies: a caller changing its copy does not change what others see', async () => {
    const dir = new DatabaseMailboxDirectory(pool, { ttlMs: 60_000 });
    const a = (await dir.find('carol@pec.beta.test'))!;
    a.quotaBytes = 1;
    assert.notEqual((await dir.find('carol@pec.beta.test'))?.quotaBytes, 1);
  });

  it('adds up usage of many deliveries at once, per address', async () => {
    const dir = new DatabaseMailboxDirectory(pool, { ttlMs: 60_000 });
    const [bob, carol] = [await usedInDb('bob@pec.beta.test'), await usedInDb('carol@pec.beta.test')];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        dir.recordDelivery(i % 2 ? 'bob@pec.beta.test' : 'Carol@pec.beta.test', 10 + i),
      ),
    );
    assert.equal(await usedInDb('bob@pec.beta.test'), bob + 10 * 10 + 100);
    assert.equal(await usedInDb('carol@pec.beta.test'), carol + 10 * 10 + 90);
    assert.equal((await dir.find('bob@pec.beta.test'))?.usedBytes, bob + 200);
    // an address with no mailbox is remembered as such
    await dir.recordDelivery('nobody@pec.beta.test', 5);
    assert.equal(await dir.find('nobody@pec.beta.test'), null);
  });

  it('reads login credentials afresh', async () => {
    const dir = new DatabaseMailboxDirectory(pool, { ttlMs: 60_000 });
    const bob = await dir.credentials('BOB@pec.beta.test');
    assert.equal(bob?.address, 'bob@pec.beta.test');
    assert.equal(bob?.status, 'ACTIVE');
    assert.equal(await verifyPassword(bob!.passwordHash, 'x'), true);
    await db.prisma.mailbox.update({
      where: { address: 'bob@pec.beta.test' },
      data: { status: 'SUSPENDED' },
    });
    assert.equal((await dir.credentials('bob@pec.beta.test'))?.status, 'SUSPENDED');
    await db.prisma.mailbox.update({ where: { address: 'bob@pec.beta.test' }, data: { status: 'ACTIVE' } });
    assert.equal(await dir.credentials('nobody@pec.beta.test'), null);
  });
});
