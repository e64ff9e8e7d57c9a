/**
 * Decides whether the portal needs a (re)build before `next start`, and builds it under a lock.
 * "Stale" means a source the portal bundles (app/, lib/, the Next/PostCSS/TS configs, the lockfile,
 * the Prisma schema) is newer than `.next/BUILD_ID`; a plain mtime scan takes milliseconds and spares
 * a minute of CPU when nothing changed. The lock keeps concurrent starts (tests run in parallel by
 * several people) from building into the same `.next` at once.
 */
import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  unlinkSync,
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
const ignoredNames = new Set(['node_modules', '.next', 'generated', 'testing']);

export type BuildState = { state: 'fresh' } | { state: 'missing' } | { state: 'stale'; newest: string };

function newestSource(file: string, best: { mtimeMs: number; file: string }): void {
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

/**
 * Builds the portal when it has no production build or the build is older than its sources.
 * Returns what it did, for the start-up log.
 */
export async function ensurePortalBuild(
  root: string = repoRoot,
  log: (line: string) => void = console.log,
  track?: (build: SupervisedProcess) => void,
): Promise<'built' | 'fresh'> {
  // In the temp folder, keyed by checkout, so the lock never shows up in the work tree.
  const lockPath = path.join(
    os.tmpdir(),
    `pec-next-build-${createHash('sha256').update(root).digest('hex').slice(0, 12)}.lock`,
  );
  return withFileLock(
    lockPath,
    async () => {
      // Checked inside the lock: whoever held it may have just built.
      const state = portalBuildState(root);
      if (state.state === 'fresh') return 'fresh';
      log(
        state.state === 'missing'
          ? 'no production build yet: running next build'
          : `${state.newest} changed since the last build: running next build`,
      );
      await buildPortal(root, track);
      return 'built';
    },
    () => log('another process is building the portal; waiting for it'),
  );
}
