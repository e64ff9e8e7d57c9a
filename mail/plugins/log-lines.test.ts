import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';

const moduleFile = path.join(__dirname, 'log-lines.ts');

/** Runs `body` in a child node with log-lines loaded as `log`; counts the child's stdout writes. */
function child(body: string): { stdout: string; writes: number } {
  const script = `
    const log = require(${JSON.stringify(moduleFile)});
    const write = process.stdout.write.bind(process.stdout);
    let writes = 0;
    process.stdout.write = (chunk, ...rest) => { writes++; return write(chunk, ...rest); };
    process.on('exit', () => process.stderr.write(String(writes)));
    ${body}`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return { stdout: r.stdout, writes: Number(r.stderr.trim().split('\n').pop()) };
}

describe('Log lines', () => {
  it('writes the lines of one event-loop turn together, in order', () => {
    const { stdout, writes } = child(`
      log.writeLogLine('one\\n'); log.writeLogLine('two\\n'); log.writeLogLine('three\\n');
      setTimeout(() => { log.writeLogLine('four\\n'); log.writeLogLine('five\\n'); }, 20);`);
    assert.equal(stdout, 'one\ntwo\nthree\nfour\nfive\n');
    assert.equal(writes, 2, 'one write per turn');
  });

  it('writes what it holds when the process exits in the same turn', () => {
    const { stdout } = child(`log.writeLogLine('last words\\n'); process.exit(0);`);
    assert.equal(stdout, 'last words\n');
  });
});
