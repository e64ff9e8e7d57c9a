import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { startEmbeddedPostgres } from './embedded';
import { findFreePort } from './testing';

const root = path.resolve(__dirname, '..', '..');
let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pec-embedded-'));
  await chmod(dir, 0o755); // the `postgres` user must enter it when tests run as root
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function sql<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

function serverPid(dataDir: string): number {
  return Number.parseInt(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0], 10);
}

function sessionOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(check: () => boolean, ms = 15000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('initialises on first start, listens on loopback only, keeps data across a restart', async () => {
  const dataDir = path.join(dir, 'restart');
  const port = await findFreePort();
  const first = await startEmbeddedPostgres({ dataDir, port });
  assert.equal(first.startedHere, true);
  assert.match(first.url, new RegExp(`^postgresql://postgres:[^@]+@127\\.0\\.0\\.1:${port}/pec$`));
  // a second start in the same process shares the server
  const again = await startEmbeddedPostgres({ dataDir, port });
  assert.deepEqual([again.startedHere, again.owned, again.url], [false, false, first.url]);
  await again.stop();
  const [settings] = await sql<{ listen: string; sockets: string; delay: string; siblings: string }>(
    first.url,
    "SELECT current_setting('listen_addresses') AS listen, current_setting('unix_socket_directories') AS sockets, current_setting('commit_delay') AS delay, current_setting('commit_siblings') AS siblings",
  );
  // group commit (groupCommitSettings) is on
  assert.deepEqual(settings, { listen: '127.0.0.1', sockets: '', delay: '200', siblings: '2' });
  // its own session: a Ctrl-C sent to the starting process's group does not reach it
  assert.notEqual(sessionOf(serverPid(dataDir)), sessionOf(process.pid));
  await sql(first.url, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')");
  await first.stop();
  await assert.rejects(sql(first.url, 'SELECT 1'), 'stopped server refuses connections');
  assert.equal(existsSync(path.join(dataDir, 'postmaster.pid')), false);

  const second = await startEmbeddedPostgres({ dataDir, port });
  assert.equal(second.url, first.url, 'same credentials on restart');
  assert.deepEqual(await sql(second.url, 'SELECT v FROM kept'), [{ v: 'still here' }]);
  await second.stop();
});

test('a stale postmaster.pid left by a killed run does not prevent the start', async () => {
  const dataDir = path.join(dir, 'stale');
  const port = await findFreePort();
  const server = await startEmbeddedPostgres({ dataDir, port });
  const pidFile = path.join(dataDir, 'postmaster.pid');
  const content = readFileSync(pidFile, 'utf8');
  await server.stop();

  // the pid of a process that has exited
  const gone = spawnSync('true').pid!;
  await writeFile(pidFile, content.replace(/^\d+/, String(gone)));
  const afterDead = await startEmbeddedPostgres({ dataDir, port });
  assert.deepEqual(await sql(afterDead.url, 'SELECT 1 AS one'), [{ one: 1 }]);
  await afterDead.stop();

  // a pid reused by some other live program (here: this test process)
  await writeFile(pidFile, content.replace(/^\d+/, String(process.pid)));
  const afterReused = await startEmbeddedPostgres({ dataDir, port });
  assert.equal(afterReused.startedHere, true);
  await afterReused.stop();
});

test('a running server is shared while its starter lives, and adopted once the starter is killed', async () => {
  const dataDir = path.join(dir, 'orphan');
  const port = await findFreePort();
  const script = `require('./lib/db/embedded').startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)}, port: ${port} })
    .then((s) => { setInterval(() => undefined, 1000); console.log('READY ' + s.url); });`;
  const owner = spawn(process.execPath, ['--import', 'tsx', '-e', script], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ownerClosed = new Promise((r) => owner.once('close', r));
  let out = '';
  owner.stdout.on('data', (d) => (out += d));
  await waitUntil(() => out.includes('READY'), 60000);
  const serverPidNow = serverPid(dataDir);
  try {
    const shared = await startEmbeddedPostgres({ dataDir, port });
    assert.deepEqual([shared.startedHere, shared.owned], [false, false]);
    await shared.stop();
    assert.deepEqual(
      await sql(shared.url, 'SELECT 1 AS one'),
      [{ one: 1 }],
      "a sharer's stop() leaves it running",
    );

    owner.kill('SIGKILL'); // no chance to stop its server
    await ownerClosed;
    assert.ok(alive(serverPidNow), 'the server outlived its starter');
    const adopted = await startEmbeddedPostgres({ dataDir, port });
    assert.deepEqual([adopted.startedHere, adopted.owned], [false, true]);
    assert.deepEqual(await sql(adopted.url, 'SELECT 2 AS two'), [{ two: 2 }]);
    await adopted.stop();
    await waitUntil(() => !alive(serverPidNow));
  } finally {
    owner.kill('SIGKILL');
    if (alive(serverPidNow)) process.kill(serverPidNow, 'SIGINT'); // the server this test started, through its child
  }
});

test('a busy port gives an error naming it', async () => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const { port } = blocker.address() as net.AddressInfo;
  try {
    await assert.rejects(
      startEmbeddedPostgres({ dataDir: path.join(dir, 'busy'), port }),
      new RegExp(`failed to start on 127\\.0\\.0\\.1:${port}`),
    );
  } finally {
    blocker.close();
  }
});

/** Runs a script starting a server in a child process; resolves with its output and exit code. */
function childWithServer(
  dataDir: string,
  port: number,
  then: string,
  onReady?: (child: ReturnType<typeof spawn>) => void,
) {
  const script = `require('./lib/db/embedded').startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)}, port: ${port} })
    .then((server) => { ${then}; console.log('READY'); });`;
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
    if (onReady && out.includes('READY')) {
      const ready = onReady;
      onReady = undefined;
      ready(child);
    }
  });
  return new Promise<{ out: string; code: number | null }>((resolve) =>
    child.on('close', (code) => resolve({ out, code })),
  );
}

