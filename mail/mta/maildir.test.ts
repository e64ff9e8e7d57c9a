import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import {
  InvalidMailboxAddressError,
  isStored,
  maildirPath,
  maildirUsage,
  QuotaExceededError,
  storeInMaildir,
  uniqueMessageName,
} from './maildir';

const root = mkdtempSync(path.join(os.tmpdir(), 'pec-maildir-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('Maildir delivery', () => {
  it('stores into <root>/<domain>/<local>/Maildir/new with the size in the name, tmp left empty', async () => {
    const raw = 'From: a@pec.alfa.test\r\nSubject: x\r\n\r\nbody\r\n';
    const stored = await storeInMaildir(root, 'Bob@PEC.Beta.test', raw);
    const dir = path.join(root, 'pec.beta.test', 'bob', 'Maildir');
    assert.equal(maildirPath(root, 'bob@pec.beta.test'), dir);
    assert.equal(path.dirname(stored.path), path.join(dir, 'new'));
    assert.equal(readFileSync(stored.path, 'utf8'), raw);
    assert.match(stored.name, new RegExp(`,S=${Buffer.byteLength(raw)}$`));
    assert.deepEqual(readdirSync(path.join(dir, 'tmp')), []);
    assert.deepEqual(readdirSync(path.join(dir, 'cur')), []);
    assert.equal(statSync(path.join(dir, 'new')).mode & 0o777, 0o700);
  });

  it('gives every delivery a distinct name, even many in the same millisecond', async () => {
    const names = new Set(Array.from({ length: 1000 }, () => uniqueMessageName(10, 1_700_000_000_123)));
    assert.equal(names.size, 1000);
    const stored = await Promise.all(
      Array.from({ length: 50 }, (_, i) => storeInMaildir(root, 'carol@pec.beta.test', `n${i}`)),
    );
    assert.equal(new Set(stored.map((s) => s.name)).size, 50);
    assert.equal(readdirSync(path.join(maildirPath(root, 'carol@pec.beta.test'), 'new')).length, 50);
  });

  it('measures usage from the S= sizes and refuses a message past the quota without writing it', async () => {
    const dir = maildirPath(root, 'quota@pec.beta.test');
    await storeInMaildir(root, 'quota@pec.beta.test', Buffer.alloc(600, 'a'), { quotaBytes: 1000 });
    assert.equal(await maildirUsage(dir), 600);
    await assert.rejects(
      storeInMaildir(root, 'quota@pec.beta.test', Buffer.alloc(500, 'b'), { quotaBytes: 1000 }),
      (err: unknown) =>
        err instanceof QuotaExceededError && err.usedBytes === 600 && err.messageBytes === 500,
    );
    assert.equal(readdirSync(path.join(dir, 'new')).length, 1);
    assert.deepEqual(readdirSync(path.join(dir, 'tmp')), []);
    // A caller that already knows the usage (from the database) passes it in.
    await assert.rejects(
      storeInMaildir(root, 'quota@pec.beta.test', 'x', { quotaBytes: 1000, usedBytes: 1000 }),
      QuotaExceededError,
    );
    await storeInMaildir(root, 'quota@pec.beta.test', Buffer.alloc(400, 'c'), { quotaBytes: 1000 });
    assert.equal(await maildirUsage(dir), 1000);
  });

  it('recognises a keyed delivery in new/ or, once read, in cur/', async () => {
    const key = 'opec1.2026@pec.alfa.test dan@pec.beta.test';
    assert.equal(await isStored(root, 'dan@pec.beta.test', key), false);
    const stored = await storeInMaildir(root, 'dan@pec.beta.test', 'busta', { deliveryKey: key });
    assert.equal(await isStored(root, 'dan@pec.beta.test', key), true);
    assert.equal(await isStored(root, 'dan@pec.beta.test', 'another key'), false);
    // A mail reader moves it to cur/ and appends flags.
    renameSync(stored.path, path.join(path.dirname(stored.path), '..', 'cur', `${stored.name}:2,S`));
    assert.equal(await isStored(root, 'dan@pec.beta.test', key), true);
  });

  it('still delivers into a Maildir deleted after an earlier delivery (recreated on ENOENT)', async () => {
    const dir = maildirPath(root, 'erin@pec.beta.test');
    await storeInMaildir(root, 'erin@pec.beta.test', 'first');
    rmSync(dir, { recursive: true });
    const stored = await storeInMaildir(root, 'erin@pec.beta.test', 'second');
    assert.equal(readFileSync(stored.path, 'utf8'), 'second');
    for (const sub of ['tmp', 'new', 'cur']) assert.equal(statSync(path.join(dir, sub)).mode & 0o777, 0o700);
    // Only new/ gone (a careless cleanup): the tmp file written meanwhile still reaches new/.
    rmSync(path.join(dir, 'new'), { recursive: true });
    const third = await storeInMaildir(root, 'erin@pec.beta.test', 'third');
    assert.deepEqual(readdirSync(path.join(dir, 'new')), [third.name]);
    assert.deepEqual(readdirSync(path.join(dir, 'tmp')), []);
  });

  it('refuses addresses that would escape the root', async () => {
    for (const bad of [
      '../x@pec.beta.test',
      'a/b@pec.beta.test',
      '..@pec.beta.test',
      'a@..',
      'noat',
      'a@b/c.test',
    ]) {
      await assert.rejects(storeInMaildir(root, bad, 'x'), InvalidMailboxAddressError, bad);
    }
  });
});
