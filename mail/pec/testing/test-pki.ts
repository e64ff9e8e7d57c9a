/**
 * In-memory test PKI for PEC: a root CA, an issuing CA beneath it (as AgID CA1 sits under Actalis)
 * and provider signing certificates with the S/MIME profile of spec §4.4 (keyUsage
 * digitalSignature + nonRepudiation critical, EKU emailProtection, SAN rfc822Name = service
 * address, CN/O = provider name, SKI/AKI, no basicConstraints). Keys come from Node's crypto;
 * certificates are DER-encoded by hand (der.ts) and signed with crypto.sign, so this is fast.
 * For tests, samples and demos only.
 */
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import {
  bitString,
  children,
  contents,
  contextConstructed,
  integer,
  nullValue,
  octetString,
  oid,
  sequence,
  setOf,
  time,
  tlv,
} from '../der';

export type TestKeyType = 'rsa' | 'ecdsa';

/** A CA able to issue certificates: root (the trust anchor) and the issuing intermediate. */
export interface TestCa {
  name: string;
  /** Trust anchor to pass to `openssl -CAfile` or to a verifier. */
  rootPem: string;
  /** Issuing intermediate certificate (include it in signatures as the chain). */
  intermediatePem: string;
  /** Issuing intermediate private key (PKCS#8 PEM). */
  intermediateKeyPem: string;
}

export interface TestProviderCertificate {
  keyPem: string;
  certPem: string;
  /** Intermediate CA certificate(s), PEM, to ship with signatures. */
  chainPem: string;
  /** Root CA certificate, PEM: the trust anchor. */
  caPem: string;
  /** DER of the signing certificate (e.g. for providerCertificate / its SHA-1 hash). */
  certDer: Buffer;
  email: string;
  providerName: string;
}

export interface ProviderCertificateOptions {
  /** Service address, e.g. posta-certificata@pec.alfa.test, goes in subjectAltName. */
  email: string;
  /** Provider name, goes in CN and O. */
  providerName: string;
  keyType?: TestKeyType;
  notBefore?: Date;
  notAfter?: Date;
  /** Issuing CA; default: the per-process shared test CA. Pass createTestCa() for an untrusted one. */
  ca?: TestCa;
}

const oids = {
  rsaSha256: '1.2.840.113549.1.1.11',
  ecdsaSha256: '1.2.840.10045.4.3.2',
  country: '2.5.4.6',
  organization: '2.5.4.10',
  organizationalUnit: '2.5.4.11',
  commonName: '2.5.4.3',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  basicConstraints: '2.5.29.19',
  emailProtection: '1.3.6.1.5.5.7.3.4',
};

const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));
const printable = (s: string): Buffer => tlv(0x13, Buffer.from(s, 'ascii'));

function rdn(attrOid: string, value: Buffer): Buffer {
  return setOf(sequence(oid(attrOid), value));
}

function distinguishedName(parts: { o: string; ou?: string; cn: string }): Buffer {
  return sequence(
    rdn(oids.country, printable('IT')),
    rdn(oids.organization, utf8(parts.o)),
    ...(parts.ou ? [rdn(oids.organizationalUnit, utf8(parts.ou))] : []),
    rdn(oids.commonName, utf8(parts.cn)),
  );
}

function extension(extOid: string, critical: boolean, value: Buffer): Buffer {
  return sequence(oid(extOid), ...(critical ? [Buffer.from([0x01, 0x01, 0xff])] : []), octetString(value));
}

function generateKey(type: TestKeyType): { privateKey: KeyObject; spki: Buffer } {
  const { privateKey, publicKey } =
    type === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0x10001 })
      : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { privateKey, spki: publicKey.export({ type: 'spki', format: 'der' }) };
}

/** RFC 5280 method 1: SHA-1 of the subjectPublicKey bits. */
function keyIdentifier(spki: Buffer): Buffer {
  const bits = contents(children(spki)[1]);
  return createHash('sha1').update(bits.subarray(1)).digest();
}

function signatureAlgorithm(key: KeyObject): Buffer {
  return key.asymmetricKeyType === 'ec' ? sequence(oid(oids.ecdsaSha256)) : sequence(oid(oids.rsaSha256), nullValue());
}

interface IssueParams {
  subject: Buffer;
  issuer: Buffer;
  spki: Buffer;
  issuerKey: KeyObject;
  issuerKeyId: Buffer;
  notBefore: Date;
  notAfter: Date;
  extensions: Buffer[];
}

