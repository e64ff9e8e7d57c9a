import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { ensurePortalBuild, otherBuildUsers, portalBuildState, repoRoot, withFileLock } from './portal-build';

const root = mkdtempSync(path.join(os.tmpdir(), 'pec-portal-build-'));
after(() => rmSync(root, { recursive: true, force: true }));

function touch(file: string, secondsAgo: number): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, 'x');
  const t = Date.now() / 1000 - secondsAgo;
  utimesSync(file, t, t);
}

test('missing, fresh and stale builds are told apart by modification times', () => {
  touch(path.join(root, 'app', 'page.tsx'), 100);
  touch(path.join(root, 'lib', 'config.ts'), 100);
  assert.deepEqual(portalBuildState(root), { state: 'missing' });

  touch(path.join(root, '.next', 'BUILD_ID'), 50);
  assert.deepEqual(portalBuildState(root), { state: 'fresh' });

  // Tests and benches are not bundled into the portal: editing them does not call for a build.
  touch(path.join(root, 'lib', 'config.test.ts'), 10);
  touch(path.join(root, 'lib', 'node_modules', 'x.js'), 10);
  assert.deepEqual(portalBuildState(root), { state: 'fresh' });

  touch(path.join(root, 'lib', 'db', 'client.ts'), 10);
  assert.deepEqual(portalBuildState(root), { state: 'stale', newest: path.join('lib', 'db', 'client.ts') });
});

test('withFileLock runs one holder at a time and takes over a lock whose owner died', async () => {
  const lock = path.join(root, 'build.lock');
  const events: string[] = [];
  const holder = (name: string) =>
    withFileLock(lock, async () => {
      events.push(`${name} in`);
      await new Promise((r) => setTimeout(r, 100));
      events.push(`${name} out`);
    });
  await Promise.all([holder('a'), holder('b')]);
  assert.deepEqual(events, ['a in', 'a out', 'b in', 'b out']);

  // pid 2^22+1 is above Linux's pid_max default range: certainly not a live process.
  writeFileSync(lock, String(4194305));
  assert.equal(await withFileLock(lock, async () => 'taken over'), 'taken over');
});

test('a stale build leased by another live process is used as it is, and leases expire with their pid', async () => {
  const leased = mkdtempSync(path.join(os.tmpdir(), 'pec-portal-lease-'));
  try {
    touch(path.join(leased, '.next', 'BUILD_ID'), 100);
    touch(path.join(leased, 'app', 'page.tsx'), 200);
    // A process of its own takes the lease on the (fresh) build, then stays alive.
    const holder = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `require(${JSON.stringify(path.join(__dirname, 'portal-build.ts'))})
           .ensurePortalBuild(${JSON.stringify(leased)}, () => {})
           .then((outcome) => { console.log(outcome); setInterval(() => {}, 1000); });`,
      ],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const [outcome] = (await once(holder.stdout, 'data')) as [Buffer];
    assert.equal(outcome.toString().trim(), 'fresh');
    assert.deepEqual(otherBuildUsers(leased), [holder.pid]);

    touch(path.join(leased, 'app', 'page.tsx'), 0); // now newer than the build
    const log: string[] = [];
    assert.equal(await ensurePortalBuild(leased, (l) => log.push(l)), 'stale-in-use');
    assert.match(
      log.join('\n'),
      new RegExp(`app/page\\.tsx changed since the last build, but pid ${holder.pid} runs it`),
    );

    holder.kill('SIGKILL');
    await once(holder, 'exit');
    assert.deepEqual(otherBuildUsers(leased), [], 'the dead holder no longer counts');
  } finally {
    rmSync(leased, { recursive: true, force: true });
  }
});
