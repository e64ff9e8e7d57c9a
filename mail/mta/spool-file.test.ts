import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { readSpoolData, readSpoolEntries, writeSpoolFile, type SpoolEntry } from './spool-file';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'pec-spool-file-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const entry = (id: string, to: string[]): SpoolEntry => ({
  id,
  from: 'alice@pec.alfa.test',
  to,
  attempts: 0,
  createdAt: '2026-11-24T10:00:00.000Z',
  nextAttemptAt: '2026-11-24T10:00:00.000Z',
});

describe('Spool file', () => {
  it('holds several members, each read back whole, whatever the header and data sizes', async () => {
    const file = path.join(tmp, 'group');
    // 4000 recipients: a header far beyond the first read; a second member beyond it too.
    const many = Array.from({ length: 4000 }, (_, i) => `r${i}@pec.beta.test`);
    const busta = [Buffer.from('Subject: busta\r\n\r\n'), Buffer.alloc(150_000, 'b')];
    const accettazione = Buffer.from('Subject: accettazione\r\n\r\nok\r\n');
    const empty = Buffer.alloc(0);
    await writeSpoolFile(file, [
      { entry: entry('busta', many), data: busta },
      { entry: entry('accettazione', ['alice@pec.alfa.test']), data: accettazione },
      { entry: entry('empty', ['x@pec.beta.test']), data: empty },
    ]);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const entries = await readSpoolEntries(file);
    assert.deepEqual(
      entries.map((e) => [e.id, e.to.length]),
      [
        ['busta', 4000],
        ['accettazione', 1],
        ['empty', 1],
      ],
    );
    assert.deepEqual(entries[1], entry('accettazione', ['alice@pec.alfa.test']), 'no size field leaks out');
    assert.deepEqual(await readSpoolData(file, 'busta'), Buffer.concat(busta));
    assert.deepEqual(await readSpoolData(file, 'accettazione'), accettazione);
    assert.deepEqual(await readSpoolData(file, 'empty'), empty);
    await assert.rejects(readSpoolData(file, 'other'), /holds no entry other/);
  });
});
