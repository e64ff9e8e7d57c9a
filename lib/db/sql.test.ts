import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { createSqlPool, rowsOf, sql, sqlClientOf } from './sql';
import { startTestDatabase, type TestDatabase } from './testing';

let db: TestDatabase;
let pool: pg.Pool;
before(async () => {
  db = await startTestDatabase({ migrate: false });
  pool = createSqlPool(db.url, { max: 2 });
});
after(async () => {
  await pool?.end();
  await db?.stop();
});

describe('sql', () => {
  it('numbers the values, splices fragments and names the statement by its text', () => {
    const where = sql`b = ${2} AND c = ${'x'}`;
    const q = sql`SELECT ${1} WHERE ${where} OR d = ${[3]}`;
    assert.equal(q.text, 'SELECT $1 WHERE b = $2 AND c = $3 OR d = $4');
    assert.deepEqual(q.values, [1, 2, 'x', [3]]);
    assert.equal(sql`SELECT ${5} WHERE ${sql`b = ${6} AND c = ${'y'}`} OR d = ${[7]}`.name, q.name);
    assert.notEqual(sql`SELECT ${1}`.name, q.name);
  });

  it('runs the same statement over the pool and over a PrismaClient', async () => {
    const query = (n: number) => sql`
      SELECT x.n, x.label, x.at FROM unnest(${[n, n + 1]}::integer[], ${['a', null]}::text[],
                                              ${['2026-11-24T10:00:00.000Z', null]}::timestamptz[]) AS x(n, label, at)`;
    type Row = { n: number; label: string | null; at: Date | null };
    // twice on the pool: the second run reuses the connection's prepared statement
    for (const n of [1, 5]) {
      assert.deepEqual(await rowsOf<Row>(pool, query(n)), [
        { n, label: 'a', at: new Date('2026-11-24T10:00:00.000Z') },
        { n: n + 1, label: null, at: null },
      ]);
    }
    assert.deepEqual(await rowsOf<Row>(sqlClientOf(db.prisma), query(1)), [
      { n: 1, label: 'a', at: new Date('2026-11-24T10:00:00.000Z') },
      { n: 2, label: null, at: null },
    ]);
  });
});
