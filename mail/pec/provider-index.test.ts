import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { readCertificate } from './cms/certificate';
import {
  formatProviderLdif,
  parseDn,
  parseProviderLdif,
  providerIndexFromCertificates,
} from './provider-index';
import { issueProviderCertificate } from './testing/test-pki';
import { readTrustMaterial } from './trust-store';

const aruba = issueProviderCertificate({
  providerName: 'ARUBA PEC S.p.A.',
  email: 'posta-certificata@pec.aruba.test',
});
const arubaOld = issueProviderCertificate({
  providerName: 'ARUBA PEC S.p.A.',
  email: 'posta-certificata@pec.aruba.test',
});
const sogei = issueProviderCertificate({
  providerName: 'Sogei S.p.A.',
  email: 'posta-certificata@pcert.sogei.test',
  keyType: 'ecdsa',
});
const societa = issueProviderCertificate({
  providerName: 'Società PEC',
  email: 'posta-certificata@pec.societa.test',
});

const sha1 = (der: Buffer): string => readCertificate(der).sha1;
/** RFC 2849 folding by hand: 76 columns, continuation lines start with a space. */
const folded = (line: string): string => line.replace(/(.{76})(?=.)/g, '$1\n ');
const colonHex = (hex: string): string => hex.toUpperCase().replace(/(..)(?=.)/g, '$1:');

// A hand-written export in the shape of the official directory: comments, the o=postacert root
// with the directory URL, a provider with two certificates (rollover) and a secondary environment,
// hashes in upper case with colons, a PEM-ish certificate value, a base64 DN, CRLF line ends.
const fixture = [
  '# IGPEC export (test fixture)',
  '# a folded comment line',
  '  that continues here',
  'version: 1',
  '',
  'dn: o=postacert',
  'objectClass: top',
  'objectClass: organization',
  'objectClass: LDIFLocationURLObject',
  'o: postacert',
  'LDIFLocationURL: https://igpec.example.test/igpec.ldif.p7m',
  '',
  'dn: providerName=ARUBA PEC S.p.A.,o=postacert',
  'objectClass: top',
  'objectClass: provider',
  'providerName: ARUBA PEC S.p.A.',
  `providerCertificateHash: ${colonHex(sha1(aruba.certDer))}`,
  `providerCertificateHash: ${sha1(arubaOld.certDer).toUpperCase()}`,
  folded(`providerCertificate;binary:: ${aruba.certDer.toString('base64')}`),
  folded(`providerCertificate;binary:: ${Buffer.from(arubaOld.certPem).toString('base64')}`),
  'mailReceipt: posta-certificata@pec.aruba.test',
  'managedDomains: pec.aruba.test',
  'managedDomains: PEC.Cliente.TEST',
  'LDIFLocationURL: https://pec.aruba.test/igpec/aruba.ldif.p7m',
  '',
  'dn: providerUnit=Ambiente secondario,providerName=ARUBA PEC S.p.A.,o=postacert',
  'objectClass: provider',
  'providerName: ARUBA PEC S.p.A.',
  'providerUnit: Ambiente secondario',
  `providerCertificateHash: ${sha1(sogei.certDer)}`,
  '# the unit reuses nothing of the main entry; this comment sits inside the record',
  folded(`providerCertificate: ${sogei.certDer.toString('base64')}`),
  'mailReceipt: ricevute@pec2.aruba.test',
  'managedDomains: pec2.aruba.test',
  '',
  `dn:: ${Buffer.from('providerName=Società PEC,o=postacert').toString('base64')}`,
  'objectClass: provider',
  `providerName:: ${Buffer.from('Società PEC').toString('base64')}`,
  `providerCertificateHash: ${sha1(societa.certDer)}`,
  folded(`providerCertificate;binary:: ${societa.certDer.toString('base64')}`),
  'mailReceipt: posta-certificata@pec.societa.test',
  'managedDomains: pec.societa.test',
  '',
  'dn: providerName=Dismesso,o=postacert',
  'changetype: delete',
  '',
].join('\r\n');

