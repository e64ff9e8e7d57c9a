/**
 * Backup and restore of a whole install: the database as one consistent snapshot (COPY of every
 * table inside a REPEATABLE READ transaction), the Maildir root as a tar, the data folders the
 * database refers to (signed scans, test PKI) as another, and a manifest with the migrations, row
 * counts and SHA-256 of every file.
 *
 * Why not pg_dump: pg_dump must be at least the server's major version, and Debian 12 ships
 * pg_dump 15 while the embedded (and compose) server is PostgreSQL 17. The schema itself needs no
 * dump: it is exactly what the migrations create, so a restore migrates the empty database with
 * the same migrations (checked by checksum) and loads the rows back.
 */
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';

export const backupFormat = 'pec-backup/1';

/**
 * Folders of PEC_DATA_DIR holding data the database points to: signed request scans (uploads/)
 * and the test PKI (pki/). The embedded cluster, Haraka's generated config and the Maildirs are not
 * among them (the Maildirs have their own archive).
 */
export const dataDirFolders = ['uploads', 'pki'];

export interface BackupManifest {
  format: typeof backupFormat;
  createdAt: string;
  /** migrations applied in the source database, in order */
  migrations: { name: string; checksum: string }[];
  /** tables in load order (referenced tables first) */
  tables: { name: string; columns: string[]; rows: number; file: string }[];
  /** transmission-log month partitions (first instant of each month, ISO) */
  logPartitions: string[];
  /** every data file with its size and SHA-256 */
  files: { file: string; bytes: number; sha256: string }[];
}

export class BackupError extends Error {
  override name = 'BackupError';
}

type Log = (text: string) => void;
const quote = (id: string): string => `"${id.replace(/"/g, '""')}"`;

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { maxBuffer: 16 * 1024 * 1024 }, (err, _out, stderr) =>
      err ? reject(new BackupError(`${cmd} ${args.join(' ')} failed: ${stderr.trim() || err.message}`)) : resolve(),
    );
  });
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

interface TableInfo {
  name: string;
  columns: string[];
  /** single-column self references (child column → parent column), e.g. organizations.parent_id */
  selfRefs: { column: string; references: string }[];
}

