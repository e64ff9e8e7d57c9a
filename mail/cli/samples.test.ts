import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { run } from './samples';

const dir = mkdtempSync(path.join(tmpdir(), 'pec-samples-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('pec samples --out DIR writes ca.pem and one verifiable message per kind/variant', async () => {
  const out = path.join(dir, 'out');
  const write = process.stdout.write.bind(process.stdout);
  let printed = '';
  process.stdout.write = ((chunk: string) => {
    printed += chunk;
    return true;
  }) as typeof process.stdout.write;
  let code: number;
  try {
    code = await run(['--out', out]);
  } finally {
    process.stdout.write = write;
  }
  assert.equal(code, 0);
  const files = readdirSync(out).sort();
  assert.ok(files.includes('ca.pem'));
  for (const name of [
    'busta-trasporto',
    'accettazione',
    'non-accettazione-bcc-presente',
    'non-accettazione-virus',
    'presa-in-carico',
    'avvenuta-consegna-completa',
    'avvenuta-consegna-breve',
    'avvenuta-consegna-sintetica',
    'mancata-consegna-no-dest',
    'mancata-consegna-no-dominio',
    'mancata-consegna-altro',
    'mancata-consegna-virus',
    'preavviso-mancata-consegna-12h',
    'mancata-consegna-24h',
    'rilevazione-virus',
    'busta-anomalia',
  ]) {
    assert.ok(files.includes(`${name}.eml`), name);
  }
  assert.equal(printed.trim().split('\n').length, files.length);
  const emls = files.filter((f) => f.endsWith('.eml')).map((f) => path.join(out, f));
  const failed = execFileSync(
    'sh',
    ['-c', 'ca="$1"; shift; for f in "$@"; do openssl smime -verify -CAfile "$ca" -in "$f" -out /dev/null 2>/dev/null || echo "$f"; done', 'sh', path.join(out, 'ca.pem'), ...emls],
    { encoding: 'utf8' },
  );
  assert.equal(failed, '');
});

test('bad usage exits 2 and writes nothing', async () => {
  const err = process.stderr.write.bind(process.stderr);
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    assert.equal(await run([]), 2);
    assert.equal(await run(['--out']), 2);
    assert.equal(await run(['--bogus', 'x']), 2);
  } finally {
    process.stderr.write = err;
  }
  assert.equal(existsSync(path.join(dir, 'x')), false);
});
