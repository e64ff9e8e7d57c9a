/**
 * End-to-end: `npm start` (tsx scripts/start.ts) with its own data folder and free ports brings up
 * embedded PostgreSQL, the portal and Haraka; /api/health turns 200, the MTA speaks SMTP, and
 * SIGINT stops everything (exit 0, ports closed, no postgres left on the data folder).
 * The first run after a source change includes a `next build` (about a minute on 2 cores).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { PassThrough } from 'node:stream';
import path from 'node:path';
import { after, test } from 'node:test';
import nodemailer from 'nodemailer';
import { loadConfig } from '@/lib/config';
import { createPrisma } from '@/lib/db/client';
import { inspectMessage } from '@/mail/pec';
import { maildirPath } from '@/mail/mta/maildir';
import { createMailboxes } from '@/mail/mta/testing/provider-fixture';
import { ensureDatabase } from '@/lib/db/ensure-database';
import type { HealthReport } from '@/lib/health';
import { findFreePort, isPortOpen } from '../lib/testing/free-port';
import { nextBin, repoRoot } from './lib/portal-build';
import { SmtpDialogue } from './lib/smtp-dialogue';
import { SupervisedProcess } from './lib/supervised-process';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'pec-start-'));
// Run as root, the embedded PostgreSQL runs as the `postgres` user, which must reach its folder.
chmodSync(dataDir, 0o755);
after(() => rmSync(dataDir, { recursive: true, force: true }));

/** pids of processes whose command line mentions the data folder (postgres runs with -D <dir>). */
function processesUsing(dir: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dir)) found.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

async function waitForHealth(
  url: string,
  accept: (status: number) => boolean,
  alive: () => boolean,
  log: () => string,
  timeoutMs: number,
): Promise<{ status: number; body: HealthReport }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    assert.ok(alive(), `the server exited early:\n${log()}`);
    const health = await fetchHealth(url);
    if (health && accept(health.status)) return health;
    assert.ok(
      Date.now() < deadline,
      `no expected answer from ${url} (last: ${JSON.stringify(health)}):\n${log()}`,
    );
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * The degraded case through the real HTTP path: a second portal on the same database but pointed
 * at an MTA port where nothing listens must answer 503 with mta.ok=false and database.ok=true.
 */
async function assertDegradedWithoutMta(startEnv: Record<string, string | undefined>): Promise<void> {
  // Reuses the embedded server started by npm start (and leaves it running) just to learn its URL.
  const db = await ensureDatabase(loadConfig(startEnv), { seed: false, exportEnv: false, log: () => {} });
  await db.stop();
  const [port, closedMtaPort] = [await findFreePort(), await findFreePort()];
  let log = '';
  const sink = new PassThrough().on('data', (d) => (log += d));
  const portal = new SupervisedProcess(
    'portal-degraded',
    process.execPath,
    [nextBin, 'start', '-H', '127.0.0.1', '-p', String(port)],
    {
      cwd: repoRoot,
      env: {
        ...startEnv,
        NODE_ENV: 'production',
        DATABASE_URL: db.url,
        MTA_INBOUND_PORT: String(closedMtaPort),
      },
    },
    { stdout: sink, stderr: sink },
  );
  try {
    const health = await waitForHealth(
      `http://127.0.0.1:${port}/api/health`,
      () => true,
      () => portal.running,
      () => log,
      30_000,
    );
    assert.equal(health.status, 503);
    assert.equal(health.body.status, 'degraded');
    assert.equal(health.body.database.ok, true);
    assert.equal(health.body.mta.ok, false);
    assert.equal(health.body.mta.inbound.port, closedMtaPort);
    assert.match(health.body.mta.error ?? '', /ECONNREFUSED/);
  } finally {
    await portal.stop('SIGTERM', 5000);
  }
}

/**
 * The access point through the real STARTTLS port: STARTTLS offered, AUTH only after it; a message
 * from a new mailbox to itself gets an accettazione and then a consegna (through our own reception
 * point, as our domain is in the generated provider index) in its Maildir.
 */
