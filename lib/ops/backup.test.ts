import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { storeInMaildir } from '../../mail/mta/maildir';
import { startTestDatabase, type TestDatabase } from '../db/testing';
import { hashPassword } from '../passwords';

const work = mkdtempSync(path.join(os.tmpdir(), 'pec-backup-'));
const source = { maildir: path.join(work, 'maildir-a') };
const target = { maildir: path.join(work, 'maildir-b') };
const backupDir = path.join(work, 'backup');
let a: TestDatabase;
let b: TestDatabase;

function script(name: string, db: TestDatabase, maildir: string, ...args: string[]) {
  const env = { ...process.env, DATABASE_URL: db.url, PEC_DATA_DIR: db.dir, MAILDIR_ROOT: maildir, PEC_MAIL_DOMAIN: 'pec.ops.test' };
  return spawnSync(process.execPath, ['--import', 'tsx', path.join('scripts', name), ...args], { env, encoding: 'utf8' });
}

/** Every file under `root` (relative path → bytes). */
function tree(root: string, rel = ''): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const e of readdirSync(path.join(root, rel), { withFileTypes: true })) {
    const p = path.join(rel, e.name);
    if (e.isDirectory()) for (const [k, v] of tree(root, p)) out.set(k, v);
    else out.set(p, readFileSync(path.join(root, p)));
  }
  return out;
}

const tables = ['organizations', 'users', 'domains', 'mailboxes', 'pec_messages', 'pec_recipients', 'transmission_log', 'audit_events', 'provider_certificates'];
async function snapshot(db: TestDatabase): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of tables) {
    const rows = await db.prisma.$queryRawUnsafe<{ j: unknown }[]>(`SELECT to_jsonb(x) AS j FROM "${t}" x ORDER BY 1`);
    out[t] = JSON.stringify(rows.map((r) => r.j).sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))));
  }
  return out;
}

before(async () => {
  const env = { ...process.env, PEC_MAIL_DOMAIN: 'pec.ops.test' };
  [a, b] = await Promise.all([startTestDatabase({ seed: true, env }), startTestDatabase({ migrate: false, env })]);
  const org = await a.prisma.organization.create({ data: { kind: 'COMPANY', name: 'Rossi S.r.l.', parentId: a.seeded?.organizationId } });
  const domain = await a.prisma.domain.findUniqueOrThrow({ where: { name: 'pec.ops.test' } });
  const passwordHash = await hashPassword('holder password');
  const boxes = [];
  for (const local of ['mario.rossi', 'anna.verdi']) {
    boxes.push(
      await a.prisma.mailbox.create({
        data: {
          address: `${local}@pec.ops.test`, localPart: local, domainId: domain.id, organizationId: org.id, holderType: 'NATURAL_PERSON',
          holderName: local, quotaBytes: 1n << 30n, expiresAt: new Date(Date.now() + 365 * 86_400_000), passwordHash,
        },
      }),
    );
  }
  const msg = await a.prisma.pecMessage.create({
    data: {
      identificativo: 'opec-1@pec.ops.test', direction: 'OUTBOUND', kind: 'POSTA_CERTIFICATA', sender: boxes[0].address, subject: 'Città\nnewline\ttab \\ back',
      sizeBytes: 1234n, senderMailboxId: boxes[0].id, recipients: { create: [{ recipient: boxes[1].address, certified: true }] },
    },
  });
  const old = new Date(Date.now() - 20 * 30 * 86_400_000);
  await a.prisma.$executeRaw`SELECT transmission_log_ensure_partitions(${old}::timestamptz, 0)`;
  for (const at of [old, new Date()]) {
    await a.prisma.transmissionLog.create({ data: { occurredAt: at, eventType: 'ACCETTAZIONE', identificativo: msg.identificativo, sender: boxes[0].address, outcome: 'OK', details: { n: 1, s: 'é' } } });
  }
  await a.prisma.auditEvent.create({ data: { action: 'mailbox.create', entityType: 'Mailbox', entityId: boxes[0].id } });
  await storeInMaildir(source.maildir, boxes[1].address, Buffer.from('Subject: busta\r\n\r\nbody \x00\xff bytes\r\n', 'latin1'));
  await storeInMaildir(source.maildir, boxes[1].address, Buffer.alloc(300_000, 0x41));
  await storeInMaildir(source.maildir, boxes[0].address, 'Subject: ricevuta\r\n\r\nok\r\n');
  mkdirSync(path.join(a.dir, 'uploads', 'ab'), { recursive: true });
  writeFileSync(path.join(a.dir, 'uploads', 'ab', 'scan.pdf'), Buffer.from('%PDF-1.4 signed scan \xff', 'latin1'));
});
after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  rmSync(work, { recursive: true, force: true });
});

