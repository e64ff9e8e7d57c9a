import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { createTestCa, issueProviderCertificate, testCa } from './test-pki';

const dir = mkdtempSync(path.join(tmpdir(), 'test-pki-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

function opensslVerify(caPem: string, chainPem: string, certPem: string, name: string): { ok: boolean; out: string } {
  const r = spawnSync(
    'openssl',
    ['verify', '-purpose', 'smimesign', '-CAfile', write(`${name}-ca.pem`, caPem), '-untrusted', write(`${name}-chain.pem`, chainPem), write(`${name}.pem`, certPem)],
    { encoding: 'utf8' },
  );
  return { ok: r.status === 0, out: r.stdout + r.stderr };
}

const email = 'posta-certificata@pec.alfa.test';
const providerName = 'Alfa PEC S.p.A.';

test('RSA and ECDSA provider certificates chain to the test CA with the PEC S/MIME profile', () => {
  for (const keyType of ['rsa', 'ecdsa'] as const) {
    const c = issueProviderCertificate({ email, providerName, keyType });
    assert.equal(c.caPem, testCa().rootPem);
    const v = opensslVerify(c.caPem, c.chainPem, c.certPem, keyType);
    assert.ok(v.ok, v.out);
    const x = new X509Certificate(c.certPem);
    assert.equal(x.subjectAltName, `email:${email}`);
    assert.match(x.subject, /CN=Alfa PEC S\.p\.A\./);
    assert.match(x.subject, /O=Alfa PEC S\.p\.A\./);
    assert.equal(x.publicKey.asymmetricKeyType, keyType === 'rsa' ? 'rsa' : 'ec');
    assert.ok(x.checkPrivateKey(createPrivateKey(c.keyPem)));
    assert.equal(createHash('sha1').update(c.certDer).digest('hex'), x.fingerprint.replace(/:/g, '').toLowerCase());
    const text = spawnSync('openssl', ['x509', '-noout', '-text', '-in', write(`${keyType}-text.pem`, c.certPem)], { encoding: 'utf8' }).stdout;
    assert.match(text, /Key Usage: critical\s+Digital Signature, Non Repudiation/);
    assert.match(text, /Extended Key Usage:\s+E-mail Protection/);
    assert.match(text, /Subject Key Identifier/);
    assert.match(text, /Authority Key Identifier/);
    assert.doesNotMatch(text, /Basic Constraints/);
  }
});

test('validity window options give expired and not-yet-valid certificates', () => {
  const now = Date.now();
  const expired = issueProviderCertificate({ email, providerName, notBefore: new Date(now - 10 * 864e5), notAfter: new Date(now - 864e5) });
  const future = issueProviderCertificate({ email, providerName, notBefore: new Date(now + 864e5), notAfter: new Date(now + 10 * 864e5) });
  const e = opensslVerify(expired.caPem, expired.chainPem, expired.certPem, 'expired');
  assert.equal(e.ok, false);
  assert.match(e.out, /expired/);
  const f = opensslVerify(future.caPem, future.chainPem, future.certPem, 'future');
  assert.equal(f.ok, false);
  assert.match(f.out, /not yet valid/);
});

test('a different CA is not trusted by the shared one', () => {
  const other = createTestCa('Other CA');
  const c = issueProviderCertificate({ email, providerName, ca: other });
  assert.ok(opensslVerify(other.rootPem, c.chainPem, c.certPem, 'other-own').ok);
  assert.equal(opensslVerify(testCa().rootPem, c.chainPem, c.certPem, 'other-shared').ok, false);
});