test("the owner's own SIGTERM handling is not cut short, and its exit code is kept", async () => {
  const dataDir = path.join(dir, 'signals');
  const port = await findFreePort();
  const graceful = await childWithServer(
    dataDir,
    port,
    `setInterval(() => undefined, 1000); process.on('SIGTERM', () => setTimeout(async () => { console.log('GRACEFUL'); await server.stop(); process.exit(7); }, 300));`,
    (child) => child.kill('SIGTERM'),
  );
  assert.equal(graceful.code, 7, graceful.out);
  assert.match(graceful.out, /GRACEFUL/);
  assert.equal(existsSync(path.join(dataDir, 'postmaster.pid')), false);

  // ending without stop(): the exit code stays the process's own, and the server goes with it
  const abrupt = await childWithServer(
    dataDir,
    port,
    `console.log('PID ' + require('node:fs').readFileSync(${JSON.stringify(path.join(dataDir, 'postmaster.pid'))}, 'utf8').split('\\n')[0]); process.exit(3);`,
  );
  assert.equal(abrupt.code, 3, abrupt.out);
  const pid = Number(/PID (\d+)/.exec(abrupt.out)![1]);
  // starting again at once waits out the old server's shutdown instead of failing
  const next = await startEmbeddedPostgres({ dataDir, port });
  assert.equal(next.startedHere, true);
  await waitUntil(() => !alive(pid)); // reaped by PID 1 a moment after it exits
  await next.stop();
});

test('a test database whose process is killed by a signal is stopped with it', async () => {
  const script = `require('./lib/db/testing').startTestDatabase({ migrate: false }).then((db) => {
    console.log('READY ' + db.dir + ' ' + require('node:fs').readFileSync(db.dir + '/postgres/postmaster.pid', 'utf8').split('\\n')[0]);
    setInterval(() => undefined, 1000);
  });`;
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const closed = new Promise<NodeJS.Signals | null>((r) => child.on('close', (_code, signal) => r(signal)));
  await waitUntil(() => /READY \S+ \d+/.test(out), 60000);
  const [, testDir, pid] = /READY (\S+) (\d+)/.exec(out)!;
  try {
    child.kill('SIGTERM');
    assert.equal(await closed, 'SIGTERM', 'the process still dies of the signal');
    await waitUntil(() => !alive(Number(pid)));
  } finally {
    await rm(testDir, { recursive: true, force: true });
  }
});