/** Ordinary and partitioned tables of `public` (not partitions), referenced tables first. */
async function tablesInLoadOrder(client: pg.Client): Promise<TableInfo[]> {
  const tables = (
    await client.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname <> '_prisma_migrations'
       ORDER BY c.relname`,
    )
  ).rows.map((r) => r.name);
  const fks = (
    await client.query<{ child: string; parent: string; child_col: string | null; parent_col: string | null }>(
      `SELECT c.relname AS child, p.relname AS parent,
              CASE WHEN array_length(k.conkey, 1) = 1 THEN (SELECT attname FROM pg_attribute WHERE attrelid = k.conrelid AND attnum = k.conkey[1]) END AS child_col,
              CASE WHEN array_length(k.confkey, 1) = 1 THEN (SELECT attname FROM pg_attribute WHERE attrelid = k.confrelid AND attnum = k.confkey[1]) END AS parent_col
       FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE k.contype = 'f' AND n.nspname = 'public' AND NOT c.relispartition`,
    )
  ).rows;
  const columns = new Map<string, string[]>();
  for (const r of (
    await client.query<{ table_name: string; column_name: string }>(
      `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`,
    )
  ).rows) {
    columns.set(r.table_name, [...(columns.get(r.table_name) ?? []), r.column_name]);
  }
  const ordered: string[] = [];
  const pending = new Set(tables);
  while (pending.size > 0) {
    const ready = [...pending].filter((t) => fks.every((f) => f.child !== t || f.parent === t || !pending.has(f.parent)));
    if (ready.length === 0) throw new BackupError(`Circular foreign keys between ${[...pending].join(', ')}`);
    for (const t of ready) {
      ordered.push(t);
      pending.delete(t);
    }
  }
  return ordered.map((name) => {
    const selfRefs = fks
      .filter((f) => f.child === name && f.parent === name)
      .map((f) => {
        if (!f.child_col || !f.parent_col) throw new BackupError(`${name}: multi-column self reference not supported`);
        return { column: f.child_col, references: f.parent_col };
      });
    if (selfRefs.length > 1) throw new BackupError(`${name}: more than one self reference not supported`);
    return { name, columns: columns.get(name) ?? [], selfRefs };
  });
}

/** Rows of a table in an order its self reference accepts (parents before children). */
function selectForCopy(t: TableInfo): string {
  const cols = t.columns.map(quote).join(', ');
  const ref = t.selfRefs[0];
  if (!ref) return `SELECT ${cols} FROM ${quote(t.name)}`;
  const tcols = t.columns.map((c) => `t.${quote(c)}`).join(', ');
  return `WITH RECURSIVE tree AS (
      SELECT ${cols}, 0 AS backup_depth FROM ${quote(t.name)} WHERE ${quote(ref.column)} IS NULL
      UNION ALL
      SELECT ${tcols}, tree.backup_depth + 1 FROM ${quote(t.name)} t JOIN tree ON t.${quote(ref.column)} = tree.${quote(ref.references)})
    SELECT ${cols} FROM tree ORDER BY backup_depth`;
}

/** Counts rows of COPY text output (one line per row; newlines inside values are escaped). */
function lineCounter(): Transform & { lines: number } {
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) counter.lines++;
      done(null, chunk);
    },
  }) as Transform & { lines: number };
  counter.lines = 0;
  return counter;
}

async function fileEntry(dir: string, file: string): Promise<{ file: string; bytes: number; sha256: string }> {
  const full = path.join(dir, file);
  return { file, bytes: (await stat(full)).size, sha256: await sha256File(full) };
}

async function nonEmpty(dir: string): Promise<boolean> {
  return existsSync(dir) && (await readdir(dir)).length > 0;
}

export async function createBackup(options: { databaseUrl: string; maildirRoot: string; dataDir: string; outDir: string; log?: Log }): Promise<BackupManifest> {
  const log = options.log ?? (() => undefined);
  const out = path.resolve(options.outDir);
  if (existsSync(out) && (await readdir(out)).length > 0) throw new BackupError(`${out} is not empty: give a new folder`);
  await mkdir(path.join(out, 'db'), { recursive: true });
  const client = new pg.Client({ connectionString: options.databaseUrl });
  await client.connect();
  const manifest: BackupManifest = {
    format: backupFormat,
    createdAt: new Date().toISOString(),
    migrations: [],
    tables: [],
    logPartitions: [],
    files: [],
  };
  try {
    // one snapshot for every table, so foreign keys agree across files
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    manifest.migrations = (
      await client.query<{ name: string; checksum: string }>(
        `SELECT migration_name AS name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY started_at, migration_name`,
      )
    ).rows;
    if (manifest.migrations.length === 0) throw new BackupError('The database has no applied migrations: nothing to back up');
    manifest.logPartitions = (
      await client.query<{ range_start: Date }>('SELECT range_start FROM transmission_log_partitions()')
    ).rows.map((r) => r.range_start.toISOString());
    for (const t of await tablesInLoadOrder(client)) {
      const file = `db/${t.name}.copy`;
      const counter = lineCounter();
      await pipeline(client.query(copyTo(`COPY (${selectForCopy(t)}) TO STDOUT`)), counter, createWriteStream(path.join(out, file)));
      const total = Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${quote(t.name)}`)).rows[0]?.n ?? 0);
      if (total !== counter.lines) throw new BackupError(`${t.name}: ${total} rows but ${counter.lines} written (a self-reference cycle?)`);
      manifest.tables.push({ name: t.name, columns: t.columns, rows: counter.lines, file });
      manifest.files.push(await fileEntry(out, file));
      log(`table ${t.name}: ${counter.lines} rows`);
    }
    await client.query('COMMIT');
  } finally {
    await client.end();
  }
  const tarArgs = existsSync(options.maildirRoot)
    ? ['-C', options.maildirRoot, '-cf', path.join(out, 'maildir.tar'), '.']
    : ['-cf', path.join(out, 'maildir.tar'), '-T', '/dev/null'];
  log(`archiving Maildirs from ${options.maildirRoot}`);
  await run('tar', tarArgs);
  manifest.files.push(await fileEntry(out, 'maildir.tar'));
  log(`maildir.tar: ${manifest.files[manifest.files.length - 1]?.bytes ?? 0} bytes`);
  const folders = dataDirFolders.filter((f) => existsSync(path.join(options.dataDir, f)));
  await run('tar', ['-C', options.dataDir, '-cf', path.join(out, 'data.tar'), ...(folders.length > 0 ? folders : ['-T', '/dev/null'])]);
  manifest.files.push(await fileEntry(out, 'data.tar'));
  log(`data.tar (${folders.join(', ') || 'nothing'} from ${options.dataDir}): ${manifest.files[manifest.files.length - 1]?.bytes ?? 0} bytes`);
  await writeFile(path.join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** Reads the manifest and checks every file's size and SHA-256 before anything is restored. */
export async function readVerifiedManifest(dir: string, log: Log = () => undefined): Promise<BackupManifest> {
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as BackupManifest;
  } catch (err) {
    throw new BackupError(`${dir}: no readable manifest.json (${(err as Error).message})`);
  }
  if (manifest.format !== backupFormat) throw new BackupError(`${dir}: unknown backup format ${String(manifest.format)}`);
  for (const f of manifest.files) {
    const full = path.join(dir, f.file);
    if (!existsSync(full)) throw new BackupError(`${f.file} is missing from the backup`);
    const actual = await fileEntry(dir, f.file);
    if (actual.bytes !== f.bytes || actual.sha256 !== f.sha256) throw new BackupError(`${f.file} is damaged: checksum does not match the manifest`);
  }
  log(`${manifest.files.length} files verified against the manifest`);
  return manifest;
}

