import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fsyncDirectory, writeFileDurably } from './file-io';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'pec-file-io-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('writeFileDurably', () => {
  it('writes every buffer in order, mode 0600', async () => {
    const file = path.join(tmp, 'a');
    await writeFileDurably(file, [Buffer.from('head\n'), Buffer.alloc(200_000, 'x'), Buffer.from('end')], 'new');
    const written = readFileSync(file);
    assert.equal(written.length, 5 + 200_000 + 3);
    assert.equal(written.subarray(0, 5).toString(), 'head\n');
    assert.equal(written.subarray(-3).toString(), 'end');
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });

  it('exclusive: refuses an existing file and leaves it as it was', async () => {
    const file = path.join(tmp, 'taken');
    writeFileSync(file, 'another delivery');
    await assert.rejects(writeFileDurably(file, [Buffer.from('mine')], 'new'), {
      code: 'EEXIST',
    });
    assert.equal(readFileSync(file, 'utf8'), 'another delivery');
  });

  it('replace: truncates a longer file and writes over it, or creates it', async () => {
    const file = path.join(tmp, 'spare');
    writeFileSync(file, 'a much longer previous content');
    await writeFileDurably(file, [Buffer.from('short')], 'replace');
    assert.equal(readFileSync(file, 'utf8'), 'short');
    await writeFileDurably(path.join(tmp, 'fresh'), [Buffer.from('new one')], 'replace');
    assert.equal(readFileSync(path.join(tmp, 'fresh'), 'utf8'), 'new one');
  });

  it('existing: writes over a file that is there, and never creates one', async () => {
    const file = path.join(tmp, 'reused');
    writeFileSync(file, 'a much longer previous content');
    const inode = statSync(file).ino;
    await writeFileDurably(file, [Buffer.from('again')], 'existing');
    assert.equal(readFileSync(file, 'utf8'), 'again', 'cut to its new length');
    await writeFileDurably(file, [Buffer.from('a longer one than before, '), Buffer.alloc(20_000, 'z')], 'existing');
    assert.equal(readFileSync(file, 'utf8'), `a longer one than before, ${'z'.repeat(20_000)}`);
    assert.equal(statSync(file).ino, inode);
    await assert.rejects(writeFileDurably(path.join(tmp, 'not-there'), [Buffer.from('x')], 'existing'), {
      code: 'ENOENT',
    });
    assert.equal(existsSync(path.join(tmp, 'not-there')), false);
  });

  it('a write the disk refuses throws its error and leaves no file behind', async () => {
    // A name leading to /dev/full: the open succeeds, every write fails with ENOSPC, as on a full
    // disk. The cleanup removes the name (the link), never what it points to.
    const file = path.join(tmp, 'on-a-full-disk');
    symlinkSync('/dev/full', file);
    await assert.rejects(writeFileDurably(file, [Buffer.from('receipt')], 'replace'), { code: 'ENOSPC' });
    assert.throws(() => lstatSync(file), { code: 'ENOENT' });
    assert.ok(statSync('/dev/full').isCharacterDevice());
  });

  it('a missing folder is an ENOENT error (the Maildir code recreates it and retries)', async () => {
    await assert.rejects(
      writeFileDurably(path.join(tmp, 'gone', 'x'), [Buffer.from('x')], 'new'),
      {
        code: 'ENOENT',
      },
    );
  });
});

describe('fsyncDirectory', () => {
  it('syncs an existing folder and rejects a missing one or a file', async () => {
    await fsyncDirectory(tmp);
    await assert.rejects(fsyncDirectory(path.join(tmp, 'missing')), { code: 'ENOENT' });
    const file = path.join(tmp, 'plain-file');
    writeFileSync(file, '');
    await assert.rejects(fsyncDirectory(file), { code: 'ENOTDIR' });
  });
});
