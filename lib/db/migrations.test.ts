import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, writeFile, appendFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { applyMigrations, defaultMigrationsDir, MigrationError, readMigrations } from './migrations';
import { startTestDatabase, type TestDatabase } from './testing';

const root = path.resolve(__dirname, '..', '..');
let db: TestDatabase;
let scratch: string;

before(async () => {
  db = await startTestDatabase({ migrate: false });
  scratch = await mkdtemp(path.join(os.tmpdir(), 'pec-migrations-'));
});
after(async () => {
  await db?.stop();
  await rm(scratch, { recursive: true, force: true });
});

/** A new empty database on the test server. */
async function freshDatabase(name: string): Promise<string> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  await client.end();
  const url = new URL(db.url);
  url.pathname = `/${name}`;
  return url.toString();
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** A copy of the real migrations plus extra ones, in a folder of its own. */
async function migrationsWith(label: string, extra: Record<string, string>): Promise<string> {
  const dir = path.join(scratch, label);
  await cp(defaultMigrationsDir(), dir, { recursive: true });
  for (const [name, sql] of Object.entries(extra)) {
    await mkdir(path.join(dir, name));
    await writeFile(path.join(dir, name, 'migration.sql'), sql);
  }
  return dir;
}

function run(
  cmd: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code, out }));
  });
}

