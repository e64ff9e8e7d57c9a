import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { createSigner } from './smime-sign';
import { issueProviderCertificate, testCa } from './testing/test-pki';

const dir = mkdtempSync(path.join(tmpdir(), 'smime-sign-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const email = 'posta-certificata@pec.alfa.test';

async function signedMessage(keyType: 'rsa' | 'ecdsa', entity: Buffer): Promise<string> {
  const cert = issueProviderCertificate({ email, providerName: 'Alfa PEC S.p.A.', keyType });
  const signer = createSigner(cert);
  assert.equal(signer.email, email);
  const s = await signer.signEntity([entity], new Date('2024-06-01T10:00:00Z'));
  assert.match(s.contentType, /^multipart\/signed; protocol="application\/pkcs7-signature"; micalg=sha-256; boundary="[^"]+"$/);
  const file = path.join(dir, `${keyType}.eml`);
  writeFileSync(file, Buffer.concat([Buffer.from(`From: ${email}\r\nMIME-Version: 1.0\r\nContent-Type: ${s.contentType}\r\n\r\n`), ...s.body]));
  return file;
}

const entity = Buffer.from(
  'Content-Type: text/plain; charset="iso-8859-1"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nPerch=E9 firmare?\r\nRiga due.\r\n',
);

test('RSA and ECDSA signatures verify with openssl smime and cms against the test CA, chain included', async () => {
  const ca = path.join(dir, 'ca.pem');
  writeFileSync(ca, testCa().rootPem);
  for (const keyType of ['rsa', 'ecdsa'] as const) {
    const file = await signedMessage(keyType, entity);
    const out = path.join(dir, `${keyType}.out`);
    // The CA file holds only the root: the issuing CA must come from the signature itself.
    const smime = spawnSync('openssl', ['smime', '-verify', '-CAfile', ca, '-in', file, '-out', out], { encoding: 'utf8' });
    assert.equal(smime.status, 0, smime.stderr);
    assert.equal(readFileSync(out, 'latin1'), entity.toString('latin1'));
    const cms = spawnSync('openssl', ['cms', '-verify', '-CAfile', ca, '-in', file, '-out', '/dev/null'], { encoding: 'utf8' });
    assert.equal(cms.status, 0, cms.stderr);
    const print = spawnSync('openssl', ['cms', '-cmsout', '-print', '-in', file], { encoding: 'utf8' }).stdout;
    for (const attr of ['contentType', 'signingTime', 'messageDigest', 'S/MIME Capabilities']) assert.ok(print.includes(attr), attr);
    assert.match(print, /digestAlgorithm:\s+algorithm: sha256/);
    assert.equal((print.match(/^\s+d\.certificate:/gm) ?? []).length, 2, 'signer certificate and issuing CA');
    assert.match(print, keyType === 'rsa' ? /algorithm: rsaEncryption/ : /algorithm: ecdsa-with-SHA256/);
    assert.match(print, /eContent: <ABSENT>/);
  }
});

test('a modified byte breaks the signature', async () => {
  const file = await signedMessage('rsa', entity);
  const text = readFileSync(file, 'latin1').replace('Riga due.', 'Riga DUE.');
  writeFileSync(file, text, 'latin1');
  const r = spawnSync('openssl', ['smime', '-verify', '-noverify', '-in', file, '-out', '/dev/null'], { encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /digest failure|bad signature|verification failure/i);
});

test('createSigner rejects a key that does not match the certificate', () => {
  const a = issueProviderCertificate({ email, providerName: 'A' });
  const b = issueProviderCertificate({ email, providerName: 'B', keyType: 'ecdsa' });
  assert.throws(() => createSigner({ keyPem: b.keyPem, certPem: a.certPem }), /does not match/);
  assert.throws(() => createSigner({ keyPem: a.keyPem, certPem: 'nothing' }), /no certificate/);
});

test('signDetached hashes chunked content the same as contiguous content', async () => {
  const signer = createSigner(issueProviderCertificate({ email, providerName: 'A', keyType: 'ecdsa' }));
  const when = new Date('2024-06-01T10:00:00Z');
  const p7a = await signer.signDetached([entity.subarray(0, 10), entity.subarray(10)], when);
  const p7b = await signer.signDetached(entity, when);
  // messageDigest attribute: OID, then SET { OCTET STRING (32) }.
  const digestOf = (p7: Buffer): Buffer => {
    const at = p7.indexOf(Buffer.from('06092a864886f70d010904', 'hex'));
    assert.ok(at > 0);
    return p7.subarray(at + 11 + 4, at + 11 + 4 + 32);
  };
  const expected = createHash('sha256').update(entity).digest();
  assert.deepEqual(digestOf(p7a), expected);
  assert.deepEqual(digestOf(p7b), expected);
});

test('signatures are made off the event loop: callbacks run while a batch of them is under way', async () => {
  const signer = createSigner(issueProviderCertificate({ email, providerName: 'A' }));
  const when = new Date('2024-06-01T10:00:00Z');
  let done = 0;
  const batch = Array.from({ length: 40 }, () => signer.signDetached(entity, when).then((p7) => (done++, p7)));
  // Signed on the JavaScript thread, all 40 would be finished before this callback could run.
  const doneWhenLoopTurned = await new Promise<number>((resolve) => setImmediate(() => resolve(done)));
  const signatures = await Promise.all(batch);
  assert.ok(doneWhenLoopTurned < 40, `${doneWhenLoopTurned} of 40 were done when the event loop turned`);
  assert.equal(done, 40);
  // same content, same time: RSA PKCS#1 v1.5 is deterministic, so all 40 are the same bytes
  for (const p7 of signatures) assert.deepEqual(p7, signatures[0]);
});
