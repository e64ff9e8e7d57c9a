/**
 * The MTA side of `npm start`'s build step: the PEC Haraka plugins are bundled by esbuild
 * (mail/plugins/build.ts) into `mail/plugins/<name>/dist/index.js`, rebuilt here when a dist file
 * is missing or older than the sources bundled into it. Takes a second, so no lock dance is needed.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { buildPlugins } from '@/mail/plugins/build';
import { pecPlugins, pluginsDir } from './haraka-runtime';
import { newestSource, repoRoot, type BuildState } from './portal-build';

/** What the plugin bundles contain: our own modules (npm packages stay external). */
const mtaSources = ['mail/plugins', 'mail/mta', 'mail/pec', 'lib', 'tsconfig.json'];
const distOf = (name: string) => path.join(pluginsDir, name, 'dist', 'index.js');

export function mtaBuildState(root: string = repoRoot): BuildState {
  const dists = pecPlugins.map(distOf);
  if (dists.some((f) => !existsSync(f))) return { state: 'missing' };
  const builtAt = Math.min(...dists.map((f) => statSync(f).mtimeMs));
  const best = { mtimeMs: 0, file: '' };
  for (const source of mtaSources) newestSource(path.join(root, source), best);
  return best.mtimeMs > builtAt
    ? { state: 'stale', newest: path.relative(root, best.file) }
    : { state: 'fresh' };
}

/** Builds the PEC plugins when needed; returns what it found. */
export async function ensureMtaBuild(log: (line: string) => void): Promise<BuildState['state']> {
  const state = mtaBuildState();
  if (state.state === 'fresh') return 'fresh';
  log(state.state === 'missing' ? 'MTA plugins not built yet: building' : `MTA plugins older than ${state.newest}: rebuilding`);
  await buildPlugins(pecPlugins);
  return state.state;
}
