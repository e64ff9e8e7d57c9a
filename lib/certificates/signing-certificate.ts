/**
 * Checks a provider signing certificate before it is used (spec §4.4): the key must match, the
 * rfc822Name must be our service address (receivers compare it with the From: of every receipt),
 * it must be valid now, must not be a CA and must allow digitalSignature. Each failure has its own
 * code and a message an operator can act on.
 */
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { readCertificate } from '../../mail/pec/cms/certificate';
import { isUniversal, oidToString, readAsn1, Tag } from '../../mail/pec/cms/asn1';

export type CertificateProblemCode =
  | 'unreadable-certificate'
  | 'unreadable-key'
  | 'key-mismatch'
  | 'email-mismatch'
  | 'not-yet-valid'
  | 'expired'
  | 'is-ca'
  | 'no-digital-signature';

export class CertificateCheckError extends Error {
  constructor(
    readonly code: CertificateProblemCode,
    message: string,
  ) {
    super(message);
    this.name = 'CertificateCheckError';
  }
}

/** A certificate, its key and its chain, all PEM: what a signer needs. */
export interface SigningMaterial {
  certPem: string;
  keyPem: string;
  /** intermediates, PEM, leaf excluded */
  chainPem?: string;
}

export interface CheckedCertificate {
  der: Buffer;
  /** lower-case hex SHA-1 of the DER (providerCertificateHash) */
  sha1: string;
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  emails: string[];
}

const oneLine = (dn: string): string => dn.split('\n').filter(Boolean).join(', ');

/** rfc822Name values of the subjectAltName, lower case. */
function sanEmails(x509: X509Certificate): string[] {
  return [...(x509.subjectAltName ?? '').matchAll(/email:([^,\s]+)/g)].map((m) => m[1].toLowerCase());
}

/** The KeyUsage bits (first content octet after the unused-bits octet), or null when absent. */
function keyUsageByte(der: Buffer): number | null {
  const tbs = readAsn1(der).children[0];
  const extensions = tbs.children.find((n) => n.cls === 2 && n.tag === 3)?.children[0];
  for (const ext of extensions?.children ?? []) {
    if (oidToString(ext.children[0]) !== '2.5.29.15') continue;
    const bits = readAsn1(ext.children[ext.children.length - 1].content);
    if (!isUniversal(bits, Tag.bitString) || bits.content.length < 2) return 0;
    return bits.content[1];
  }
  return null;
}

/** Parses and describes a PEM certificate without judging it. */
export function describeCertificate(certPem: string): CheckedCertificate {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(certPem);
  } catch (err) {
    throw new CertificateCheckError('unreadable-certificate', `Not a PEM certificate: ${(err as Error).message}`);
  }
  const info = readCertificate(x509.raw);
  return {
    der: info.der,
    sha1: info.sha1,
    subject: oneLine(x509.subject),
    issuer: oneLine(x509.issuer),
    serialNumber: x509.serialNumber.toLowerCase(),
    notBefore: info.notBefore,
    notAfter: info.notAfter,
    emails: sanEmails(x509),
  };
}

/** Throws CertificateCheckError on the first problem; returns the certificate's facts otherwise. */
export function checkSigningCertificate(
  material: SigningMaterial,
  expected: { serviceAddress: string; now?: Date; allowNotYetValid?: boolean },
): CheckedCertificate {
  const described = describeCertificate(material.certPem);
  const x509 = new X509Certificate(material.certPem);
  let publicFromKey: Buffer;
  try {
    publicFromKey = createPublicKey(createPrivateKey(material.keyPem)).export({ type: 'spki', format: 'der' });
  } catch (err) {
    throw new CertificateCheckError('unreadable-key', `Not a readable unencrypted private key: ${(err as Error).message}`);
  }
  if (!publicFromKey.equals(x509.publicKey.export({ type: 'spki', format: 'der' }))) {
    throw new CertificateCheckError('key-mismatch', 'The private key does not belong to the certificate');
  }
  const address = expected.serviceAddress.toLowerCase();
  if (!described.emails.includes(address)) {
    throw new CertificateCheckError(
      'email-mismatch',
      `The certificate's e-mail (subjectAltName rfc822Name: ${described.emails.join(', ') || 'none'}) is not the service address ${address}`,
    );
  }
  const now = expected.now ?? new Date();
  // a certificate staged for a later rotation may start in the future; it is checked again on activation
  if (now < described.notBefore && !expected.allowNotYetValid) {
    throw new CertificateCheckError('not-yet-valid', `The certificate is not valid before ${described.notBefore.toISOString()}`);
  }
  if (now > described.notAfter) {
    throw new CertificateCheckError('expired', `The certificate expired on ${described.notAfter.toISOString()}`);
  }
  if (x509.ca) throw new CertificateCheckError('is-ca', 'The certificate is a CA certificate, not a signing certificate');
  const usage = keyUsageByte(described.der);
  // bit 0 (0x80) is digitalSignature; a certificate without KeyUsage would allow it, but §4.4 requires the extension
  if (usage === null || (usage & 0x80) === 0) {
    throw new CertificateCheckError('no-digital-signature', 'The certificate has no KeyUsage digitalSignature');
  }
  return described;
}
