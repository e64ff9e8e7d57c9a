/**
 * The portal → MTA change feed on a real PostgreSQL: notifications arrive only for committed
 * transactions, and a listener whose connection is killed reconnects, says "flush everything"
 * ('*'), and keeps receiving.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { notifyConfigChanged, onConfigChanged, parseConfigChange, type ConfigChange } from './config-changes';
import { startTestDatabase, type TestDatabase } from './testing';

let db: TestDatabase;
before(async () => {
  db = await startTestDatabase();
});
after(() => db?.stop());

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('payload parsing', () => {
  assert.deepEqual(parseConfigChange('mailbox:0b1c'), { entity: 'mailbox', id: '0b1c' });
  assert.deepEqual(parseConfigChange('domain'), { entity: 'domain', id: '' });
});

test('committed changes are delivered, rolled-back ones are not; a killed connection reconnects and flushes', async () => {
  const changes: ConfigChange[] = [];
  const sub = onConfigChanged((c) => changes.push(c), { url: db.url, retryMs: 50 });
  try {
    await sub.ready;
    await db.prisma.$transaction(async (tx) => notifyConfigChanged(tx, 'domain', 'd1'));
    await assert.rejects(
      db.prisma.$transaction(async (tx) => {
        await notifyConfigChanged(tx, 'domain', 'rolled-back');
        throw new Error('rollback');
      }),
    );
    await db.prisma.$transaction(async (tx) => notifyConfigChanged(tx, 'mailbox', 'm1'));
    await until(() => changes.length >= 2);
    assert.deepEqual(changes, [
      { entity: 'domain', id: 'd1' },
      { entity: 'mailbox', id: 'm1' },
    ]);

    // kill the listening backend: the subscription must come back by itself
    await db.prisma.$executeRaw`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN pec_config_changed%' AND pid <> pg_backend_pid()`;
    await until(() => changes.some((c) => c.entity === '*'));
    await notifyConfigChanged(db.prisma, 'mailbox', 'm2');
    await until(() => changes.some((c) => c.id === 'm2'));
  } finally {
    await sub.close();
  }
});
