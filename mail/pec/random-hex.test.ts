import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomHex } from './random-hex';

test('randomHex gives 2n lower-case hex digits, never the same twice across pool refills', () => {
  const seen = new Set<string>();
  // 3,000 × 12 bytes: the 4 KB pool is refilled several times on the way.
  for (let i = 0; i < 3000; i++) {
    const h = randomHex(12);
    assert.match(h, /^[0-9a-f]{24}$/);
    assert.ok(!seen.has(h), `repeated ${h}`);
    seen.add(h);
  }
  assert.match(randomHex(1), /^[0-9a-f]{2}$/);
  assert.match(randomHex(256), /^[0-9a-f]{512}$/);
});

test('randomHex: the bytes are spread (no byte value is missing in 64 KB)', () => {
  const counts = new Array<number>(256).fill(0);
  for (let i = 0; i < 256; i++) {
    const h = randomHex(256);
    for (let j = 0; j < h.length; j += 2) counts[parseInt(h.slice(j, j + 2), 16)]++;
  }
  // 65,536 bytes: each value expected 256 times; one absent would mean a broken source.
  assert.ok(Math.min(...counts) > 150, `min ${Math.min(...counts)}`);
  assert.ok(Math.max(...counts) < 380, `max ${Math.max(...counts)}`);
});

test('randomHex refuses sizes it cannot give', () => {
  for (const n of [0, -1, 1.5, 257, Number.NaN]) assert.throws(() => randomHex(n), RangeError);
});
