import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { readFixtures, type ReadFixtures } from '../pec/testing/inspect-fixtures';
import { createTestCa } from '../pec/testing/test-pki';

const root = path.resolve(__dirname, '..', '..');
const dir = mkdtempSync(path.join(tmpdir(), 'pec-inspect-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, data: string | Buffer): string {
  const file = path.join(dir, name);
  writeFileSync(file, data);
  return file;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI exactly as `npm run pec` does (tsx on mail/cli/pec.ts), without npm's startup. */
function pec(args: string[]): Run {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'mail/cli/pec.ts', 'inspect', ...args], {
    cwd: root,
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** stdout must be exactly one JSON object. */
function report(r: Run): Record<string, unknown> & { signature: Record<string, unknown> } {
  const parsed = JSON.parse(r.stdout) as Record<string, unknown> & { signature: Record<string, unknown> };
  assert.equal(typeof parsed, 'object');
  assert.ok(!Array.isArray(parsed));
  return parsed;
}

let fx: ReadFixtures;
let busta: string;
let ca: string;
let index: string;
before(async () => {
  fx = await readFixtures();
  busta = write('busta.eml', fx.messages.get('busta-trasporto')!);
  ca = write('ca.pem', fx.caPem);
  index = write('index.ldif', fx.indexLdif);
});

test('signed intact busta: exit 0, one JSON object with the documented fields', () => {
  const r = pec([busta]);
  assert.equal(r.code, 0, r.stderr);
  const j = report(r);
  assert.deepEqual(Object.keys(j).sort(), [
    'daticert',
    'error',
    'kind',
    'messageId',
    'problems',
    'receiptType',
    'riferimentoMessageId',
    'signature',
    'subject',
  ]);
  assert.equal(j.kind, 'posta-certificata');
  assert.equal(j.receiptType, 'completa');
  assert.equal(j.error, null);
  assert.deepEqual(
    [j.signature.present, j.signature.intact, j.signature.trusted, j.signature.digest, j.signature.code],
    [true, true, null, 'sha256', null],
  );
  assert.equal((j.signature.signer as { emails: string[] }).emails[0], 'posta-certificata@pec.alfa.test');
  assert.match((j.daticert as { date: string }).date, /[+-]\d\d:\d\d$/);
  assert.deepEqual(j.problems, []);
});

test('--trust with PEM anchors or the index LDIF, several allowed', () => {
  let r = pec([busta, '--trust', ca]);
  assert.equal(r.code, 0, r.stdout);
  assert.equal(report(r).signature.trusted, true);
  r = pec(['--trust', index, busta, `--trust=${ca}`]);
  assert.equal(r.code, 0, r.stdout);
  assert.equal(report(r).signature.provider, 'Alfa PEC S.p.A.');
  const other = write('other-ca.pem', createTestCa('Other CA').rootPem);
  r = pec([busta, '--trust', other]);
  assert.equal(r.code, 1);
  assert.deepEqual([report(r).signature.trusted, report(r).signature.code], [false, 'untrusted-chain']);
});

test('tampered: exit 1 with a verdict', () => {
  const copy = Buffer.from(fx.messages.get('busta-trasporto')!);
  const at = copy.indexOf('Buongiorno');
  copy[at] = 0x62;
  const r = pec([write('tampered.eml', copy)]);
  assert.equal(r.code, 1);
  assert.deepEqual([report(r).signature.intact, report(r).signature.code], [false, 'digest-mismatch']);
});

test('unreadable file or bad usage: exit 2, message on stderr, nothing on stdout', () => {
  for (const args of [[path.join(dir, 'missing.eml')], ['--bogus', busta], [busta, '--trust', busta]]) {
    const r = pec(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /pec inspect|usage/);
  }
});

test('the npm script prints the same single object', () => {
  const r = spawnSync('npm', ['run', '--silent', 'pec', '--', 'inspect', busta], {
    cwd: root,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(report({ code: r.status, stdout: r.stdout, stderr: r.stderr }).kind, 'posta-certificata');
});
