import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { directorySyncCounts, syncDirectory } from './dir-sync';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'pec-dir-sync-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('Directory fsync group commit', () => {
  it('lets callers that arrive during an fsync share the next one, never the running one', async () => {
    const before = directorySyncCounts();
    writeFileSync(path.join(tmp, 'first.tmp'), 'x');
    renameSync(path.join(tmp, 'first.tmp'), path.join(tmp, 'first'));
    const first = syncDirectory(tmp).then(() => directorySyncCounts().completed - before.completed);
    // 20 more renames while that fsync is under way: it began before them, so it cannot cover them.
    const late = Array.from({ length: 20 }, (_, i) => {
      writeFileSync(path.join(tmp, `late${i}.tmp`), 'x');
      renameSync(path.join(tmp, `late${i}.tmp`), path.join(tmp, `late${i}`));
      return syncDirectory(tmp).then(() => directorySyncCounts().completed - before.completed);
    });
    assert.equal(await first, 1);
    assert.deepEqual(await Promise.all(late), Array(20).fill(2), 'all served by the second fsync');
    assert.equal(directorySyncCounts().started - before.started, 2, 'two fsyncs for 21 callers');

    // Idle again: the next caller starts its own fsync at once; other directories are independent.
    await Promise.all([syncDirectory(tmp), syncDirectory(os.tmpdir())]);
    assert.equal(directorySyncCounts().started - before.started, 4);
  });

  it('rejects the callers of a failed fsync and serves later ones normally', async () => {
    await assert.rejects(syncDirectory(path.join(tmp, 'missing')), { code: 'ENOENT' });
    await syncDirectory(tmp);
  });
});
