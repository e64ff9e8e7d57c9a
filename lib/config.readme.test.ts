// The README is the operator's reference: every configuration variable must be documented there,
// and CI must run exactly the README's test command.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { describeVariables } from './config';

const root = path.resolve(__dirname, '..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

test('every configuration variable is documented in the README', () => {
  const missing = describeVariables()
    .map((v) => v.name)
    .filter((name) => !readme.includes(`\`${name}\``));
  assert.deepEqual(missing, []);
});

test('CI runs the README install step and exactly its test command', () => {
  const ci = readFileSync(path.join(root, '.ci', 'run'), 'utf8');
  assert.match(readme, /npm install && npm start/);
  assert.match(readme, /^npm test\b/m);
  assert.match(ci, /^npm install\b/m);
  assert.match(ci, /^npm test$/m);
});

test('every npm script named in the README exists', () => {
  const scripts = Object.keys(JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).scripts);
  const named = [...readme.matchAll(/npm run (?:--silent )?([a-z][\w:-]*)/g)].map((m) => m[1]);
  assert.ok(named.length > 5);
  assert.deepEqual(
    named.filter((n) => !scripts.includes(n)),
    [],
  );
});
