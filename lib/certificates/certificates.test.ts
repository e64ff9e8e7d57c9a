import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createSigner } from '../../mail/pec';
import { startTestDatabase, type TestDatabase } from '../db/testing';
import {
  activeSigningMaterial,
  CertificateCheckError,
  checkSigningCertificate,
  importSigningCertificate,
  loadSigningMaterial,
  Pkcs12Error,
  publishedSigningCertificates,
  readPkcs12,
  rotateSigningCertificate,
  type SigningMaterial,
} from '.';

const service = 'posta-certificata@pec.ops.test';
const dir = mkdtempSync(path.join(os.tmpdir(), 'pec-certs-'));
const file = (name: string): string => path.join(dir, name);
const openssl = (...args: string[]): string => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }).toString();

/** A leaf issued by the openssl CA in `dir` with the given extension lines. */
function issue(name: string, ext: string[]): SigningMaterial {
  writeFileSync(file(`${name}.ext`), `${ext.join('\n')}\n`);
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', '/C=IT/O=Ops Test PEC/CN=Ops Test PEC');
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '30', '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.pem`);
  return { certPem: readFileSync(file(`${name}.pem`), 'utf8'), keyPem: readFileSync(file(`${name}.key`), 'utf8'), chainPem: readFileSync(file('ca.pem'), 'utf8') };
}

const pecProfile = (email: string): string[] => [
  'keyUsage=critical,digitalSignature,nonRepudiation',
  'extendedKeyUsage=emailProtection',
  `subjectAltName=email:${email}`,
  'subjectKeyIdentifier=hash',
  'authorityKeyIdentifier=keyid',
];

let good: SigningMaterial;
let good2: SigningMaterial;

