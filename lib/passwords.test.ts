import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { generatePassword, hashPassword, passwordScheme, verifyPassword } from './passwords';

/** The reference Argon2 implementation (Debian `argon2`), which Dovecot's libsodium agrees with. */
function referenceArgon2id(password: string, salt: string, t: number, kib: number): string {
  const run = spawnSync(
    'argon2',
    [salt, '-id', '-t', String(t), '-k', String(kib), '-p', '1', '-l', '32', '-e'],
    {
      input: password,
      encoding: 'utf8',
    },
  );
  assert.equal(run.status, 0, run.stderr);
  return run.stdout.trim();
}

test('hashes are {ARGON2ID}-prefixed standard argon2id that the reference tool recomputes byte for byte', async () => {
  const password = 'Corretto-Cavallo-Batteria-Graffetta';
  const stored = await hashPassword(password);
  const m = /^\{ARGON2ID\}\$argon2id\$v=19\$m=(\d+),t=(\d+),p=1\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(
    stored,
  );
  assert.ok(m, `unexpected format: ${stored}`);
  const salt = Buffer.from(m[3], 'base64').toString('latin1');
  assert.equal(
    referenceArgon2id(password, salt, Number(m[2]), Number(m[1])),
    stored.slice(passwordScheme.length),
  );
});

test('verifies the right password only, and hashes from the reference tool too', async () => {
  const stored = await hashPassword('segreto');
  assert.equal(await verifyPassword(stored, 'segreto'), true);
  assert.equal(await verifyPassword(stored, 'Segreto'), false);
  const reference = referenceArgon2id('altro segreto', 'saltsaltsalt', 3, 4096);
  assert.equal(await verifyPassword(`{ARGON2ID}${reference}`, 'altro segreto'), true);
  assert.equal(await verifyPassword(reference, 'altro segreto'), true, 'bare PHC string accepted too');
});

test('a salt is never reused and unknown or broken hashes never match', async () => {
  assert.notEqual(await hashPassword('x'), await hashPassword('x'));
  assert.equal(await verifyPassword('{PLAIN}segreto', 'segreto'), false);
  assert.equal(await verifyPassword('{ARGON2ID}$argon2id$v=19$broken', 'segreto'), false);
  await assert.rejects(hashPassword(''), /empty password/);
});

test('generated passwords are long and random', () => {
  const a = generatePassword();
  assert.match(a, /^[A-Za-z0-9_-]{20}$/);
  assert.notEqual(a, generatePassword());
});
