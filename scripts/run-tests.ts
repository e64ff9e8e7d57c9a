/**
 * `npm test`: installs what the tests need (Debian packages, Prisma client), then runs every
 * `*.test.ts` with Node's own test runner. Arguments narrow the run: `npm test -- mail/pec`.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { ensureDebianPackages } from './lib/system-packages';

const root = path.resolve(__dirname, '..');
const skipDirs = new Set(['node_modules', '.next', '.data', '.git', 'dist', 'generated']);

function findTests(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (skipDirs.has(name)) continue;
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) findTests(full, out);
    else if (name.endsWith('.test.ts') || name.endsWith('.test.tsx')) out.push(full);
  }
  return out;
}

function main(): void {
  ensureDebianPackages();
  const filters = process.argv.slice(2).map((f) => path.resolve(f));
  const files = findTests(root)
    .filter((f) => filters.length === 0 || filters.some((p) => f.startsWith(p)))
    .sort()
    .map((f) => path.relative(root, f));
  if (files.length === 0) {
    console.error('No test files matched.');
    process.exit(1);
  }
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=600000', ...files],
    { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
  );
  process.exit(result.status ?? 1);
}

main();