test('a fresh database gets every migration, recorded as Prisma records them', async () => {
  const url = await freshDatabase('fresh');
  const migrations = await readMigrations();
  assert.ok(migrations.length >= 1);
  const result = await applyMigrations(url);
  assert.deepEqual(
    result.applied,
    migrations.map((m) => m.name),
  );
  assert.deepEqual(result.alreadyApplied, []);

  const rows = await query<{
    migration_name: string;
    checksum: string;
    finished_at: Date | null;
    applied_steps_count: number;
  }>(
    url,
    'SELECT migration_name, checksum, finished_at, applied_steps_count FROM _prisma_migrations ORDER BY migration_name',
  );
  assert.deepEqual(
    rows.map((r) => [r.migration_name, r.checksum, r.finished_at !== null, r.applied_steps_count]),
    migrations.map((m) => [m.name, m.checksum, true, 1]),
  );
  const tables = (
    await query<{ tablename: string }>(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
  ).map((r) => r.tablename);
  for (const t of [
    'organizations',
    'users',
    'domains',
    'mailboxes',
    'mailbox_requests',
    'pec_messages',
    'pec_recipients',
    'audit_events',
  ]) {
    assert.ok(tables.includes(t), `table ${t} missing`);
  }
  const [kind] = await query<{ relkind: string }>(
    url,
    "SELECT relkind FROM pg_class WHERE relname = 'transmission_log'",
  );
  assert.equal(kind.relkind, 'p', 'transmission_log is a partitioned table');

  // Prisma's own CLI reads the bookkeeping and agrees nothing is pending.
  const status = await run(
    process.execPath,
    [path.join(root, 'node_modules', 'prisma', 'build', 'index.js'), 'migrate', 'status'],
    {
      DATABASE_URL: url,
    },
  );
  assert.equal(status.code, 0, status.out);
  assert.match(status.out, /Database schema is up to date/);
});

test('running again applies nothing and changes nothing', async () => {
  const url = await freshDatabase('rerun');
  await applyMigrations(url);
  const before = await query(url, 'SELECT * FROM _prisma_migrations ORDER BY migration_name');
  const again = await applyMigrations(url);
  assert.deepEqual(again.applied, []);
  assert.equal(again.alreadyApplied.length, before.length);
  assert.deepEqual(await query(url, 'SELECT * FROM _prisma_migrations ORDER BY migration_name'), before);
});

test('an applied migration whose file changed is refused, naming it, before anything runs', async () => {
  const url = await freshDatabase('tampered');
  const dir = await migrationsWith('tampered', {
    '29990101000000_probe': 'CREATE TABLE probe_one (id int);',
  });
  await applyMigrations(url, { migrationsDir: dir });
  const [first] = await readMigrations(dir);
  await appendFile(path.join(dir, first.name, 'migration.sql'), '\n-- a harmless-looking edit\n');
  await mkdir(path.join(dir, '29990102000000_later'));
  await writeFile(
    path.join(dir, '29990102000000_later', 'migration.sql'),
    'CREATE TABLE probe_later (id int);',
  );

  await assert.rejects(applyMigrations(url, { migrationsDir: dir }), (err: unknown) => {
    assert.ok(err instanceof MigrationError);
    assert.equal(err.migration, first.name);
    assert.match(err.message, new RegExp(`Migration ${first.name} was changed after it was applied`));
    return true;
  });
  const later = await query(url, "SELECT to_regclass('public.probe_later') AS t");
  assert.deepEqual(later, [{ t: null }], 'the pending migration did not run either');
});

test('a failing migration is rolled back whole and not recorded', async () => {
  const url = await freshDatabase('failing');
  const dir = await migrationsWith('failing', {
    '29990101000000_broken': 'CREATE TABLE half_done (id int);\nINSERT INTO no_such_table VALUES (1);',
  });
  await assert.rejects(
    applyMigrations(url, { migrationsDir: dir }),
    /29990101000000_broken failed and was rolled back/,
  );
  assert.deepEqual(await query(url, "SELECT to_regclass('public.half_done') AS t"), [{ t: null }]);
  const names = (
    await query<{ migration_name: string }>(url, 'SELECT migration_name FROM _prisma_migrations')
  ).map((r) => r.migration_name);
  assert.ok(!names.includes('29990101000000_broken'));
  assert.ok(names.length >= 1, 'the migrations before it stay applied');
});

test('concurrent runners (another process and two connections) apply each migration exactly once', async () => {
  const url = await freshDatabase('concurrent');
  // probe migrations fail if run twice (CREATE TABLE without IF NOT EXISTS) and count their runs
  const dir = await migrationsWith('concurrent', {
    '29990101000000_probe_a':
      "CREATE TABLE probe_runs (migration text);\nINSERT INTO probe_runs VALUES ('a');\nSELECT pg_sleep(1);",
    '29990102000000_probe_b': "CREATE TABLE probe_b (id int);\nINSERT INTO probe_runs VALUES ('b');",
  });
  const script = `require('./lib/db/migrations').applyMigrations(process.env.DATABASE_URL, { migrationsDir: process.env.MIGRATIONS_DIR })
    .then((r) => console.log(JSON.stringify(r)), (e) => { console.error(e.message); process.exit(1); });`;
  const child = run(process.execPath, ['--import', 'tsx', '-e', script], {
    DATABASE_URL: url,
    MIGRATIONS_DIR: dir,
  });
  // start the in-process runners while the other process holds the migration lock, mid-migration
  const deadline = Date.now() + 60_000;
  while (
    (await query(url, "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objid = 72707369 AND granted"))
      .length === 0
  ) {
    assert.ok(Date.now() < deadline, 'the other process never took the lock');
    await new Promise((r) => setTimeout(r, 20));
  }
  const [p1, c1, c2] = await Promise.all([
    child,
    applyMigrations(url, { migrationsDir: dir }),
    applyMigrations(url, { migrationsDir: dir }),
  ]);
  assert.equal(p1.code, 0, p1.out);
  const fromProcess = JSON.parse(p1.out.trim().split('\n').pop()!) as { applied: string[] };
  assert.ok(fromProcess.applied.length > 0, 'the process that held the lock applied migrations');
  const results = [fromProcess, c1, c2];
  const all = results.flatMap((r) => r.applied).sort();
  assert.deepEqual(
    all,
    (await readMigrations(dir)).map((m) => m.name),
    'each migration applied by exactly one runner',
  );
  assert.deepEqual(
    (await query(url, 'SELECT migration FROM probe_runs ORDER BY migration')).map((r) => r.migration),
    ['a', 'b'],
  );
  const counts = await query<{ n: string }>(
    url,
    'SELECT count(*) AS n FROM _prisma_migrations GROUP BY migration_name HAVING count(*) > 1',
  );
  assert.deepEqual(counts, []);
});

test('migrations recorded in the database but missing here are reported, not fatal', async () => {
  const url = await freshDatabase('newer');
  const dir = await migrationsWith('newer', {
    '29990101000000_from_the_future': 'CREATE TABLE future (id int);',
  });
  await applyMigrations(url, { migrationsDir: dir });
  const result = await applyMigrations(url);
  assert.deepEqual(result.unknownApplied, ['29990101000000_from_the_future']);
  assert.deepEqual(result.applied, []);
});

test('an unreachable database is reported with its address but never its password', async () => {
  const url = 'postgresql://pec:s3cret-value@127.0.0.1:1/pec';
  await assert.rejects(applyMigrations(url), (err: Error) => {
    assert.match(err.message, /Cannot connect to the database postgresql:\/\/pec:\*\*\*@127\.0\.0\.1:1\/pec/);
    assert.doesNotMatch(err.message, /s3cret/);
    return true;
  });
});

test('upgrading a database that has a log records the keys of its facts so far as once-facts', async () => {
  const url = await freshDatabase('once_facts_backfill');
  // the migrations before transmission_log_once_facts
  const before = path.join(scratch, 'before-once-facts');
  await cp(defaultMigrationsDir(), before, {
    recursive: true,
    filter: (src) => !/_transmission_log_once_facts$/.test(src),
  });
  await applyMigrations(url, { migrationsDir: before });
  await query(
    url,
    `INSERT INTO transmission_log (occurred_at, event_type, identificativo, recipient, outcome) VALUES
       ('2026-10-02T10:00Z', 'AVVENUTA_CONSEGNA_SENT', 'opec.1@pec.alfa.test', 'bob@pec.beta.test', 'OK'),
       ('2026-11-03T10:00Z', 'AVVENUTA_CONSEGNA_SENT', 'opec.1@pec.alfa.test', 'bob@pec.beta.test', 'OK'),
       ('2026-11-03T11:00Z', 'ANOMALIA', 'opec.1@pec.alfa.test', NULL, 'ERROR'),
       ('2026-11-03T12:00Z', 'SUBMISSION', NULL, NULL, 'OK'),
       ('2026-11-03T13:00Z', 'RELAYED', 'opec.2@pec.alfa.test', 'carol@pec.beta.test', NULL)`,
  );
  const { applied } = await applyMigrations(url);
  assert.ok(
    applied.some((name) => name.endsWith('_transmission_log_once_facts')),
    applied.join(', '),
  );
  const facts = await query<{
    identificativo: string;
    event_type: string;
    recipient: string;
    outcome: string;
    at: string;
  }>(
    url,
    `SELECT identificativo, event_type, recipient, outcome, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI') AS at
       FROM transmission_log_once_facts ORDER BY event_type`,
  );
  // one key per fact (the latest row's month, so retention keeps it as long as a row), recipient-less
  // under ''; rows without an identificativo or an outcome were never `once`
  assert.deepEqual(
    facts.map((f) => [f.event_type, f.identificativo, f.recipient, f.outcome, f.at]),
    [
      ['ANOMALIA', 'opec.1@pec.alfa.test', '', 'ERROR', '2026-11-03T11:00'],
      ['AVVENUTA_CONSEGNA_SENT', 'opec.1@pec.alfa.test', 'bob@pec.beta.test', 'OK', '2026-11-03T10:00'],
    ],
  );
});
