import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { formatProviderLdif, parseProviderLdif } from '../../mail/pec/provider-index';
import { createTestCa, issueProviderCertificate } from '../../mail/pec/testing/test-pki';
import { createTestSigningCertificate, importSigningCertificate, rotateSigningCertificate } from '../certificates';
import { startTestDatabase, type TestDatabase } from '../db/testing';
import { signDetached, verifyAndExtract } from './cms-verify';
import { exportOwnProviderLdif, importProviderIndex } from './provider-index-store';

const dir = mkdtempSync(path.join(os.tmpdir(), 'pec-index-'));
const file = (name: string): string => path.join(dir, name);
let db: TestDatabase;

const alfa = issueProviderCertificate({ email: 'posta-certificata@pec.alfa.test', providerName: 'Alfa PEC' });
const beta = issueProviderCertificate({ email: 'posta-certificata@pec.beta.test', providerName: 'Beta PEC' });
const record = (c: typeof alfa, domains: string[]) => ({
  providerName: c.providerName,
  certificates: [c.certDer],
  mailReceipt: c.email,
  managedDomains: domains,
});
const fullIndex = formatProviderLdif([record(alfa, ['pec.alfa.test', 'alfa-pec.test']), record(beta, ['pec.beta.test'])]);
const smallIndex = formatProviderLdif([record(beta, ['pec.beta.test', 'beta2.test'])]);

function script(name: string, ...args: string[]) {
  const env = { ...process.env, DATABASE_URL: db.url, PEC_DATA_DIR: db.dir, PEC_MAIL_DOMAIN: 'pec.ops.test', PEC_PROVIDER_NAME: 'Ops PEC' };
  return spawnSync(process.execPath, ['--import', 'tsx', path.join('scripts', name), ...args], { env, encoding: 'utf8' });
}

const summary = async () =>
  (await db.prisma.trustedProvider.findMany({ include: { domains: true, certificates: true }, orderBy: { providerName: 'asc' } })).map((p) => [
    p.providerName,
    p.source,
    p.domains.map((d) => d.domain).sort(),
    p.certificates.map((c) => c.sha1),
  ]);

before(async () => {
  db = await startTestDatabase({ env: { ...process.env, PEC_MAIL_DOMAIN: 'pec.ops.test', PEC_PROVIDER_NAME: 'Ops PEC' } });
  // the index signer: a provider certificate from the shared test CA
  writeFileSync(file('signer.pem'), alfa.certPem);
  writeFileSync(file('chain.pem'), alfa.chainPem);
  writeFileSync(file('signer.key'), alfa.keyPem);
  writeFileSync(file('ca.pem'), alfa.caPem);
  writeFileSync(file('other-ca.pem'), createTestCa('Other').rootPem);
  writeFileSync(file('index.ldif'), fullIndex);
  writeFileSync(file('small.ldif'), smallIndex);
  await signDetached(file('index.ldif'), { cert: file('signer.pem'), key: file('signer.key'), chain: file('chain.pem') }, file('index.ldif.p7s'));
});
after(async () => {
  await db?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('index:import', () => {
  test('imports a signed LDIF; a tampered file or an untrusted anchor changes nothing', async () => {
    const ok = script('provider-index-import.ts', file('index.ldif'), '--signature', file('index.ldif.p7s'), '--ca', file('ca.pem'));
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /signature .* verified/);
    assert.match(ok.stdout, /imported 2 providers, 3 domains, 2 certificates \(replaced 0\)/);
    const before = await summary();
    assert.deepEqual(before, [
      ['Alfa PEC', 'LDIF', ['alfa-pec.test', 'pec.alfa.test'], [parseProviderLdif(fullIndex).index.providers[0].certificateHashes[0]]],
      ['Beta PEC', 'LDIF', ['pec.beta.test'], [parseProviderLdif(fullIndex).index.providers[1].certificateHashes[0]]],
    ]);
    writeFileSync(file('tampered.ldif'), fullIndex.replace('pec.beta.test', 'pec.evil.test'));
    const tampered = script('provider-index-import.ts', file('tampered.ldif'), '--signature', file('index.ldif.p7s'), '--ca', file('ca.pem'));
    assert.equal(tampered.status, 1);
    assert.match(tampered.stderr, /\[index\] error: signature verification failed/);
    const untrusted = script('provider-index-import.ts', file('index.ldif'), '--signature', file('index.ldif.p7s'), '--ca', file('other-ca.pem'));
    assert.equal(untrusted.status, 1);
    assert.match(untrusted.stderr, /signature verification failed/);
    assert.deepEqual(await summary(), before);
  });

  test('a refresh replaces the LDIF providers atomically and keeps our own and manual entries', async () => {
    await db.prisma.trustedProvider.create({
      data: { providerName: 'Ops PEC', mailReceipt: 'posta-certificata@pec.ops.test', source: 'MANUAL', isSelf: true, domains: { create: [{ domain: 'pec.ops.test' }] } },
    });
    const r = await importProviderIndex(db.prisma, smallIndex);
    assert.equal(r.replaced, 2);
    assert.deepEqual((await summary()).map((s) => [s[0], s[1], s[2]]), [
      ['Beta PEC', 'LDIF', ['beta2.test', 'pec.beta.test']],
      ['Ops PEC', 'MANUAL', ['pec.ops.test']],
    ]);
    await assert.rejects(importProviderIndex(db.prisma, 'version: 1\n\ndn: o=postacert\n'), /No usable provider entry/);
    assert.equal(await db.prisma.trustedProvider.count(), 2);
  });

  test('an encapsulated signed .p7m is verified and unpacked', () => {
    const p7m = file('index.ldif.p7m');
    const signed = spawnSync('openssl', ['cms', '-sign', '-binary', '-nodetach', '-in', file('index.ldif'), '-signer', file('signer.pem'), '-certfile', file('chain.pem'), '-inkey', file('signer.key'), '-outform', 'DER', '-out', p7m]);
    assert.equal(signed.status, 0, signed.stderr?.toString());
    const ok = script('provider-index-import.ts', p7m, '--ca', file('ca.pem'));
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /imported 2 providers/);
    const noCa = script('provider-index-import.ts', p7m);
    assert.equal(noCa.status, 1);
    assert.match(noCa.stderr, /give --ca/);
  });
});