describe('provider index LDIF', () => {
  const parsed = parseProviderLdif(fixture);
  const { index } = parsed;

  test('reads every provider entry with its attributes', () => {
    assert.deepEqual(parsed.problems, [
      'entry "providerName=Dismesso,o=postacert": changetype delete ignored',
    ]);
    assert.equal(parsed.directoryLocationUrl, 'https://igpec.example.test/igpec.ldif.p7m');
    assert.equal(index.providers.length, 3);
    const [main, unit, societaRecord] = index.providers;
    assert.equal(main.providerName, 'ARUBA PEC S.p.A.');
    assert.equal(main.providerUnit, null);
    assert.equal(main.certificates.length, 2);
    assert.ok(main.certificates[1].equals(arubaOld.certDer), 'PEM text inside a base64 value');
    assert.deepEqual(main.managedDomains, ['pec.aruba.test', 'pec.cliente.test']);
    assert.equal(main.mailReceipt, 'posta-certificata@pec.aruba.test');
    assert.equal(main.ldifLocationUrl, 'https://pec.aruba.test/igpec/aruba.ldif.p7m');
    assert.equal(unit.providerUnit, 'Ambiente secondario');
    assert.ok(unit.certificates[0].equals(sogei.certDer), 'bare base64 under a single colon');
    assert.equal(societaRecord.providerName, 'Società PEC');
    assert.equal(societaRecord.dn, 'providerName=Società PEC,o=postacert');
  });

  test('looks providers up by certificate SHA-1 in any spelling and by domain', () => {
    const hash = sha1(aruba.certDer);
    for (const spelling of [hash, hash.toUpperCase(), colonHex(hash), ` ${colonHex(hash).toLowerCase()} `]) {
      assert.equal(index.byCertificateHash(spelling)?.providerName, 'ARUBA PEC S.p.A.', spelling);
    }
    assert.equal(
      index.byCertificateHash(sha1(arubaOld.certDer))?.dn,
      'providerName=ARUBA PEC S.p.A.,o=postacert',
    );
    assert.equal(index.byCertificateHash(sha1(sogei.certDer))?.providerUnit, 'Ambiente secondario');
    assert.equal(index.byCertificateHash('00'.repeat(20)), undefined);
    assert.equal(index.byDomain('PEC.ARUBA.TEST.')?.providerName, 'ARUBA PEC S.p.A.');
    assert.equal(index.byDomain('pec.cliente.test')?.providerName, 'ARUBA PEC S.p.A.');
    assert.equal(index.byDomain('pec2.aruba.test')?.providerUnit, 'Ambiente secondario');
    assert.equal(index.byDomain('sub.pec.aruba.test'), undefined, 'managedDomains are exact domains');
    assert.equal(index.byDomain('gmail.com'), undefined);
    assert.equal(index.certificates().length, 4);
  });

  test('reports damaged entries without throwing', () => {
    const damaged = [
      'dn: providerName=Rotto,o=postacert',
      'providerName: Rotto',
      'providerCertificate;binary:: AAAA',
      `providerCertificateHash: ${sha1(aruba.certDer)}`,
      'this line is not an attribute',
      '',
      'objectClass: top',
    ].join('\n');
    const r = parseProviderLdif(damaged);
    assert.equal(r.index.providers.length, 1);
    assert.ok(
      r.problems.some((p) => p.includes('not a certificate')),
      r.problems.join('; '),
    );
    assert.ok(r.problems.some((p) => p.includes('missing mailReceipt')));
    assert.ok(r.problems.some((p) => p.includes('missing managedDomains')));
    assert.ok(r.problems.some((p) => p.includes('unreadable line')));
    assert.ok(r.problems.some((p) => p.includes('does not start with dn:')));
    assert.deepEqual(parseProviderLdif(Buffer.from([0xff, 0xfe, 0x00, 0x0a])).index.providers, []);
  });

  test('DNs with escapes', () => {
    assert.deepEqual(parseDn('providerName=Foo\\, Bar S.p.A.,o=postacert'), [
      ['providername', 'Foo, Bar S.p.A.'],
      ['o', 'postacert'],
    ]);
    assert.deepEqual(parseDn('providerName=Societ\\C3\\A0,o=postacert')[0], ['providername', 'Società']);
  });
});

