/**
 * `npm start`: the whole provider in one command. Validates the configuration, makes sure the
 * database is there (embedded PostgreSQL under PEC_DATA_DIR when DATABASE_URL is unset), builds the
 * portal if needed, then runs the portal (`next start`) and the MTA (Haraka) side by side.
 * Ctrl-C / SIGTERM stops the children, then the embedded database; a child dying on its own stops
 * everything with a non-zero exit, so a supervisor (systemd, Docker) can restart the lot.
 */
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig, type Config } from '@/lib/config';
import { ensureDatabase } from '@/lib/db/ensure-database';
import { createPrisma } from '@/lib/db/client';
import { prepareHarakaRuntime } from './lib/haraka-runtime';
import { ensureMtaBuild, mtaBuildState } from './lib/mta-build';
import { ensureMtaMaterial } from './lib/mta-material';
import {
  ensurePortalBuild,
  leaseExistingPortalBuild,
  nextBin,
  portalBuildState,
  repoRoot,
} from './lib/portal-build';
import { SupervisedProcess, describeExit } from './lib/supervised-process';

const harakaBin = path.join(repoRoot, 'node_modules', 'Haraka', 'bin', 'haraka');
/** How long each child gets to finish open requests/sessions before SIGKILL. */
const stopGraceMs = 10_000;

const say = (prefix: string, line: string) => process.stdout.write(`[${prefix}] ${line}\n`);

const usage = 'usage: npm start [-- --no-build]';

/**
 * `--no-build` runs the existing production build as it is (an image built once, or tests that
 * built beforehand) instead of rebuilding when sources look newer.
 */
function readOptions(argv: string[]): { build: boolean } {
  const options = { build: true };
  for (const arg of argv) {
    if (arg === '--no-build') options.build = false;
    else {
      process.stderr.write(`[start] unknown argument ${arg}\n${usage}\n`);
      process.exit(1);
    }
  }
  return options;
}

function readConfig(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`[start] ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

type Database = Awaited<ReturnType<typeof ensureDatabase>>;

async function main(): Promise<void> {
  const options = readOptions(process.argv.slice(2));
  const config = readConfig();
  if (!options.build && portalBuildState().state === 'missing') {
    process.stderr.write('[start] --no-build given but there is no production build: run npm run build\n');
    process.exit(1);
  }
  if (!options.build && mtaBuildState().state === 'missing') {
    process.stderr.write('[start] --no-build given but the MTA plugins are not built: run npm run build:mta\n');
    process.exit(1);
  }
  let stopping = false;
  let database: Promise<Database> | undefined;
  const children: SupervisedProcess[] = [];

  // Installed before the slow steps so Ctrl-C during start-up still cleans up what exists so far.
  const shutdown = async (reason: string, exitCode: number) => {
    if (stopping) return;
    stopping = true;
    say('start', `${reason}: stopping`);
    await Promise.all(
      children.map(async (child) => {
        // Haraka shuts down gracefully on SIGINT only (SIGTERM would kill it outright).
        const signal = child.name === 'mta' ? 'SIGINT' : 'SIGTERM';
        const status = await child.stop(signal, stopGraceMs);
        // Node servers exiting on the signal we sent report 128 + its number; that is a clean stop.
        const clean = status.code === 0 || status.code === 128 + os.constants.signals[signal];
        say(child.name, clean ? 'stopped' : `stopped (${describeExit(status)})`);
      }),
    );
    // A database still starting is awaited, so an interrupted start-up leaves no postgres behind.
    const db = await database?.catch(() => undefined);
    if (db) {
      try {
        await db.stop();
        if (db.embedded) say('db', 'embedded PostgreSQL stopped');
      } catch (err) {
        say('db', `could not stop the embedded PostgreSQL: ${(err as Error).message}`);
        exitCode ||= 1;
      }
    }
    process.exit(exitCode);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => void shutdown(`${signal} received`, 0));
  }

  try {
    say(
      'db',
      config.databaseUrl ? 'using DATABASE_URL' : `starting embedded PostgreSQL in ${config.dataDir}`,
    );
    database = ensureDatabase(config, {
      log: (text) => {
        for (const line of text.split('\n')) say('db', line.replace(/^\[db\] /, ''));
      },
    });
    const db = await database;
    say('db', `ready (${db.embedded ? `embedded, port ${config.embeddedPgPort}` : 'external'})`);
    if (stopping) return;

    if (options.build) {
      // Built after the database is up so a first start shows the admin credentials without delay.
      const built = await ensurePortalBuild(
        repoRoot,
        (line) => say('build', line),
        (build) => children.push(build),
      );
      if (built === 'fresh') say('build', 'portal build is up to date');
      if ((await ensureMtaBuild((line) => say('build', line))) === 'fresh') say('build', 'MTA plugins are up to date');
    } else if (!(await leaseExistingPortalBuild())) {
      throw new Error('the production build disappeared: run npm run build');
    }
    if (stopping) return;

    const childEnv = { ...process.env, DATABASE_URL: db.url, NEXT_TELEMETRY_DISABLED: '1' };
    // Signing key, trust, provider index and TLS certificate: reused, or made on a first start.
    const prisma = createPrisma(db.url);
    let tls;
    try {
      tls = await ensureMtaMaterial(config, prisma, (line) => say('mta', line));
    } finally {
      await prisma.$disconnect();
    }
    const harakaDir = prepareHarakaRuntime(config, { tls });
    const portal = new SupervisedProcess(
      'portal',
      process.execPath,
      [nextBin, 'start', '-H', config.portal.host, '-p', String(config.portal.port)],
      { cwd: repoRoot, env: { ...childEnv, NODE_ENV: 'production' } },
    );
    const mta = new SupervisedProcess('mta', process.execPath, [harakaBin, '-c', harakaDir], {
      cwd: harakaDir,
      env: childEnv,
    });
    children.push(portal, mta);
    for (const child of [portal, mta]) {
      void child.exited.then((status) => {
        if (!stopping) void shutdown(`${child.name} exited unexpectedly (${describeExit(status)})`, 1);
      });
    }
  } catch (err) {
    process.stderr.write(`[start] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    await shutdown('start-up failed', 1);
    return;
  }

  say('start', `portal      ${config.portal.url}  (health: ${config.portal.url}/api/health)`);
  say('start', `MTA inbound smtp://${config.mta.host}:${config.mta.inboundPort}`);
  say(
    'start',
    `MTA access  smtp://${config.mta.host}:${config.mta.submissionStarttlsPort} (STARTTLS), ` +
      `smtps://${config.mta.host}:${config.mta.submissionTlsPort}`,
  );
  say('start', `data        ${config.dataDir}`);
  say('start', 'press Ctrl-C to stop');
}

void main();
