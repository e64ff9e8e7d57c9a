// The one command line of cert:import and cert:rotate, read from real PEM and PKCS#12 files made by openssl.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { readSigningMaterialArgs } from './signing-material-args';

const dir = mkdtempSync(path.join(os.tmpdir(), 'pec-cert-args-'));
const file = (name: string) => path.join(dir, name);
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });

before(() => {
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.pem', '-days', '2', '-subj', '/CN=Args Test');
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other.key', '-out', 'chain.pem', '-days', '2', '-subj', '/CN=Args Chain');
  writeFileSync(file('password'), 'segreta\n');
  openssl('pkcs12', '-export', '-inkey', 'leaf.key', '-in', 'leaf.pem', '-out', 'bundle.p12', '-passout', 'pass:segreta');
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('PEM files: certificate, key, chain and label', async () => {
  const { material, label } = await readSigningMaterialArgs(['--cert', file('leaf.pem'), '--key', file('leaf.key'), '--chain', file('chain.pem'), '--label', '2027']);
  assert.equal(label, '2027');
  assert.equal(material.certPem, readFileSync(file('leaf.pem'), 'utf8'));
  assert.equal(material.keyPem, readFileSync(file('leaf.key'), 'utf8'));
  assert.equal(material.chainPem, readFileSync(file('chain.pem'), 'utf8'));
});

test('PKCS#12 bundle with its password file gives the same certificate', async () => {
  const { material, label } = await readSigningMaterialArgs(['--p12', file('bundle.p12'), '--password-file', file('password')]);
  assert.equal(label, undefined);
  const der = (pem: string) => Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  assert.deepEqual(der(material.certPem), der(readFileSync(file('leaf.pem'), 'utf8')));
});

test('contradictory, incomplete or unknown options are refused', async () => {
  await assert.rejects(readSigningMaterialArgs(['--p12', file('bundle.p12'), '--cert', file('leaf.pem')]), /either --p12 or --cert/);
  await assert.rejects(readSigningMaterialArgs(['--cert', file('leaf.pem')]), /Give --cert FILE and --key FILE/);
  await assert.rejects(readSigningMaterialArgs(['--certificate', file('leaf.pem')]), /Unknown option '--certificate'/);
});
