import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readCertificate } from './cms/certificate';
import { readMime } from './mime';
import { formatProviderLdif, parseProviderLdif } from './provider-index';
import { createSigner, type Signer } from './smime-sign';
import {
  crlfCanonical,
  verifySignedMessage,
  type SignatureVerdict,
  type VerifyOptions,
} from './smime-verify';
import { readFixtures, type ReadFixtures } from './testing/inspect-fixtures';
import { createTestCa, issueProviderCertificate, pemToDer, testCa } from './testing/test-pki';
import { createTrustStore, readTrustMaterial, type TrustStore } from './trust-store';

const dir = mkdtempSync(path.join(tmpdir(), 'smime-verify-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, data: string | Buffer): string {
  const file = path.join(dir, name);
  writeFileSync(file, data);
  return file;
}

function verify(raw: Buffer, opts: VerifyOptions = {}): SignatureVerdict {
  return verifySignedMessage(readMime(raw).root, opts).verdict;
}

function opensslIntact(raw: Buffer): boolean {
  const file = write(`openssl-${Math.random().toString(36).slice(2)}.eml`, raw);
  return (
    spawnSync('openssl', ['smime', '-verify', '-noverify', '-in', file, '-out', '/dev/null'], {
      stdio: 'ignore',
    }).status === 0
  );
}

let fx: ReadFixtures;
let busta: Buffer;
let caTrust: TrustStore;
let indexTrust: TrustStore;
before(async () => {
  fx = await readFixtures();
  busta = fx.messages.get('busta-trasporto')!;
  caTrust = createTrustStore({ certificates: [pemToDer(fx.caPem)] });
  indexTrust = readTrustMaterial(Buffer.from(fx.indexLdif)).store;
});

/** A minimal signed system message from `signer`, From its service address. */
async function signedMessage(
  signer: Signer,
  signingTime: Date,
  from = signer.email ?? 'posta-certificata@pec.alfa.test',
): Promise<Buffer> {
  const entity = Buffer.from('Content-Type: text/plain; charset=us-ascii\r\n\r\nRicevuta di prova.\r\n');
  const signed = await signer.signEntity([entity], signingTime);
  const head = `From: ${from}\r\nTo: alice@pec.alfa.test\r\nSubject: ACCETTAZIONE: prova\r\nMIME-Version: 1.0\r\nContent-Type: ${signed.contentType}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head), ...signed.body]);
}

/** Signed-part byte range [start, end) inside the raw message. */
function signedRange(raw: Buffer): [number, number] {
  const first = readMime(raw).root.parts[0];
  const start = first.raw.byteOffset - raw.byteOffset;
  return [start, start + first.raw.length];
}

describe('intact signatures', () => {
  test('RSA and ECDSA messages from the builders verify, trusted by the CA and by the index', () => {
    for (const name of ['busta-trasporto', 'presa-in-carico']) {
      const raw = fx.messages.get(name)!;
      const plain = verify(raw);
      assert.equal(plain.present, true);
      assert.equal(plain.intact, true, `${name}: ${plain.detail}`);
      assert.equal(plain.trusted, null);
      assert.equal(plain.code, null);
      assert.equal(plain.digest, 'sha256');
      assert.ok(plain.signingTime);
      assert.equal(plain.canonicalized, false);
      const byCa = verify(raw, {
        trust: caTrust,
        senderDomain: name === 'busta-trasporto' ? 'pec.alfa.test' : 'pec.beta.test',
      });
      assert.equal(byCa.trusted, true, byCa.detail ?? '');
      const byIndex = verify(raw, {
        trust: indexTrust,
        senderDomain: name === 'busta-trasporto' ? 'pec.alfa.test' : 'pec.beta.test',
      });
      assert.equal(byIndex.trusted, true, byIndex.detail ?? '');
      assert.equal(byIndex.provider, name === 'busta-trasporto' ? 'Alfa PEC S.p.A.' : 'Beta PEC S.r.l.');
      assert.equal(opensslIntact(raw), true);
    }
  });

  test('an LF-only copy verifies over its CRLF-canonical form, like openssl', () => {
    const lf = Buffer.from(busta.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
    const v = verify(lf);
    assert.equal(v.intact, true, v.detail ?? '');
    assert.equal(v.canonicalized, true);
    assert.equal(opensslIntact(lf), true);
    assert.equal(crlfCanonical(busta), null, 'CRLF input needs no second pass');
    assert.deepEqual(crlfCanonical(Buffer.from('a\nb\r\r\nc')), Buffer.from('a\r\nb\r\nc'));
  });
});

describe('tampering', () => {
  test('one byte changed anywhere in the signed part is detected (several positions)', () => {
    const [start, end] = signedRange(busta);
    const text = busta.toString('latin1');
    const positions = [
      start, // first header byte of the signed entity
      text.indexOf('daticert.xml', start) + 2, // a part header
      text.indexOf('Buongiorno', start) + 3, // inside postacert.eml (quoted original)
      Math.floor((start + end) / 2),
      end - 1, // last signed byte
    ];
    for (const pos of positions) {
      assert.ok(pos >= start && pos < end, `position ${pos} inside [${start}, ${end})`);
      const copy = Buffer.from(busta);
      copy[pos] = copy[pos] === 0x41 ? 0x42 : 0x41;
      const v = verify(copy);
      assert.equal(v.present, true);
      assert.equal(v.intact, false, `byte ${pos} changed`);
      assert.ok(v.code === 'digest-mismatch' || v.code === 'bad-structure', `${pos}: ${v.code}`);
      assert.equal(opensslIntact(copy), false, `openssl agrees at ${pos}`);
    }
  });

  test('a changed signature value or signed attribute gives bad-signature', () => {
    const root = readMime(busta).root;
    const sigPart = root.parts[1];
    const der = Buffer.from(sigPart.body.toString('latin1').replace(/\s+/g, ''), 'base64');
    const bodyStart = sigPart.body.byteOffset - busta.byteOffset;
    const rebuild = (d: Buffer): Buffer =>
      Buffer.concat([
        busta.subarray(0, bodyStart),
        Buffer.from(d.toString('base64').replace(/.{76}/g, '$&\r\n')),
        busta.subarray(bodyStart + sigPart.body.length),
      ]);
    const lastByte = Buffer.from(der);
    lastByte[lastByte.length - 1] ^= 0x01; // RSA signature value is the last element
    assert.equal(verify(rebuild(lastByte)).code, 'bad-signature');
    // signingTime is a signed attribute: after its OID comes SET { UTCTime "YYMMDDhhmmssZ" }.
    const attrs = Buffer.from(der);
    const signingTimeOid = Buffer.from('06092a864886f70d010905', 'hex');
    const utc = attrs.indexOf(signingTimeOid) + signingTimeOid.length + 2;
    assert.equal(attrs[utc], 0x17);
    attrs[utc + 2 + 11] = attrs[utc + 2 + 11] === 0x30 ? 0x31 : 0x30;
    const v = verify(rebuild(attrs));
    assert.equal(v.code, 'bad-signature');
    assert.equal(v.intact, false);
    assert.ok(v.signer, 'the signer is still named');
  });

  test('structural failures have their own codes', () => {
    const plain = Buffer.from('From: a@b.test\r\nSubject: x\r\n\r\nhello\r\n');
    const none = verify(plain);
    assert.equal(none.present, false);
    assert.equal(none.code, 'no-signature');
    const garbage = Buffer.from(
      busta.toString('latin1').replace(/(filename="smime\.p7s"\r\n\r\n)[A-Za-z0-9+/]{10}/, '$1AAAAAAAAAA'),
      'latin1',
    );
    assert.equal(verify(garbage).code, 'bad-structure');
    const onePart = Buffer.from(
      'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--\r\n',
    );
    const v = verify(onePart);
    assert.deepEqual([v.present, v.intact, v.code], [true, false, 'bad-structure']);
  });
});

describe('trust', () => {
  const now = Date.now();
  const day = 86_400_000;

  test('a signer from another CA is untrusted-chain', () => {
    const other = createTestCa('Other CA');
    const v = verify(busta, {
      trust: createTrustStore({ certificates: [pemToDer(other.rootPem)] }),
      senderDomain: 'pec.alfa.test',
    });
    assert.deepEqual([v.intact, v.trusted, v.code], [true, false, 'untrusted-chain']);
  });

  test('the same certificates judged against changing anchors (issuer checks are remembered per process)', () => {
    const other = createTrustStore({ certificates: [pemToDer(createTestCa('Third CA').rootPem)] });
    const verdicts = [caTrust, other, caTrust, other].map((trust) => verify(busta, { trust }));
    assert.deepEqual(
      verdicts.map((v) => [v.trusted, v.code]),
      [
        [true, null],
        [false, 'untrusted-chain'],
        [true, null],
        [false, 'untrusted-chain'],
      ],
    );
  });

  test('validity is judged at signing time: expired, not-yet-valid, and valid-then', async () => {
    const email = 'posta-certificata@pec.alfa.test';
    const expired = createSigner(
      issueProviderCertificate({
        email,
        providerName: 'Alfa PEC S.p.A.',
        notBefore: new Date(now - 10 * day),
        notAfter: new Date(now - day / 4),
      }),
    );
    let v = verify(await signedMessage(expired, new Date(now)), { trust: caTrust });
    assert.deepEqual([v.intact, v.trusted, v.code], [true, false, 'expired']);
    assert.match(v.detail ?? '', /^certificate ".*Alfa PEC S\.p\.A\..*" expired /, 'names the certificate');
    // Same certificate, signature made while it was valid (the test CA exists since now - 1 day).
    v = verify(await signedMessage(expired, new Date(now - day / 2)), { trust: caTrust });
    assert.equal(v.trusted, true, v.detail ?? '');
    const future = createSigner(
      issueProviderCertificate({
        email,
        providerName: 'Alfa PEC S.p.A.',
        notBefore: new Date(now + day),
        notAfter: new Date(now + 10 * day),
      }),
    );
    v = verify(await signedMessage(future, new Date(now)), { trust: caTrust });
    assert.deepEqual([v.trusted, v.code], [false, 'not-yet-valid']);
    assert.match(v.detail ?? '', /^certificate ".*Alfa PEC S\.p\.A\..*" not valid before /, 'names the certificate');
  });

  test('provider index: unknown-provider, provider-certificate-mismatch, provider-domain-mismatch', async () => {
    const stranger = createSigner(
      issueProviderCertificate({ email: 'posta-certificata@pec.gamma.test', providerName: 'Gamma PEC' }),
    );
    let v = verify(await signedMessage(stranger, new Date()), {
      trust: indexTrust,
      senderDomain: 'pec.gamma.test',
    });
    assert.deepEqual([v.intact, v.trusted, v.code], [true, false, 'unknown-provider']);

    // Hash listed for Alfa, but the stored certificate is another one.
    const alfaSha1 = readCertificate(fx.alfaCert.certDer).sha1;
    const forged = formatProviderLdif({
      providerName: 'Alfa PEC S.p.A.',
      certificates: [fx.betaCert.certDer],
      mailReceipt: 'posta-certificata@pec.alfa.test',
      managedDomains: ['pec.alfa.test'],
    }).replace(/providerCertificateHash: [0-9a-f]+/, `providerCertificateHash: ${alfaSha1.toUpperCase()}`);
    v = verify(busta, {
      trust: createTrustStore({ index: parseProviderLdif(forged).index }),
      senderDomain: 'pec.alfa.test',
    });
    assert.equal(v.code, 'provider-certificate-mismatch');

    // Alfa's certificate signing for a domain Alfa does not manage.
    v = verify(busta, { trust: indexTrust, senderDomain: 'pec.beta.test' });
    assert.deepEqual(
      [v.intact, v.trusted, v.code, v.provider],
      [true, false, 'provider-domain-mismatch', 'Alfa PEC S.p.A.'],
    );
    v = verify(busta, { trust: indexTrust, senderDomain: 'PEC.ALFA.TEST' });
    assert.equal(v.trusted, true, 'domains compare case-insensitively');
  });

  test('the provider certificate itself can be the anchor (index without CA)', () => {
    const store = createTrustStore({ certificates: [fx.alfaCert.certDer] });
    assert.equal(verify(busta, { trust: store }).trusted, true);
    assert.equal(testCa().rootPem, fx.caPem);
  });
});

describe('signatures made by openssl', () => {
  let key: string;
  let cert: string;
  let chain: string;
  before(() => {
    key = write('key.pem', fx.alfaCert.keyPem);
    cert = write('cert.pem', fx.alfaCert.certPem);
    chain = write('chain.pem', fx.alfaCert.chainPem);
  });
  const content = write('content.txt', 'Content-Type: text/plain\r\n\r\nTesto firmato.\r\n');
  const run = (args: string[]): Buffer => {
    const r = spawnSync('openssl', args);
    assert.equal(r.status, 0, r.stderr.toString());
    return readFileSync(args[args.indexOf('-out') + 1]);
  };

  test('opaque application/pkcs7-mime signed-data', () => {
    const raw = run([
      'smime',
      '-sign',
      '-nodetach',
      '-in',
      content,
      '-signer',
      cert,
      '-inkey',
      key,
      '-certfile',
      chain,
      '-out',
      path.join(dir, 'opaque.eml'),
    ]);
    const signed = verifySignedMessage(readMime(raw).root, { trust: caTrust });
    assert.equal(signed.verdict.intact, true, signed.verdict.detail ?? '');
    assert.equal(signed.verdict.trusted, true);
    assert.equal(signed.content?.mimeType, 'text/plain');
  });

  test('BER streaming (indefinite lengths, chunked content) from openssl cms -stream', () => {
    const raw = run([
      'cms',
      '-sign',
      '-stream',
      '-nodetach',
      '-in',
      content,
      '-signer',
      cert,
      '-inkey',
      key,
      '-out',
      path.join(dir, 'stream.eml'),
    ]);
    const root = readMime(raw).root;
    const der = Buffer.from(root.body.toString('latin1').replace(/\s+/g, ''), 'base64');
    assert.deepEqual([der[0], der[1]], [0x30, 0x80], 'indefinite-length ContentInfo');
    const signed = verifySignedMessage(root);
    assert.equal(signed.verdict.intact, true, signed.verdict.detail ?? '');
    assert.match(signed.content?.body.toString() ?? '', /Testo firmato/);
  });

  test('RSA-PSS with SHA-512, and a signature without signed attributes', () => {
    const pss = run([
      'cms',
      '-sign',
      '-in',
      content,
      '-signer',
      cert,
      '-inkey',
      key,
      '-md',
      'sha512',
      '-keyopt',
      'rsa_padding_mode:pss',
      '-out',
      path.join(dir, 'pss.eml'),
    ]);
    const v = verify(pss);
    assert.equal(v.intact, true, v.detail ?? '');
    assert.equal(v.digest, 'sha512');
    const noattr = run([
      'cms',
      '-sign',
      '-noattr',
      '-in',
      content,
      '-signer',
      cert,
      '-inkey',
      key,
      '-out',
      path.join(dir, 'noattr.eml'),
    ]);
    const w = verify(noattr);
    assert.equal(w.intact, true, w.detail ?? '');
    assert.equal(w.signingTime, null);
    const tampered = Buffer.from(
      noattr.toString('latin1').replace('Testo firmato', 'Testo firmatO'),
      'latin1',
    );
    assert.equal(verify(tampered).code, 'bad-signature');
  });

  test('a signature without the signer certificate is signer-not-found', () => {
    const raw = run([
      'smime',
      '-sign',
      '-nocerts',
      '-in',
      content,
      '-signer',
      cert,
      '-inkey',
      key,
      '-out',
      path.join(dir, 'nocerts.eml'),
    ]);
    assert.equal(verify(raw).code, 'signer-not-found');
  });
});
