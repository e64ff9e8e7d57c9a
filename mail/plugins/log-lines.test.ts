import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { LogLines } from './log-lines';

test('lines added together are written together, once, after flushAfterMs', async () => {
  const writes: string[] = [];
  const lines = new LogLines((t) => writes.push(t), { flushAfterMs: 30, maxBytes: 1 << 20 });
  lines.add('one');
  lines.add('two');
  lines.add('three');
  assert.deepEqual(writes, []);
  await sleep(80);
  assert.deepEqual(writes, ['one\ntwo\nthree\n']);
  lines.add('four');
  await sleep(80);
  assert.deepEqual(writes, ['one\ntwo\nthree\n', 'four\n']);
});

test('past maxBytes the pending lines are written at once; flush() writes the rest and nothing when empty', () => {
  const writes: string[] = [];
  const lines = new LogLines((t) => writes.push(t), { flushAfterMs: 60_000, maxBytes: 10 });
  lines.add('12345');
  assert.deepEqual(writes, []);
  lines.add('6789');
  // 6 + 5 bytes with their newlines: over 10
  assert.deepEqual(writes, ['12345\n6789\n']);
  lines.add('last');
  lines.flush();
  lines.flush();
  assert.deepEqual(writes, ['12345\n6789\n', 'last\n']);
});

test('a pending line does not keep the process alive, and exit writes it', () => {
  // A child that queues a line and ends: its 60 s timer must not hold it, and 'exit' flushes.
  const script = `
    require('tsx/cjs');
    const { LogLines } = require(${JSON.stringify(require.resolve('./log-lines'))});
    const lines = new LogLines((t) => process.stdout.write(t), { flushAfterMs: 60000, maxBytes: 1 << 20 });
    process.on('exit', () => lines.flush());
    lines.add('written at exit');`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'written at exit\n');
});
