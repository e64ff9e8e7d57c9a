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

  it('a call site gives the same text and name on every call, its own values each time, fragment or not', () => {
    const site = (v: unknown) => sql`SELECT ${v} FROM t WHERE k = ${'k'}`;
    const [a, b] = [site(1), site([2, 3])];
    assert.equal(a.text, 'SELECT $1 FROM t WHERE k = $2');
    assert.deepEqual([a.text, a.name], [b.text, b.name]);
    assert.deepEqual([a.values, b.values], [[1, 'k'], [[2, 3], 'k']]);
    // the same site given a fragment splices it, and then a plain value again goes back to $n
    const spliced = site(sql`now() - ${'1 day'}::interval`);
    assert.equal(spliced.text, 'SELECT now() - $1::interval FROM t WHERE k = $2');
    assert.deepEqual(spliced.values, ['1 day', 'k']);
    assert.notEqual(spliced.name, a.name);
    assert.deepEqual(site(4), { text: a.text, values: [4, 'k'], name: a.name });
    assert.equal(sql`SELECT 1`.text, 'SELECT 1');
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
