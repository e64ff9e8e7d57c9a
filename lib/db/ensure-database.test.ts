import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { loadConfig } from '../config';
import { verifyPassword } from '../passwords';
import { createPrisma, getPrisma } from './client';
import { ensureDatabase } from './ensure-database';
import { seedDatabase } from './seed';
import { findFreePort, startTestDatabase, type TestDatabase } from './testing';

let external: TestDatabase;
let dir: string;
before(async () => {
  external = await startTestDatabase({ migrate: false });
  dir = await mkdtemp(path.join(os.tmpdir(), 'pec-ensure-'));
  await chmod(dir, 0o755);
});
after(async () => {
  await external?.stop();
  await rm(dir, { recursive: true, force: true });
});

test('with DATABASE_URL set it uses that server, starts none, migrates and seeds once', async () => {
  const dataDir = path.join(dir, 'external');
  const config = loadConfig({
    DATABASE_URL: external.url,
    PEC_DATA_DIR: dataDir,
    PEC_PROVIDER_NAME: 'Posta Sicura SpA',
    PEC_MAIL_DOMAIN: 'pec.postasicura.it',
  });
  const lines: string[] = [];
  const first = await ensureDatabase(config, { log: (l) => lines.push(l), exportEnv: false });
  assert.equal(first.embedded, false);
  assert.equal(first.url, external.url);
  assert.equal(existsSync(path.join(dataDir, 'postgres')), false, 'no embedded cluster created');
  assert.ok(first.migrations.applied.length >= 1);

  // the first admin: random password, printed once, stored only as a Dovecot-style hash
  assert.ok(first.seeded);
  assert.equal(first.seeded.adminEmail, 'admin@pec.postasicura.it');
  assert.ok(
    lines.some((l) => l.includes(first.seeded!.adminPassword)),
    'credentials printed',
  );
  const admin = await getPrisma().user.findUniqueOrThrow({
    where: { email: 'admin@pec.postasicura.it' },
    include: { organization: { include: { domains: true } } },
  });
  assert.equal(admin.role, 'PROVIDER_ADMIN');
  assert.equal(admin.organization.kind, 'PROVIDER');
  assert.equal(admin.organization.name, 'Posta Sicura SpA');
  assert.deepEqual(
    admin.organization.domains.map((d) => [d.name, d.kind]),
    [['pec.postasicura.it', 'PROVIDER_SHARED']],
  );
  assert.match(admin.passwordHash, /^\{ARGON2ID\}\$argon2id\$/);
  assert.equal(await verifyPassword(admin.passwordHash, first.seeded.adminPassword), true);
  await first.stop();

  // second start: nothing created, nothing secret printed
  const counts = async (db = createPrisma(external.url)) => {
    try {
      return [
        await db.organization.count(),
        await db.user.count(),
        await db.domain.count(),
        await db.auditEvent.count(),
      ];
    } finally {
      await db.$disconnect();
    }
  };
  const before = await counts();
  const again: string[] = [];
  const second = await ensureDatabase(config, { log: (l) => again.push(l), exportEnv: false });
  assert.equal(second.seeded, undefined);
  assert.deepEqual(second.migrations.applied, []);
  assert.ok(!again.some((l) => /password/i.test(l)), again.join('\n'));
  await second.stop();
  assert.deepEqual(await counts(), before);
  // stop() of a handle on an external server leaves that server running
  assert.deepEqual(await external.prisma.$queryRaw`SELECT 1 AS one`, [{ one: 1 }]);
});

test('two processes seeding at once create one provider', async () => {
  const db = await startTestDatabase();
  try {
    const [a, b] = await Promise.all([
      seedDatabase(db.config, db.prisma),
      seedDatabase(db.config, createPrisma(db.url)),
    ]);
    assert.equal([a, b].filter(Boolean).length, 1);
    assert.equal(await db.prisma.organization.count({ where: { kind: 'PROVIDER' } }), 1);
    assert.equal(await db.prisma.user.count(), 1);
  } finally {
    await db.stop();
  }
});

test('without DATABASE_URL it starts the embedded server under PEC_DATA_DIR, exports its URL, and finds the data again', async () => {
  const dataDir = path.join(dir, 'embedded');
  const config = loadConfig({ PEC_DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(await findFreePort()) });
  const saved = process.env.DATABASE_URL;
  try {
    const first = await ensureDatabase(config, { log: () => undefined });
    assert.equal(first.embedded, true);
    assert.ok(existsSync(path.join(dataDir, 'postgres', 'PG_VERSION')));
    assert.equal(process.env.DATABASE_URL, first.url, 'exported for child processes');
    assert.ok(first.seeded);
    await getPrisma().auditEvent.create({ data: { action: 'test.marker' } });
    await first.stop();

    const second = await ensureDatabase(config, { log: () => undefined });
    assert.equal(second.embedded, true);
    assert.equal(second.seeded, undefined);
    assert.equal(await getPrisma().auditEvent.count({ where: { action: 'test.marker' } }), 1);
    await second.stop();
  } finally {
    if (saved === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = saved;
  }
});
