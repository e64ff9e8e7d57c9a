/**
 * Decides whether the portal needs a (re)build before `next start`, and builds it under a lock.
 * "Stale" means a source the portal bundles (app/, lib/, the Next/PostCSS/TS configs, the lockfile,
 * the Prisma schema) is newer than `.next/BUILD_ID`; a plain mtime scan takes milliseconds and spares
 * a minute of CPU when nothing changed. The lock keeps concurrent starts (tests run in parallel by
 * several people) from building into the same `.next` at once.
 *
 * Rebuilding replaces `.next` under any `next start` already serving it, so every process that runs
 * the build holds a lease (a file named by its pid, void once that pid is gone); a stale build that
 * is leased by another live process is used as it is rather than pulled from under it.
 */
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { SupervisedProcess, describeExit } from './supervised-process';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const nextBin = path.join(repoRoot, 'node_modules', 'next', 'dist', 'bin', 'next');

const portalSources = [
  'app',
  'lib',
  'next.config.ts',
  'postcss.config.mjs',
  'tsconfig.json',
  'package-lock.json',
  'prisma/schema.prisma',
];
const ignoredNames = new Set(['node_modules', '.next', 'generated', 'testing', 'dist']);

export type BuildState = { state: 'fresh' } | { state: 'missing' } | { state: 'stale'; newest: string };

/** Updates `best` with the newest file under `file` (tests, benches and build output skipped). */
export function newestSource(file: string, best: { mtimeMs: number; file: string }): void {
  let stats;
  try {
    stats = statSync(file);
  } catch {
    return;
  }
  if (stats.isDirectory()) {
    for (const name of readdirSync(file)) {
      if (ignoredNames.has(name) || /\.(test|bench)\.tsx?$/.test(name)) continue;
      newestSource(path.join(file, name), best);
    }
  } else if (stats.mtimeMs > best.mtimeMs) {
    best.mtimeMs = stats.mtimeMs;
    best.file = file;
  }
}

export function portalBuildState(root: string = repoRoot): BuildState {
  const buildId = path.join(root, '.next', 'BUILD_ID');
  if (!existsSync(buildId)) return { state: 'missing' };
  const builtAt = statSync(buildId).mtimeMs;
  const best = { mtimeMs: 0, file: '' };
  for (const source of portalSources) newestSource(path.join(root, source), best);
  return best.mtimeMs > builtAt
    ? { state: 'stale', newest: path.relative(root, best.file) }
    : { state: 'fresh' };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** An exclusive lock file holding the owner's pid; a lock whose owner died is taken over. */
export async function withFileLock<T>(
  lockPath: string,
  work: () => Promise<T>,
  onWait?: () => void,
): Promise<T> {
  let announced = false;
  for (;;) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number.parseInt(readFileSync(lockPath, 'utf8'), 10);
      if (!Number.isFinite(owner) || !pidAlive(owner)) {
        try {
          unlinkSync(lockPath);
        } catch {
          // someone else took it over first
        }
        continue;
      }
      if (!announced) onWait?.();
      announced = true;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await work();
  } finally {
    unlinkSync(lockPath);
  }
}

/**
 * Runs `next build`, output prefixed `[build] `; rejects when the build fails. `track` receives the
 * build process so a supervisor interrupted meanwhile can stop it too.
 */
export async function buildPortal(
  root: string = repoRoot,
  track?: (build: SupervisedProcess) => void,
): Promise<void> {
  const build = new SupervisedProcess('build', process.execPath, [nextBin, 'build'], {
    cwd: root,
    env: { ...process.env, NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1' },
  });
  track?.(build);
  const status = await build.exited;
  if (status.code !== 0) throw new Error(`next build failed (${describeExit(status)})`);
}

/** Scratch paths in the temp folder, keyed by checkout, so they never show up in the work tree. */
function scratchPath(root: string, name: string): string {
  return path.join(
    os.tmpdir(),
    `pec-next-${createHash('sha256').update(root).digest('hex').slice(0, 12)}-${name}`,
  );
}

/** Live processes other than this one that hold a lease on the current build (expired ones are dropped). */
export function otherBuildUsers(root: string = repoRoot): number[] {
  const dir = scratchPath(root, 'users');
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  const users: number[] = [];
  for (const entry of entries) {
    const pid = Number(entry);
    if (pid === process.pid) continue;
    if (Number.isInteger(pid) && pidAlive(pid)) users.push(pid);
    else {
      try {
        unlinkSync(path.join(dir, entry));
      } catch {
        // removed by someone else meanwhile
      }
    }
  }
  return users;
}

function leaseBuild(root: string): void {
  const dir = scratchPath(root, 'users');
  mkdirSync(dir, { recursive: true });
  const lease = path.join(dir, String(process.pid));
  writeFileSync(lease, '');
  process.once('exit', () => {
    try {
      unlinkSync(lease);
    } catch {
      // already gone
    }
  });
}

function withBuildLock<T>(root: string, log: (line: string) => void, work: () => Promise<T>): Promise<T> {
  return withFileLock(scratchPath(root, 'build.lock'), work, () =>
    log('another process is building the portal; waiting for it'),
  );
}

/**
 * Makes sure there is a production build this process can run, and leases it for the life of
 * this process: builds when there is none, rebuilds when it is stale and nobody else runs it.
 * Returns what it did, for the start-up log.
 */
export async function ensurePortalBuild(
  root: string = repoRoot,
  log: (line: string) => void = console.log,
  track?: (build: SupervisedProcess) => void,
): Promise<'built' | 'fresh' | 'stale-in-use'> {
  return withBuildLock(root, log, async () => {
    // Checked inside the lock: whoever held it may have just built.
    const state = portalBuildState(root);
    let outcome: 'built' | 'fresh' | 'stale-in-use' = 'fresh';
    if (state.state === 'missing') {
      log('no production build yet: running next build');
      await buildPortal(root, track);
      outcome = 'built';
    } else if (state.state === 'stale') {
      const users = otherBuildUsers(root);
      if (users.length > 0) {
        log(
          `${state.newest} changed since the last build, but pid ${users.join(', ')} runs it: using it as it is`,
        );
        outcome = 'stale-in-use';
      } else {
        log(`${state.newest} changed since the last build: running next build`);
        await buildPortal(root, track);
        outcome = 'built';
      }
    }
    leaseBuild(root);
    return outcome;
  });
}

/** Leases the existing build as it is (no freshness check); false when there is no build at all. */
export async function leaseExistingPortalBuild(root: string = repoRoot): Promise<boolean> {
  return withBuildLock(
    root,
    () => {},
    async () => {
      if (portalBuildState(root).state === 'missing') return false;
      leaseBuild(root);
      return true;
    },
  );
}
