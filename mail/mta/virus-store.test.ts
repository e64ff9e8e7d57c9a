import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { startTestDatabase } from '@/lib/db/testing';
import { VirusStore, type VirusFinding } from './virus-store';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'pec-virus-store-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const finding = (identificativo: string, detectedAt: Date, stage: VirusFinding['stage'] = 'access-point'): VirusFinding => ({
  stage,
  identificativo,
  originalMessageId: `<${identificativo}.client@alfa.test>`,
  sender: 'alice@pec.alfa.test',
  recipients: ['bob@pec.beta.test'],
  virus: 'Pec-Test.EICAR.UNOFFICIAL',
  detectedAt,
});

describe('VirusStore', () => {
  it('keeps message and metadata in a month folder, once per transaction and stage', async () => {
    const store = new VirusStore(path.join(tmp, 'a'));
    const raw = Buffer.from('Subject: infetto\r\n\r\ncorpo\r\n');
    const first = await store.keep(raw, finding('id-1@pec.alfa.test', new Date('2026-11-24T10:00:00Z')));
    assert.equal(first.stored, true);
    assert.deepEqual(readFileSync(first.messageFile), raw);
    assert.equal(path.basename(path.dirname(first.messageFile)), '2026-11');
    const again = await store.keep(raw, finding('id-1@pec.alfa.test', new Date('2026-11-24T10:05:00Z')));
    assert.deepEqual(again, { ...first, stored: false });
    // the reception point catching the same identificativo is a separate record
    assert.equal((await store.keep(raw, finding('id-1@pec.alfa.test', new Date('2026-11-24T10:06:00Z'), 'reception-point'))).stored, true);

    const listed = await store.list();
    assert.equal(listed.length, 2);
    assert.equal(listed[0].identificativo, 'id-1@pec.alfa.test');
    assert.equal(listed[0].virus, 'Pec-Test.EICAR.UNOFFICIAL');
    assert.equal(listed[0].sizeBytes, raw.length);
    assert.match(listed[0].sha256, /^[0-9a-f]{64}$/);
    assert.deepEqual(readdirSync(path.dirname(first.messageFile)).filter((n) => n.includes('.tmp-')), [], 'no temp files left');
  });

  it('prunes only whole months older than 30 months, dry run by default, and refuses less than 30', async () => {
    const store = new VirusStore(path.join(tmp, 'b'));
    const raw = Buffer.from('x');
    await store.keep(raw, finding('old@x', new Date('2024-04-30T23:59:00Z')));
    await store.keep(raw, finding('edge@x', new Date('2024-05-01T00:00:00Z')));
    await store.keep(raw, finding('new@x', new Date('2026-11-01T00:00:00Z')));
    const now = new Date('2026-11-24T12:00:00Z');
    const dry = await store.prune({ now });
    assert.deepEqual(dry.months, ['2024-04']);
    assert.equal(dry.applied, false);
    assert.equal((await store.list()).length, 3);
    await assert.rejects(store.prune({ now, keepMonths: 29, apply: true }), /at least 30 months/);
    const applied = await store.prune({ now, apply: true });
    assert.deepEqual(applied.months, ['2024-04']);
    assert.deepEqual((await store.list()).map((s) => s.identificativo), ['edge@x', 'new@x']);
    // an empty or missing store is not an error
    assert.deepEqual((await new VirusStore(path.join(tmp, 'none')).prune({ now })).months, []);
  });
});

describe('npm run log:retention', () => {
  it('prunes the virus store under PEC_DATA_DIR with the transmission log: dry run, then --apply', async () => {
    const db = await startTestDatabase();
    try {
      const store = new VirusStore(path.join(db.dir, 'virus-store'));
      const now = new Date();
      const old = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 40, 15));
      const oldMonth = `${old.getUTCFullYear()}-${String(old.getUTCMonth() + 1).padStart(2, '0')}`;
      await store.keep(Buffer.from('x'), finding('old@x', old));
      await store.keep(Buffer.from('y'), finding('new@x', now));
      const run = (...args: string[]) =>
        spawnSync(process.execPath, ['--import', 'tsx', path.join('scripts', 'log-retention.ts'), ...args], {
          env: { ...process.env, DATABASE_URL: db.url, PEC_DATA_DIR: db.dir },
          encoding: 'utf8',
        });
      const dry = run();
      assert.equal(dry.status, 0, dry.stderr);
      assert.match(dry.stdout, new RegExp(`virus store: would remove ${oldMonth}`));
      assert.equal((await store.list()).length, 2);
      const applied = run('--apply');
      assert.equal(applied.status, 0, applied.stderr);
      assert.match(applied.stdout, /virus store .*: 1 month\(s\) removed/);
      assert.deepEqual((await store.list()).map((s) => s.identificativo), ['new@x']);
    } finally {
      await db.stop();
    }
  });
});