function issue(p: IssueParams): Buffer {
  const serial = randomBytes(16);
  serial[0] &= 0x7f;
  const sigAlg = signatureAlgorithm(p.issuerKey);
  const tbs = sequence(
    contextConstructed(0, integer(2)),
    integer(serial),
    sigAlg,
    p.issuer,
    sequence(time(p.notBefore), time(p.notAfter)),
    p.subject,
    p.spki,
    contextConstructed(
      3,
      sequence(
        ...p.extensions,
        extension(oids.subjectKeyIdentifier, false, octetString(keyIdentifier(p.spki))),
        extension(oids.authorityKeyIdentifier, false, sequence(tlv(0x80, p.issuerKeyId))),
      ),
    ),
  );
  return sequence(tbs, sigAlg, bitString(sign('sha256', tbs, p.issuerKey)));
}

export function derToPem(der: Buffer, label = 'CERTIFICATE'): string {
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

export function pemToDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

const keyPem = (k: KeyObject): string => k.export({ type: 'pkcs8', format: 'pem' }).toString();

const day = 86_400_000;

/** A fresh CA (root + issuing intermediate). Each call gives a different, mutually untrusted CA. */
export function createTestCa(name = 'PEC Test CA'): TestCa {
  const now = Date.now();
  const notBefore = new Date(now - day);
  const notAfter = new Date(now + 3650 * day);
  const caExtensions = [
    extension(oids.basicConstraints, true, sequence(Buffer.from([0x01, 0x01, 0xff]))),
    // keyCertSign + cRLSign
    extension(oids.keyUsage, true, tlv(0x03, Buffer.from([0x01, 0x06]))),
  ];
  const root = generateKey('rsa');
  const rootName = distinguishedName({ o: name, cn: `${name} Root` });
  const rootDer = issue({
    subject: rootName,
    issuer: rootName,
    spki: root.spki,
    issuerKey: root.privateKey,
    issuerKeyId: keyIdentifier(root.spki),
    notBefore,
    notAfter,
    extensions: caExtensions,
  });
  const inter = generateKey('rsa');
  const interDer = issue({
    subject: distinguishedName({ o: name, ou: 'Certificati PEC', cn: `${name} Issuing CA1` }),
    issuer: rootName,
    spki: inter.spki,
    issuerKey: root.privateKey,
    issuerKeyId: keyIdentifier(root.spki),
    notBefore,
    notAfter,
    extensions: caExtensions,
  });
  return { name, rootPem: derToPem(rootDer), intermediatePem: derToPem(interDer), intermediateKeyPem: keyPem(inter.privateKey) };
}

let sharedCa: TestCa | undefined;

/** The per-process test CA (generated once; RSA key generation is the slow part). */
export function testCa(): TestCa {
  sharedCa ??= createTestCa();
  return sharedCa;
}

/** Subject DN of a certificate, as the DER bytes of its Name (for comparing issuers). */
function subjectOf(certDer: Buffer): Buffer {
  const tbsFields = children(children(certDer)[0]);
  return tbsFields[5];
}

function subjectKeyIdOf(certDer: Buffer): Buffer {
  const tbsFields = children(children(certDer)[0]);
  return keyIdentifier(tbsFields[6]);
}

/** Issues a provider signing certificate with the PEC S/MIME profile. */
export function issueProviderCertificate(opts: ProviderCertificateOptions): TestProviderCertificate {
  const ca = opts.ca ?? testCa();
  const interDer = pemToDer(ca.intermediatePem);
  const key = generateKey(opts.keyType ?? 'rsa');
  const now = Date.now();
  const certDer = issue({
    subject: distinguishedName({ o: opts.providerName, cn: opts.providerName }),
    issuer: subjectOf(interDer),
    spki: key.spki,
    issuerKey: createPrivateKey(ca.intermediateKeyPem),
    issuerKeyId: subjectKeyIdOf(interDer),
    notBefore: opts.notBefore ?? new Date(now - day),
    notAfter: opts.notAfter ?? new Date(now + 3 * 365 * day),
    extensions: [
      // digitalSignature + nonRepudiation
      extension(oids.keyUsage, true, tlv(0x03, Buffer.from([0x06, 0xc0]))),
      extension(oids.extKeyUsage, false, sequence(oid(oids.emailProtection))),
      extension(oids.subjectAltName, false, sequence(tlv(0x81, Buffer.from(opts.email, 'ascii')))),
    ],
  });
  return {
    keyPem: keyPem(key.privateKey),
    certPem: derToPem(certDer),
    chainPem: ca.intermediatePem,
    caPem: ca.rootPem,
    certDer,
    email: opts.email,
    providerName: opts.providerName,
  };
}
