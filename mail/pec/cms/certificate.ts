/**
 * X.509 certificates as the verifier needs them: Node's X509Certificate for keys and chain checks,
 * plus the raw DER fields (issuer, serial, subject key identifier, validity) that CMS signer
 * identification and the provider index compare byte for byte.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { asn1Time, isContext, isUniversal, oidToString, readAsn1, Tag, type Asn1Node } from './asn1';

export interface CertificateInfo {
  der: Buffer;
  x509: X509Certificate;
  /** DER of the issuer Name. */
  issuer: Buffer;
  /** Content octets of the serial INTEGER. */
  serial: Buffer;
  subjectKeyId: Buffer | null;
  notBefore: Date;
  notAfter: Date;
  /** SHA-1 of the DER, lower-case hex without separators (the providerCertificateHash form). */
  sha1: string;
}

// The same few provider certificates come with every message: parse each once per process.
const cache = new Map<string, CertificateInfo>();
const maxCached = 512;

/** Parses a DER certificate (cached by SHA-1); throws when it is not one. */
export function readCertificate(der: Buffer): CertificateInfo {
  const sha1 = createHash('sha1').update(der).digest('hex');
  const hit = cache.get(sha1);
  if (hit) return hit;
  const info = parseCertificate(Buffer.from(der), sha1);
  if (cache.size >= maxCached) cache.clear();
  cache.set(sha1, info);
  return info;
}

function parseCertificate(der: Buffer, sha1: string): CertificateInfo {
  const x509 = new X509Certificate(der);
  const cert = readAsn1(der);
  const tbs = cert.children[0];
  if (!isUniversal(tbs, Tag.sequence)) throw new Error('certificate: no TBSCertificate');
  const f = tbs.children;
  const o = isContext(f[0], 0) ? 1 : 0; // optional explicit version
  const serial = f[o];
  const issuer = f[o + 2];
  const validity = f[o + 3];
  if (
    !isUniversal(serial, Tag.integer) ||
    !isUniversal(issuer, Tag.sequence) ||
    !isUniversal(validity, Tag.sequence)
  ) {
    throw new Error('certificate: malformed TBSCertificate');
  }
  let subjectKeyId: Buffer | null = null;
  const extensions = f.find((n) => isContext(n, 3))?.children[0];
  for (const ext of extensions?.children ?? []) {
    if (oidToString(ext.children[0]) === '2.5.29.14') {
      const value = ext.children[ext.children.length - 1];
      const inner: Asn1Node = readAsn1(value.content);
      subjectKeyId = inner.content;
    }
  }
  return {
    der,
    x509,
    issuer: issuer.raw,
    serial: serial.content,
    subjectKeyId,
    notBefore: asn1Time(validity.children[0]),
    notAfter: asn1Time(validity.children[1]),
    sha1,
  };
}

/** `AB:CD:…`, `abcd…`, with blanks → `abcd…` (index lookups are case-insensitive). */
export function normalizeCertificateHash(hash: string): string {
  return hash.replace(/[\s:]/g, '').toLowerCase();
}

/** Every certificate in a PEM text (other PEM blocks are skipped). */
export function pemCertificates(text: string): Buffer[] {
  const out: Buffer[] = [];
  for (const m of text.matchAll(
    /-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----([\s\S]*?)-----END (?:X509 |TRUSTED )?CERTIFICATE-----/g,
  )) {
    out.push(Buffer.from(m[1].replace(/[^A-Za-z0-9+/=]/g, ''), 'base64'));
  }
  return out;
}

function oneLine(dn: string): string {
  return dn.split('\n').filter(Boolean).join(', ');
}

/** Email addresses of the certificate: rfc822Name SANs, then the legacy emailAddress RDN. */
export function certificateEmails(x509: X509Certificate): string[] {
  const emails = [...(x509.subjectAltName ?? '').matchAll(/email:([^,\s]+)/g)].map((m) => m[1].toLowerCase());
  for (const m of x509.subject.matchAll(/^emailAddress=(.+)$/gm)) emails.push(m[1].trim().toLowerCase());
  return [...new Set(emails)];
}

export interface CertificateSummary {
  subject: string;
  issuer: string;
  serialNumber: string;
  /** SHA-1 of the DER, lower-case hex. */
  sha1: string;
  emails: string[];
  notBefore: string;
  notAfter: string;
}

export function summarizeCertificate(c: CertificateInfo): CertificateSummary {
  return {
    subject: oneLine(c.x509.subject),
    issuer: oneLine(c.x509.issuer),
    serialNumber: c.x509.serialNumber.toLowerCase(),
    sha1: c.sha1,
    emails: certificateEmails(c.x509),
    notBefore: c.notBefore.toISOString(),
    notAfter: c.notAfter.toISOString(),
  };
}
