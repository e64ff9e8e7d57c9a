import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { createSqlPool, type SqlClient, type SqlQuery } from '@/lib/db/sql';
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
/** The real pool, with the statements it ran written down (and the next ones failed, on demand). */
function watchedPool() {
  const statements: string[] = [];
  let failing = 0;
  const client: SqlClient = {
    query<R extends object>(q: SqlQuery) {
      statements.push(q.text);
      if (failing > 0) {
        failing--;
        return Promise.reject(new Error('connection refused (test)'));
      }
      return pool.query<R>(q);
    },
  };
  return { client, statements, failNext: (n: number) => (failing = n) };
}
/** A directory over watchedPool(), writing usage after `usageWriteDelayMs`, its write errors kept. */
function directoryOverWatchedPool(usageWriteDelayMs: number) {
  const watched = watchedPool();
  const errors: string[] = [];
  const dir = new DatabaseMailboxDirectory(watched.client, {
    ttlMs: 60_000,
    usageWriteDelayMs,
    onUsageWriteError: (err) => errors.push(err.message),
  });
  return { dir, watched, errors };
}
const usageUpdates = (statements: string[]) => statements.filter((t) => t.includes('SET used_bytes')).length;
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
    await dir.writeUsage();
    assert.equal(await usedInDb('carol@pec.beta.test'), before + 1000);
    assert.equal((await dir.find('carol@pec.beta.test'))?.usedBytes, before + 1000);
  });

  it('writes the usage of deliveries close together in one UPDATE, shortly after, without being asked', async () => {
    const { dir, watched, errors } = directoryOverWatchedPool(100);
    const [bob, carol] = [await usedInDb('bob@pec.beta.test'), await usedInDb('carol@pec.beta.test')];
    await dir.find('bob@pec.beta.test');
    for (let i = 0; i < 30; i++) await dir.recordDelivery(i % 3 ? 'bob@pec.beta.test' : 'carol@pec.beta.test', 100);
    // recordDelivery does not wait for the database; the remembered count is already right
    assert.equal(usageUpdates(watched.statements), 0);
    assert.equal((await dir.find('bob@pec.beta.test'))?.usedBytes, bob + 2000);
    // an address read for the first time now counts what is not written yet
    assert.equal((await dir.find('carol@pec.beta.test'))?.usedBytes, carol + 1000);
    for (let i = 0; i < 50 && (await usedInDb('carol@pec.beta.test')) === carol; i++) await sleep(20);
    assert.equal(await usedInDb('bob@pec.beta.test'), bob + 2000);
    assert.equal(await usedInDb('carol@pec.beta.test'), carol + 1000);
    assert.equal(usageUpdates(watched.statements), 1, 'one statement for both addresses, 30 deliveries');
    assert.equal((await dir.find('carol@pec.beta.test'))?.usedBytes, carol + 1000, 'counted once');
    assert.deepEqual(errors, []);
    await dir.close();
  });

  it('keeps the bytes of a failed usage write for the next one, and writes them on close', async () => {
    const { dir, watched, errors } = directoryOverWatchedPool(60_000);
    const before = await usedInDb('bob@pec.beta.test');
    await dir.recordDelivery('bob@pec.beta.test', 40);
    watched.failNext(1);
    await assert.rejects(dir.writeUsage(), /connection refused \(test\)/);
    assert.equal(await usedInDb('bob@pec.beta.test'), before);
    await dir.recordDelivery('bob@pec.beta.test', 2);
    await dir.close();
    assert.equal(await usedInDb('bob@pec.beta.test'), before + 42);
    assert.equal(usageUpdates(watched.statements), 2);
    await dir.close();
    assert.equal(usageUpdates(watched.statements), 2, 'nothing left to write');
    assert.deepEqual(errors, []);
  });

  it('reports a failed write made by itself, and writes the bytes with the next one', async () => {
    const { dir, watched, errors } = directoryOverWatchedPool(30);
    const before = await usedInDb('bob@pec.beta.test');
    watched.failNext(1);
    await dir.recordDelivery('bob@pec.beta.test', 7);
    for (let i = 0; i < 100 && (await usedInDb('bob@pec.beta.test')) === before; i++) await sleep(20);
    assert.deepEqual(errors, ['connection refused (test)']);
    assert.equal(await usedInDb('bob@pec.beta.test'), before + 7, 'written by the retry');
    await dir.close();
  });

  it('tries once at close, and leaves no retry behind a failed last write', async () => {
    const { dir, watched, errors } = directoryOverWatchedPool(30);
    const before = await usedInDb('bob@pec.beta.test');
    await dir.recordDelivery('bob@pec.beta.test', 5);
    watched.failNext(1);
    await assert.rejects(dir.close(), /connection refused \(test\)/);
    await sleep(150);
    assert.equal(usageUpdates(watched.statements), 1);
    assert.equal(await usedInDb('bob@pec.beta.test'), before);
    assert.deepEqual(errors, []);
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
    await dir.close();
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
    await dir.writeUsage();
    assert.equal(await usedInDb('bob@pec.beta.test'), bob + 10 * 10 + 100);
    assert.equal(await usedInDb('carol@pec.beta.test'), carol + 10 * 10 + 90);
    assert.equal((await dir.find('bob@pec.beta.test'))?.usedBytes, bob + 200);
    // an address with no mailbox is remembered as such
    await dir.recordDelivery('nobody@pec.beta.test', 5);
    await dir.writeUsage();
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