/**
 * Restores a verified backup into an EMPTY, migrated database and an empty Maildir root. The rows
 * go in one transaction (all or nothing); sequences continue after the restored ids.
 */
export async function restoreBackup(options: { databaseUrl: string; maildirRoot: string; dataDir: string; fromDir: string; log?: Log }): Promise<BackupManifest> {
  const log = options.log ?? (() => undefined);
  const dir = path.resolve(options.fromDir);
  const manifest = await readVerifiedManifest(dir, log);
  if (await nonEmpty(options.maildirRoot)) {
    throw new BackupError(`Maildir root ${options.maildirRoot} is not empty: restore only onto an empty install`);
  }
  for (const f of dataDirFolders) {
    if (await nonEmpty(path.join(options.dataDir, f))) throw new BackupError(`${path.join(options.dataDir, f)} is not empty: restore only onto an empty install`);
  }
  const client = new pg.Client({ connectionString: options.databaseUrl });
  await client.connect();
  try {
    const applied = (
      await client.query<{ name: string; checksum: string }>(
        `SELECT migration_name AS name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
      )
    ).rows;
    for (const m of manifest.migrations) {
      const here = applied.find((a) => a.name === m.name);
      if (!here) throw new BackupError(`The backup needs migration ${m.name}, which this version does not have`);
      if (here.checksum !== m.checksum) throw new BackupError(`Migration ${m.name} differs between the backup and this version`);
    }
    for (const t of manifest.tables) {
      const n = Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${quote(t.name)}`)).rows[0]?.n ?? 0);
      if (n > 0) throw new BackupError(`The database is not empty (${t.name} has ${n} rows): restore only onto an empty install`);
    }
    await client.query('BEGIN');
    for (const start of manifest.logPartitions) {
      await client.query('SELECT transmission_log_ensure_partitions($1::timestamptz, 0)', [start]);
    }
    for (const t of manifest.tables) {
      const cols = t.columns.map(quote).join(', ');
      await pipeline(createReadStream(path.join(dir, t.file)), client.query(copyFrom(`COPY ${quote(t.name)} (${cols}) FROM STDIN`)));
      log(`table ${t.name}: ${t.rows} rows restored`);
    }
    const serials = (
      await client.query<{ table_name: string; column_name: string }>(
        `SELECT table_name, column_name FROM information_schema.columns
         WHERE table_schema = 'public' AND column_default LIKE 'nextval(%' AND table_name = ANY($1)`,
        [manifest.tables.map((t) => t.name)],
      )
    ).rows;
    for (const s of serials) {
      await client.query(
        `SELECT setval(pg_get_serial_sequence($1, $2), COALESCE((SELECT max(${quote(s.column_name)}) FROM ${quote(s.table_name)}), 0) + 1, false)`,
        [`public.${quote(s.table_name)}`, s.column_name],
      );
    }
    for (const t of manifest.tables) {
      const n = Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${quote(t.name)}`)).rows[0]?.n ?? 0);
      if (n !== t.rows) throw new BackupError(`${t.name}: ${n} rows after restore, the manifest says ${t.rows}`);
    }
    await client.query('COMMIT');
    // COPY leaves the tables without planner statistics until autovacuum's next pass. Without them
    // the receipt lookups of an MTA started right away can pick the recipient index and scan that
    // recipient's whole history for every receipt (measured: the 600 rows of a busy recipient
    // against 1 row with statistics).
    log('analyzing the restored tables');
    await client.query('ANALYZE');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await client.end();
  }
  await mkdir(options.maildirRoot, { recursive: true });
  log(`extracting Maildirs into ${options.maildirRoot}`);
  await run('tar', ['-C', options.maildirRoot, '-xpf', path.join(dir, 'maildir.tar')]);
  if (manifest.files.some((f) => f.file === 'data.tar')) {
    await mkdir(options.dataDir, { recursive: true });
    log(`extracting ${dataDirFolders.join(', ')} into ${options.dataDir}`);
    await run('tar', ['-C', options.dataDir, '-xpf', path.join(dir, 'data.tar')]);
  }
  return manifest;
}