before(() => {
  writeFileSync(file('ca.ext'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n');
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '60', '-subj', '/C=IT/O=Ops Test CA/CN=Ops Test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature', '-addext', `subjectAltName=email:${service}`);
  good = issue('good', pecProfile(service));
  good2 = issue('good2', pecProfile(service));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function problem(material: SigningMaterial, now?: Date): string {
  try {
    checkSigningCertificate(material, { serviceAddress: service, now });
  } catch (err) {
    assert.ok(err instanceof CertificateCheckError, String(err));
    return err.code;
  }
  return 'none';
}

describe('checkSigningCertificate (openssl-made certificates)', () => {
  test('accepts a certificate with the PEC profile and describes it', () => {
    const c = checkSigningCertificate(good, { serviceAddress: service.toUpperCase() });
    assert.equal(c.sha1, openssl('x509', '-in', 'good.pem', '-noout', '-fingerprint', '-sha1').split('=')[1].trim().replace(/:/g, '').toLowerCase());
    assert.deepEqual(c.emails, [service]);
    assert.match(c.subject, /CN=Ops Test PEC/);
  });

  test('each failure has its own code', () => {
    assert.equal(problem({ ...good, keyPem: good2.keyPem }), 'key-mismatch');
    assert.equal(problem(issue('other-mail', pecProfile('someone@else.test'))), 'email-mismatch');
    assert.equal(problem(good, new Date(Date.now() + 40 * 86_400_000)), 'expired');
    assert.equal(problem(good, new Date(Date.now() - 86_400_000)), 'not-yet-valid');
    assert.equal(problem({ certPem: readFileSync(file('ca.pem'), 'utf8'), keyPem: readFileSync(file('ca.key'), 'utf8') }), 'is-ca');
    assert.equal(problem(issue('no-ds', ['keyUsage=critical,keyEncipherment', `subjectAltName=email:${service}`])), 'no-digital-signature');
    assert.equal(problem(issue('no-ku', [`subjectAltName=email:${service}`])), 'no-digital-signature');
    assert.equal(problem({ ...good, certPem: 'garbage' }), 'unreadable-certificate');
    assert.equal(problem({ ...good, keyPem: 'garbage' }), 'unreadable-key');
  });
});

describe('PKCS#12 (openssl pkcs12 -export)', () => {
  test('reads certificate, key and chain with the password; wrong password is refused', async () => {
    writeFileSync(file('pass.txt'), 'S3gr3t0 pass\n');
    openssl('pkcs12', '-export', '-in', 'good.pem', '-inkey', 'good.key', '-certfile', 'ca.pem', '-out', 'good.p12', '-passout', 'file:pass.txt');
    const m = await loadSigningMaterial({ p12: file('good.p12'), passwordFile: file('pass.txt') });
    assert.equal(checkSigningCertificate(m, { serviceAddress: service }).sha1, checkSigningCertificate(good, { serviceAddress: service }).sha1);
    assert.match(m.chainPem ?? '', /BEGIN CERTIFICATE/);
    assert.equal(m.chainPem?.replace(/\s+/g, ''), readFileSync(file('ca.pem'), 'utf8').replace(/\s+/g, ''));
    assert.throws(() => readPkcs12(readFileSync(file('good.p12')), 'wrong'), Pkcs12Error);
  });

  test('an ECDSA bundle (not decodable by forge as objects) still reads', () => {
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ec.key', '-out', 'ec.csr', '-subj', '/O=Ops Test PEC/CN=Ops Test PEC');
    writeFileSync(file('ec.ext'), `${pecProfile(service).join('\n')}\n`);
    openssl('x509', '-req', '-in', 'ec.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '30', '-extfile', 'ec.ext', '-out', 'ec.pem');
    openssl('pkcs12', '-export', '-in', 'ec.pem', '-inkey', 'ec.key', '-out', 'ec.p12', '-passout', 'pass:x');
    const m = readPkcs12(readFileSync(file('ec.p12')), 'x');
    assert.equal(checkSigningCertificate(m, { serviceAddress: service }).emails[0], service);
  });
});

describe('storage and rotation (real database)', () => {
  let db: TestDatabase;
  before(async () => {
    db = await startTestDatabase({ env: { ...process.env, PEC_MAIL_DOMAIN: 'pec.ops.test' } });
  });
  after(async () => db?.stop());

  test('import, refuse a second import, rotate with overlap, stop publishing after expiry', async () => {
    const opts = { serviceAddress: service };
    const first = await importSigningCertificate(db.prisma, good, opts);
    await assert.rejects(importSigningCertificate(db.prisma, good2, opts), /already active.*cert:rotate/);
    await assert.rejects(rotateSigningCertificate(db.prisma, { ...good2, keyPem: good.keyPem }, opts), CertificateCheckError);
    const { activated, retired } = await rotateSigningCertificate(db.prisma, good2, opts);
    assert.equal(retired?.id, first.id);
    assert.equal(retired?.overlapUntil?.getTime(), first.notAfter.getTime());
    assert.equal(await db.prisma.providerCertificate.count({ where: { active: true } }), 1);
    const active = await activeSigningMaterial(db.prisma);
    assert.equal(active?.certPem, good2.certPem);
    assert.equal(createSigner({ keyPem: active.keyPem, certPem: active.certPem, chainPem: active.chainPem }).email, service);
    const published = await publishedSigningCertificates(db.prisma);
    assert.deepEqual(published.map((p) => [p.sha1, p.active]).sort(), [[first.sha1, false], [activated.sha1, true]].sort());
    const later = new Date(first.notAfter.getTime() + 1000);
    assert.deepEqual((await publishedSigningCertificates(db.prisma, later)).map((p) => p.sha1).filter((s) => s === first.sha1), []);
    await assert.rejects(rotateSigningCertificate(db.prisma, good2, opts), /already stored/);
  });

  test('cert:test-ca writes the PKI and rotates; cert:import fails clearly on a bad key', () => {
    const env = { ...process.env, DATABASE_URL: db.url, PEC_DATA_DIR: db.dir, PEC_MAIL_DOMAIN: 'pec.ops.test' };
    const run = (script: string, ...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', path.join('scripts', script), ...args], { env, encoding: 'utf8' });
    const made = run('cert-test-ca.ts');
    assert.equal(made.status, 0, made.stderr);
    assert.match(made.stdout, /is active; the previous one stays published/);
    assert.ok(existsSync(path.join(db.dir, 'pki', 'signing-key.pem')));
    assert.ok(existsSync(path.join(db.dir, 'pki', 'test-ca-root.pem')));
    const bad = run('cert-import.ts', '--cert', file('good.pem'), '--key', file('good2.key'));
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /\[cert\] error: The private key does not belong to the certificate/);
  });
});
