/**
 * `npm run bench`: runs every `*.bench.ts` under mail/, lib/, app/ and scripts/ in turn, each in its own
 * process so peak-memory figures are not polluted by the others. Each prints its figures, and the
 * ratio against a baseline it measures in the same run.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..');
const skip = new Set(['node_modules', '.next', '.data', '.git', 'dist', 'generated']);

function find(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (skip.has(name)) continue;
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) find(full, out);
    else if (name.endsWith('.bench.ts')) out.push(full);
  }
  return out;
}

const filters = process.argv.slice(2).map((f) => path.resolve(f));
const benches = ['mail', 'lib', 'app', 'scripts']
  .flatMap((d) => find(path.join(root, d)))
  .filter((f) => filters.length === 0 || filters.some((p) => f.startsWith(p)))
  .sort();
let failed = 0;
for (const file of benches) {
  console.log(`\n=== ${path.relative(root, file)} ===`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', file], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
if (benches.length === 0) console.log('no benchmarks found');
process.exit(failed ? 1 : 0);