async function assertPecRoundTrip(startEnv: Record<string, string | undefined>, ports: Ports): Promise<void> {
  const address = 'mario.rossi@pec.avvio.test';
  const password = 'Prova-avvio-2026!';
  const db = await ensureDatabase(loadConfig(startEnv), { seed: false, exportEnv: false, log: () => {} });
  await db.stop(); // leaves npm start's server running; we only needed its URL
  const prisma = createPrisma(db.url);
  try {
    await createMailboxes(prisma, 'Demo PEC Provider', [{ address, password }]);
  } finally {
    await prisma.$disconnect();
  }

  const { smtp } = await SmtpDialogue.open('127.0.0.1', ports.starttlsPort);
  try {
    const ehlo = await smtp.command('EHLO client.avvio.test');
    assert.equal(ehlo.code, 250);
    assert.ok(ehlo.lines.includes('STARTTLS'), `STARTTLS offered: ${ehlo.lines.join(' | ')}`);
    assert.ok(!ehlo.lines.some((l) => l.startsWith('AUTH')), 'no AUTH before TLS');
    await smtp.command('QUIT');
  } finally {
    smtp.close();
  }

  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: ports.starttlsPort,
    secure: false,
    requireTLS: true,
    tls: { rejectUnauthorized: false },
    auth: { user: address, pass: password },
  });
  try {
    await transport.sendMail({ from: address, to: address, subject: 'Prova avvio', text: 'Buongiorno.\r\n' });
  } finally {
    transport.close();
  }

  const newDir = path.join(maildirPath(path.join(dataDir, 'maildir'), address), 'new');
  const deadline = Date.now() + 30_000;
  let kinds: string[] = [];
  for (;;) {
    let names: string[] = [];
    try {
      names = readdirSync(newDir);
    } catch {
      // the Maildir is made at the first delivery
    }
    kinds = names.map((n) => inspectMessage(readFileSync(path.join(newDir, n))).kind).sort();
    if (kinds.includes('accettazione') && kinds.includes('avvenuta-consegna')) break;
    assert.ok(Date.now() < deadline, `no accettazione + consegna within 30 s (got ${kinds.join(', ') || 'nothing'})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface Ports {
  portalPort: number;
  mtaPort: number;
  pgPort: number;
  starttlsPort: number;
  tlsPort: number;
}

/** Spawns `npm start` (as `tsx scripts/start.ts`) on free ports with the test's data folder. */
async function startProvider(args: string[] = []) {
  const ports: Ports = {
    portalPort: await findFreePort(),
    mtaPort: await findFreePort(),
    pgPort: await findFreePort(),
    starttlsPort: await findFreePort(),
    tlsPort: await findFreePort(),
  };
  // No DATABASE_URL, so the embedded database starts.
  const { DATABASE_URL: _url, ...inherited } = process.env;
  const env = {
    ...inherited,
    PEC_DATA_DIR: dataDir,
    PORTAL_PORT: String(ports.portalPort),
    MTA_INBOUND_PORT: String(ports.mtaPort),
    MTA_SUBMISSION_STARTTLS_PORT: String(ports.starttlsPort),
    MTA_SUBMISSION_TLS_PORT: String(ports.tlsPort),
    EMBEDDED_PG_PORT: String(ports.pgPort),
    PEC_MAIL_DOMAIN: 'pec.avvio.test',
  };
  const start = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(repoRoot, 'scripts', 'start.ts'), ...args],
    {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  start.stdout.on('data', (d) => (output += d));
  start.stderr.on('data', (d) => (output += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    start.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let running = true;
  void exited.then(() => (running = false));
  const healthy = () =>
    waitForHealth(
      `http://127.0.0.1:${ports.portalPort}/api/health`,
      (status) => status === 200,
      () => running,
      () => output,
      300_000,
    );
  return { start, env, ports, exited, healthy, output: () => output };
}

/** After npm start has ended: nothing listens any more and no process uses the data folder. */
async function assertAllStopped({ portalPort, mtaPort, pgPort, starttlsPort, tlsPort }: Ports): Promise<void> {
  assert.equal(await isPortOpen(portalPort), false, 'portal port closed');
  assert.equal(await isPortOpen(mtaPort), false, 'MTA port closed');
  assert.equal(await isPortOpen(starttlsPort), false, 'MTA STARTTLS port closed');
  assert.equal(await isPortOpen(tlsPort), false, 'MTA implicit TLS port closed');
  assert.equal(await isPortOpen(pgPort), false, 'embedded PostgreSQL port closed');
  assert.deepEqual(processesUsing(dataDir), [], 'no process left on the data folder');
}

async function fetchHealth(url: string): Promise<{ status: number; body: HealthReport } | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    return { status: res.status, body: (await res.json()) as HealthReport };
  } catch {
    return undefined;
  }
}

