import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { SupervisedProcess, describeExit } from './supervised-process';

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d) => (text += d));
  return { stream, text: () => text };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('every output line is relayed with the name prefix, stdout and stderr apart', async () => {
  const out = capture();
  const err = capture();
  const child = new SupervisedProcess(
    'portal',
    process.execPath,
    ['-e', 'process.stdout.write("one\\ntwo\\npartial"); console.error("oops"); process.exitCode = 3'],
    {},
    { stdout: out.stream, stderr: err.stream },
  );
  const status = await child.exited;
  assert.deepEqual(status, { code: 3, signal: null });
  assert.equal(out.text(), '[portal] one\n[portal] two\n[portal] partial\n');
  assert.equal(err.text(), '[portal] oops\n');
  assert.equal(child.running, false);
});

test('stop() escalates to SIGKILL for a child ignoring SIGTERM, and kills its grandchildren', async () => {
  const out = capture();
  // The child ignores SIGTERM and starts a grandchild that would outlive it.
  const script = `
    process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
    const g = require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    console.log('grandchild ' + g.pid);
    setInterval(() => {}, 1000);`;
  const child = new SupervisedProcess(
    'mta',
    process.execPath,
    ['-e', script],
    {},
    { stdout: out.stream, stderr: out.stream },
  );
  const deadline = Date.now() + 10_000;
  while (!/grandchild (\d+)/.test(out.text())) {
    assert.ok(Date.now() < deadline, out.text());
    await new Promise((r) => setTimeout(r, 20));
  }
  const grandchild = Number(/grandchild (\d+)/.exec(out.text())![1]);
  const started = Date.now();
  const status = await child.stop('SIGTERM', 500);
  assert.equal(status.signal, 'SIGKILL');
  assert.ok(Date.now() - started < 3000);
  assert.match(out.text(), /\[mta\] ignoring SIGTERM/);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(pidAlive(grandchild), false, 'grandchild killed with the group');
  assert.equal(describeExit(status), 'killed by SIGKILL');
});

test('a command that cannot be run ends with code 127 and says why', async () => {
  const err = capture();
  const child = new SupervisedProcess(
    'x',
    '/nonexistent/binary',
    [],
    {},
    { stdout: err.stream, stderr: err.stream },
  );
  assert.deepEqual(await child.exited, { code: 127, signal: null });
  assert.match(err.text(), /^\[x\] cannot run \/nonexistent\/binary: .*ENOENT/);
});