describe('provider index writer', () => {
  test('formatProviderLdif round-trips through the reader, folded at 76 columns', () => {
    const text = formatProviderLdif([
      {
        providerName: 'Società, PEC S.p.A.',
        certificates: [societa.certDer, aruba.certPem],
        mailReceipt: 'posta-certificata@pec.societa.test',
        managedDomains: ['pec.societa.test', 'pec.altro.test'],
        ldifLocationUrl: 'https://pec.societa.test/igpec.ldif.p7m',
        description: 'Gestore di prova',
      },
      {
        providerName: 'Società, PEC S.p.A.',
        providerUnit: 'DR',
        certificates: [sogei.certDer],
        mailReceipt: 'dr@pec.societa.test',
        managedDomains: ['dr.societa.test'],
      },
    ]);
    for (const line of text.split('\n')) assert.ok(line.length <= 76, line);
    assert.match(text, /^version: 1\n\ndn:: /);
    const { index, problems } = parseProviderLdif(text);
    assert.deepEqual(problems, []);
    const [main, dr] = index.providers;
    assert.equal(main.providerName, 'Società, PEC S.p.A.');
    assert.equal(main.description, 'Gestore di prova');
    assert.ok(main.certificates[0].equals(societa.certDer));
    assert.ok(main.certificates[1].equals(aruba.certDer));
    assert.deepEqual(main.certificateHashes, [sha1(societa.certDer), sha1(aruba.certDer)]);
    assert.deepEqual(main.managedDomains, ['pec.societa.test', 'pec.altro.test']);
    assert.equal(main.ldifLocationUrl, 'https://pec.societa.test/igpec.ldif.p7m');
    assert.equal(dr.providerUnit, 'DR');
    assert.equal(dr.ldifLocationUrl, null, 'LDIFLocationURL is not allowed on secondary environments');
    assert.match(dr.dn, /^providerUnit=DR,providerName=Società\\, PEC S\.p\.A\.,o=postacert$/);
    assert.equal(index.byDomain('dr.societa.test'), dr);
  });

  test('an index made from PEM certificates and trust material detection', () => {
    const index = providerIndexFromCertificates([aruba.certDer, sogei.certDer]);
    assert.equal(index.byDomain('pec.aruba.test')?.providerName, 'ARUBA PEC S.p.A.');
    assert.equal(
      index.byCertificateHash(sha1(sogei.certDer))?.mailReceipt,
      'posta-certificata@pcert.sogei.test',
    );
    assert.equal(readTrustMaterial(Buffer.from(fixture)).format, 'ldif');
    assert.equal(readTrustMaterial(Buffer.from(aruba.certPem + sogei.certPem)).store.anchors.length, 2);
    assert.equal(readTrustMaterial(aruba.certDer).format, 'der-certificate');
    assert.throws(() => readTrustMaterial(Buffer.from('hello')), /not a PEM/);
  });
});

describe('signed index LDIF (igpec.ldif.p7m)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'signed-ldif-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, data: string | Buffer): string => {
    writeFileSync(path.join(dir, name), data);
    return path.join(dir, name);
  };

  test('openssl-signed DER CMS wrapping the LDIF is read; a damaged one is refused', () => {
    const out = path.join(dir, 'igpec.ldif.p7m');
    const r = spawnSync('openssl', [
      'cms',
      '-sign',
      '-nodetach',
      '-binary',
      '-outform',
      'DER',
      '-in',
      file('igpec.ldif', fixture),
      '-signer',
      file('cert.pem', aruba.certPem),
      '-inkey',
      file('key.pem', aruba.keyPem),
      '-out',
      out,
    ]);
    assert.equal(r.status, 0, r.stderr.toString());
    const signed = readFileSync(out);
    const material = readTrustMaterial(signed);
    assert.equal(material.format, 'signed-ldif');
    assert.equal(material.store.index?.providers.length, 3);
    assert.match(material.problems[0], /signed by .*ARUBA PEC/);
    const damaged = Buffer.from(signed);
    const at = damaged.indexOf('pec.aruba.test');
    damaged[at] = 0x50;
    assert.throws(() => readTrustMaterial(damaged), /signature not intact \(digest-mismatch/);
  });
});