test('backup, then restore onto an empty install, gives the same rows and byte-identical Maildir files', async () => {
  const made = script('backup.ts', a, source.maildir, '--out', backupDir);
  assert.equal(made.status, 0, made.stderr);
  assert.match(made.stdout, /\[backup\] table mailboxes: 2 rows/);
  assert.match(made.stdout, /\[backup\] done: /);
  const manifest = JSON.parse(readFileSync(path.join(backupDir, 'manifest.json'), 'utf8')) as { files: { file: string }[] };
  assert.ok(manifest.files.some((f) => f.file === 'maildir.tar'));

  const restored = script('restore.ts', b, target.maildir, '--from', backupDir);
  assert.equal(restored.status, 0, restored.stderr);
  assert.match(restored.stdout, /files verified against the manifest/);
  // planner statistics exist at once, not after autovacuum's next pass
  const analyzed = await b.prisma.$queryRaw<{ relname: string }[]>`
    SELECT relname::text AS relname FROM pg_stat_user_tables WHERE relname IN ('pec_messages', 'pec_recipients') AND last_analyze IS NOT NULL`;
  assert.deepEqual(analyzed.map((r) => r.relname).sort(), ['pec_messages', 'pec_recipients']);
  assert.deepEqual(await snapshot(b), await snapshot(a));
  const before = tree(source.maildir);
  const afterTree = tree(target.maildir);
  assert.equal(afterTree.size, 3);
  assert.deepEqual([...afterTree.keys()].sort(), [...before.keys()].sort());
  for (const [k, v] of before) assert.ok(v.equals(afterTree.get(k) ?? Buffer.alloc(0)), k);
  assert.equal(statSync(path.join(target.maildir, [...afterTree.keys()][0])).mode & 0o777, 0o600);
  assert.ok(readFileSync(path.join(b.dir, 'uploads', 'ab', 'scan.pdf')).equals(readFileSync(path.join(a.dir, 'uploads', 'ab', 'scan.pdf'))));
  // sequences continue after the restored ids
  const row = await b.prisma.transmissionLog.create({ data: { eventType: 'RELAYED' } });
  assert.ok(row.id > (await a.prisma.transmissionLog.findFirstOrThrow({ orderBy: { id: 'desc' } })).id);
});

test('restore refuses a non-empty install and a damaged backup, with a clear message', () => {
  const withUploads = script('restore.ts', b, path.join(work, 'fresh'), '--from', backupDir);
  assert.equal(withUploads.status, 1);
  assert.match(withUploads.stderr, /\[restore\] error: .*uploads is not empty/);
  rmSync(path.join(b.dir, 'uploads'), { recursive: true });
  const again = script('restore.ts', b, path.join(work, 'fresh'), '--from', backupDir);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /\[restore\] error: The database is not empty/);
  const intoFull = script('restore.ts', b, target.maildir, '--from', backupDir);
  assert.match(intoFull.stderr, /Maildir root .* is not empty/);
  writeFileSync(path.join(backupDir, 'db', 'mailboxes.copy'), 'tampered\n', { flag: 'a' });
  const damaged = script('restore.ts', b, path.join(work, 'fresh'), '--from', backupDir);
  assert.equal(damaged.status, 1);
  assert.match(damaged.stderr, /db\/mailboxes\.copy is damaged/);
  const exists = script('backup.ts', a, source.maildir, '--out', backupDir);
  assert.equal(exists.status, 1);
  assert.match(exists.stderr, /is not empty: give a new folder/);
});