describe('index:export', () => {
  test('publishes the active and the overlapping certificate, our name, service address and verified domains', async () => {
    const opts = { dataDir: db.dir, serviceAddress: 'posta-certificata@pec.ops.test', providerName: 'Ops PEC' };
    await assert.rejects(exportOwnProviderLdif(db.prisma, db.config), /No signing certificate/);
    const first = await importSigningCertificate(db.prisma, (await createTestSigningCertificate({ ...opts, validDays: 30 })).material, opts);
    const second = (await rotateSigningCertificate(db.prisma, (await createTestSigningCertificate(opts)).material, opts)).activated;
    const org = await db.prisma.organization.create({ data: { kind: 'COMPANY', name: 'Rossi' } });
    await db.prisma.domain.create({ data: { name: 'pec.rossi.test', kind: 'COMPANY', organizationId: org.id, verificationState: 'VERIFIED' } });
    await db.prisma.domain.create({ data: { name: 'pending.rossi.test', kind: 'COMPANY', organizationId: org.id } });
    const out = script('provider-index-export.ts');
    assert.equal(out.status, 0, out.stderr);
    const parsed = parseProviderLdif(out.stdout);
    assert.deepEqual(parsed.problems, []);
    const [p] = parsed.index.providers;
    assert.equal(p.providerName, 'Ops PEC');
    assert.equal(p.mailReceipt, 'posta-certificata@pec.ops.test');
    assert.deepEqual(p.managedDomains, ['pec.ops.test', 'pec.rossi.test']);
    assert.deepEqual([...p.certificateHashes].sort(), [first.sha1, second.sha1].sort());
    // the signed record for publication verifies against the test CA and carries the same LDIF
    const signed = script('provider-index-export.ts', '--p7m', file('own.ldif.p7m'), '--out', file('own.ldif'));
    assert.equal(signed.status, 0, signed.stderr);
    const extracted = await verifyAndExtract(file('own.ldif.p7m'), path.join(db.dir, 'pki', 'test-ca-root.pem'));
    assert.equal(extracted.toString('utf8'), readFileSync(file('own.ldif'), 'utf8'));
    await assert.rejects(verifyAndExtract(file('own.ldif.p7m'), file('other-ca.pem')), /signature verification failed/);
    // once the old certificate has expired it leaves the record
    const later = await exportOwnProviderLdif(db.prisma, db.config, { now: new Date(first.notAfter.getTime() + 1) });
    assert.deepEqual(parseProviderLdif(later).index.providers[0].certificateHashes, [second.sha1]);
  });
});