test(
  'npm start runs portal, MTA and embedded database, and stops cleanly on SIGINT',
  { timeout: 360_000 },
  async () => {
    const { start, env, ports, exited, healthy, output: log } = await startProvider();
    const { portalPort, mtaPort } = ports;
    try {
      const health = await healthy();
      const output = log();
      assert.equal(health.body.status, 'ok');
      assert.equal(health.body.database.ok, true);
      assert.equal(health.body.mta.ok, true);
      assert.deepEqual([health.body.mta.inbound.host, health.body.mta.inbound.port], ['127.0.0.1', mtaPort]);
      assert.match(output, new RegExp(`^\\[start\\] portal +http://127\\.0\\.0\\.1:${portalPort}`, 'm'));
      assert.match(output, /^\[portal\] /m);
      assert.match(output, /^\[mta\] /m);
      assert.match(output, /^\[db\] /m);

      const home = await fetch(`http://127.0.0.1:${portalPort}/`);
      assert.equal(home.status, 200);
      const html = await home.text();
      assert.match(html, /<html lang="it"/);
      assert.match(html, /pec\.avvio\.test/);

      const { smtp, greeting } = await SmtpDialogue.open('127.0.0.1', mtaPort);
      try {
        assert.equal(greeting.code, 220);
        const ehlo = await smtp.command('EHLO client.avvio.test');
        assert.equal(ehlo.code, 250);
        assert.equal((await smtp.command('QUIT')).code, 221);
      } finally {
        smtp.close();
      }
      assert.ok(processesUsing(dataDir).length > 0, 'embedded postgres runs on the data folder');

      assert.match(output, /^\[mta\] DEMO signing certificate for posta-certificata@pec\.avvio\.test/m);
      assert.match(output, /npm run cert:rotate/);
      await assertPecRoundTrip(env, ports);

      await assertDegradedWithoutMta(env);
    } finally {
      const stopAsked = Date.now();
      start.kill('SIGINT');
      const status = await exited;
      const stopMs = Date.now() - stopAsked;
      assert.deepEqual(status, { code: 0, signal: null }, log());
      assert.ok(stopMs < 15_000, `stopping took ${stopMs} ms`);
    }
    await assertAllStopped(ports);
    assert.match(log(), /^\[db\] embedded PostgreSQL stopped$/m);
  },
);

test(
  'when the MTA dies on its own, npm start stops the rest and exits non-zero',
  { timeout: 360_000 },
  async () => {
    // The build made (or found fresh) by the previous test is reused as is: no second build.
    const signingCert = path.join(dataDir, 'pki', 'signing-cert.pem');
    const material = [signingCert, path.join(dataDir, 'tls', 'cert.pem')].map((f) => readFileSync(f, 'utf8'));
    const { start, ports, exited, healthy, output } = await startProvider(['--no-build']);
    try {
      await healthy();
      // The material made by the first start is reused, never replaced.
      assert.deepEqual([signingCert, path.join(dataDir, 'tls', 'cert.pem')].map((f) => readFileSync(f, 'utf8')), material);
      assert.doesNotMatch(output(), /DEMO signing certificate/);
      const haraka = processesUsing(path.join(dataDir, 'haraka')).filter((pid) =>
        readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('Haraka/bin/haraka'),
      );
      assert.equal(haraka.length, 1, `one Haraka process (found ${haraka.join(', ')})`);
      process.kill(haraka[0], 'SIGKILL');
      const status = await Promise.race([
        exited,
        new Promise((r) => setTimeout(() => r('still running'), 20_000)),
      ]);
      assert.deepEqual(status, { code: 1, signal: null }, output());
    } finally {
      start.kill('SIGKILL');
      await exited;
    }
    assert.match(output(), /^\[start\] mta exited unexpectedly \(killed by SIGKILL\): stopping$/m);
    await assertAllStopped(ports);
  },
);

test('a bad configuration variable stops npm start at once with its name', async () => {
  const env = { ...process.env, PEC_DATA_DIR: dataDir, PORTAL_PORT: 'not-a-port' };
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'scripts', 'start.ts')], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  assert.equal(code, 1);
  assert.match(stderr, /^\[start\] Invalid configuration: PORTAL_PORT: /m);
});

test('an unknown argument is refused with the usage line', async () => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(repoRoot, 'scripts', 'start.ts'), '--bogus'],
    {
      cwd: repoRoot,
      env: { ...process.env, PEC_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  assert.equal(code, 1);
  assert.match(stderr, /unknown argument --bogus\nusage: npm start \[-- --no-build\]/);
});
