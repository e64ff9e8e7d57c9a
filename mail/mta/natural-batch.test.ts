import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NaturalBatch } from './natural-batch';

/** A batch runner that records its batches and answers once released. */
function recordingRunner() {
  const batches: number[][] = [];
  const waiting: (() => void)[] = [];
  const run = async (items: number[]) => {
    batches.push(items);
    await new Promise<void>((resolve) => waiting.push(resolve));
    if (items.includes(-1)) throw new Error('bad item');
    return items.map((i) => i * 10);
  };
  const release = async () => {
    while (waiting.length === 0) await new Promise((r) => setImmediate(r));
    waiting.shift()!();
  };
  return { batches, run, release };
}

describe('NaturalBatch', () => {
  it('runs the first item at once and what arrived meanwhile as one batch', async () => {
    const r = recordingRunner();
    const batch = new NaturalBatch(r.run);
    const first = batch.submit(1);
    const rest = [2, 3, 4].map((i) => batch.submit(i));
    assert.deepEqual(r.batches, [[1]], 'no waiting for company');
    await r.release();
    assert.equal(await first, 10);
    await r.release();
    assert.deepEqual(await Promise.all(rest), [20, 30, 40]);
    assert.deepEqual(r.batches, [[1], [2, 3, 4]]);
    // idle again: the next item goes alone, at once
    const later = batch.submit(5);
    assert.deepEqual(r.batches.at(-1), [5]);
    await r.release();
    assert.equal(await later, 50);
  });

  it('runs a failed batch again item by item: only the bad item fails, its neighbours are kept', async () => {
    const r = recordingRunner();
    const batch = new NaturalBatch(r.run);
    const first = batch.submit(1);
    const shared = [batch.submit(2), batch.submit(-1), batch.submit(4)];
    await r.release(); // [1]
    await r.release(); // [2, -1, 4] fails
    for (let i = 0; i < 3; i++) await r.release(); // each alone
    assert.equal(await first, 10);
    assert.equal(await shared[0], 20);
    await assert.rejects(shared[1], /bad item/);
    assert.equal(await shared[2], 40);
    assert.deepEqual(r.batches, [[1], [2, -1, 4], [2], [-1], [4]]);
    const next = batch.submit(3);
    await r.release();
    assert.equal(await next, 30);
  });

  it('a failing runner (database down) fails every caller, each after its own try', async () => {
    let calls = 0;
    const down = new NaturalBatch<number, number>(async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 5));
      throw new Error('connection refused');
    });
    const all = [1, 2, 3].map((i) => down.submit(i));
    for (const p of all) await assert.rejects(p, /connection refused/);
    assert.equal(calls, 1 + 1 + 2, 'first alone, then [2, 3], then 2 and 3 alone');
  });

  it('caps a batch at maxItems', async () => {
    const r = recordingRunner();
    const batch = new NaturalBatch(r.run, 2);
    const all = [1, 2, 3, 4, 5].map((i) => batch.submit(i));
    for (let i = 0; i < 3; i++) await r.release();
    assert.deepEqual(await Promise.all(all), [10, 20, 30, 40, 50]);
    assert.deepEqual(r.batches, [[1], [2, 3], [4, 5]]);
  });

  it('rejects a batch whose runner returns the wrong number of results', async () => {
    const pair = new NaturalBatch<number, number>(async (items) => (items.length > 1 ? [1] : [7]));
    const three = [pair.submit(1), pair.submit(2), pair.submit(3)];
    assert.equal(await three[0], 7);
    await assert.rejects(three[1], /1 results for 2 items/);
    await assert.rejects(three[2], /1 results for 2 items/);
  });
});
