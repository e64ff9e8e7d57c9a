/**
 * `npm run build:mta`: compiles every Haraka plugin folder `mail/plugins/<name>/` (a package.json
 * whose `main` is `dist/index.js`, plus `index.ts`) to one CommonJS file. Haraka `require`s folder
 * plugins normally, so compiled CommonJS runs as is (plain `plugins/*.js` would run in a vm sandbox).
 * Our own modules (`@/lib`, `mail/mta`, `mail/pec`) are bundled in; npm packages stay external and
 * resolve from the repository's node_modules, since the dist folder lives inside the repository.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

export const pluginsDir = __dirname;
const repoRoot = path.resolve(__dirname, '..', '..');

/** Names of the plugin folders (those with a package.json and an index.ts). */
export function listPlugins(dir: string = pluginsDir): string[] {
  return readdirSync(dir)
    .filter((name) => statSync(path.join(dir, name)).isDirectory())
    .filter((name) => existsSync(path.join(dir, name, 'package.json')) && existsSync(path.join(dir, name, 'index.ts')))
    .sort();
}

/** Compiles the named plugins (default: all) and returns the output files. */
export async function buildPlugins(names: string[] = listPlugins()): Promise<string[]> {
  const outputs: string[] = [];
  for (const name of names) {
    const outfile = path.join(pluginsDir, name, 'dist', 'index.js');
    await build({
      entryPoints: [path.join(pluginsDir, name, 'index.ts')],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      packages: 'external',
      tsconfig: path.join(repoRoot, 'tsconfig.json'),
      sourcemap: 'inline',
      logLevel: 'warning',
    });
    outputs.push(outfile);
  }
  return outputs;
}

if (require.main === module) {
  buildPlugins(process.argv.slice(2).length ? process.argv.slice(2) : undefined)
    .then((files) => {
      for (const f of files) console.log(`built ${path.relative(repoRoot, f)}`);
    })
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
}
