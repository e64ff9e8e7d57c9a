/**
 * S/MIME signature verification for PEC messages (spec §4.2 steps 1-3, §4.4): multipart/signed
 * with a detached CMS signature (`application/pkcs7-signature` or `application/x-pkcs7-signature`)
 * or opaque `application/pkcs7-mime` signed-data. The content digest is checked against the
 * messageDigest attribute, the signature over the signed attributes with Node's crypto (RSA
 * PKCS#1 v1.5, RSA-PSS, ECDSA, DSA, Ed25519), first over the bytes as given and then over their
 * CRLF-canonical form, as openssl does for LF-only files.
 *
 * Error codes (`SignatureVerdict.code`, the first check that failed, in this order):
 * - `no-signature`          the message has no S/MIME signature structure at all
 * - `bad-structure`         multipart/signed or CMS damaged: missing signature part, unparsable
 *                           DER, not SignedData, no signer, missing messageDigest attribute
 * - `unsupported-algorithm` digest or signature algorithm this verifier does not implement
 * - `signer-not-found`      the signer's certificate is not in the CMS (or is not parsable)
 * - `digest-mismatch`       the content's digest differs from messageDigest: content altered
 * - `bad-signature`         the signature does not verify with the signer's public key
 * Trust (only with a TrustStore; `intact` is already true when these are reported):
 * - `unknown-provider`      index given, the signer's SHA-1 is not any providerCertificateHash
 * - `provider-certificate-mismatch` the hash is listed but the stored certificate differs
 * - `untrusted-chain`       the signer does not chain to a trusted certificate (CA or the
 *                           provider certificate itself)
 * - `expired`               a chain certificate had expired at signing time (signingTime
 *                           attribute, else now)
 * - `not-yet-valid`         a chain certificate was not yet valid at signing time
 * - `provider-domain-mismatch` index given, the provider owning the certificate does not list the
 *                           domain of the sender (the From: service address) in managedDomains
 * Revocation (CRL/OCSP) is not checked: it needs the network.
 */
import { constants, createHash, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import {
  Asn1Error,
  asn1Time,
  isContext,
  isUniversal,
  octets,
  oidToString,
  Tag,
  type Asn1Node,
} from './cms/asn1';
import {
  readCertificate,
  summarizeCertificate,
  type CertificateInfo,
  type CertificateSummary,
} from './cms/certificate';
import { oidMessageDigestAttr, oidSigningTimeAttr, readSignedData, type SignerInfo } from './cms/signed-data';
import { decodeBody, readMime, type MimeEntity } from './mime';
import { normalizeDomain } from './provider-index';
import type { TrustStore } from './trust-store';

export const signatureErrorCodes = [
  'no-signature',
  'bad-structure',
  'unsupported-algorithm',
  'signer-not-found',
  'digest-mismatch',
  'bad-signature',
  'unknown-provider',
  'provider-certificate-mismatch',
  'untrusted-chain',
  'expired',
  'not-yet-valid',
  'provider-domain-mismatch',
] as const;
export type SignatureErrorCode = (typeof signatureErrorCodes)[number];

export interface SignatureVerdict {
  /** An S/MIME signature structure exists. */
  present: boolean;
  /** The signature verifies over the content: nothing was altered. */
  intact: boolean;
  /** Signer trusted per the TrustStore; null when no TrustStore was given. */
  trusted: boolean | null;
  /** First failed check (see module comment), null when every check run passed. */
  code: SignatureErrorCode | null;
  detail: string | null;
  signer: CertificateSummary | null;
  /** Digest algorithm of the signer: `sha1`, `sha256`, … */
  digest: string | null;
  /** signingTime attribute, ISO-8601 UTC. */
  signingTime: string | null;
  /** True when only the CRLF-canonical form of the content verified (LF-only file). */
  canonicalized: boolean;
  /** providerName from the index, when the signer was found there. */
  provider: string | null;
}

export interface VerifyOptions {
  trust?: TrustStore | null;
  /** "Now" for certificate validity when the signature has no signingTime. */
  now?: Date;
  /** Domain of the sender address to check against the provider's managedDomains. */
  senderDomain?: string | null;
}

const digestNames: Record<string, string> = {
  '1.2.840.113549.2.5': 'md5',
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.8': 'sha3-256',
  '2.16.840.1.101.3.4.2.9': 'sha3-384',
  '2.16.840.1.101.3.4.2.10': 'sha3-512',
};

/** Signature algorithm OID → family and the hash it implies (null: use the digest algorithm). */
const signatureAlgorithms: Record<
  string,
  { family: 'rsa' | 'rsa-pss' | 'ecdsa' | 'dsa' | 'eddsa'; hash: string | null }
> = {
  '1.2.840.113549.1.1.1': { family: 'rsa', hash: null },
  '1.2.840.113549.1.1.4': { family: 'rsa', hash: 'md5' },
  '1.2.840.113549.1.1.5': { family: 'rsa', hash: 'sha1' },
  '1.2.840.113549.1.1.11': { family: 'rsa', hash: 'sha256' },
  '1.2.840.113549.1.1.12': { family: 'rsa', hash: 'sha384' },
  '1.2.840.113549.1.1.13': { family: 'rsa', hash: 'sha512' },
  '1.2.840.113549.1.1.14': { family: 'rsa', hash: 'sha224' },
  '1.2.840.113549.1.1.10': { family: 'rsa-pss', hash: null },
  '1.2.840.10045.2.1': { family: 'ecdsa', hash: null },
  '1.2.840.10045.4.1': { family: 'ecdsa', hash: 'sha1' },
  '1.2.840.10045.4.3.1': { family: 'ecdsa', hash: 'sha224' },
  '1.2.840.10045.4.3.2': { family: 'ecdsa', hash: 'sha256' },
  '1.2.840.10045.4.3.3': { family: 'ecdsa', hash: 'sha384' },
  '1.2.840.10045.4.3.4': { family: 'ecdsa', hash: 'sha512' },
  '1.2.840.10040.4.3': { family: 'dsa', hash: 'sha1' },
  '2.16.840.1.101.3.4.3.2': { family: 'dsa', hash: 'sha256' },
  '1.3.101.112': { family: 'eddsa', hash: null },
};

class VerifyFailure extends Error {
  constructor(
    readonly code: SignatureErrorCode,
    detail: string,
  ) {
    super(detail);
  }
}

function fail(code: SignatureErrorCode, detail: string): never {
  throw new VerifyFailure(code, detail);
}

function emptyVerdict(present: boolean): SignatureVerdict {
  return {
    present,
    intact: false,
    trusted: null,
    code: null,
    detail: null,
    signer: null,
    digest: null,
    signingTime: null,
    canonicalized: false,
    provider: null,
  };
}

/**
 * openssl's reading of a signed part: every line end becomes CRLF and trailing CRs are dropped.
 * Returns null when the bytes are already in that form (no second attempt needed).
 */
export function crlfCanonical(content: Buffer): Buffer | null {
  let needed = false;
  for (let i = content.indexOf(0x0a); i >= 0; i = content.indexOf(0x0a, i + 1)) {
    if (i === 0 || content[i - 1] !== 0x0d || (i > 1 && content[i - 2] === 0x0d)) {
      needed = true;
      break;
    }
  }
  if (!needed) return null;
  const lines: Buffer[] = [];
  let start = 0;
  for (let i = content.indexOf(0x0a); ; i = content.indexOf(0x0a, start)) {
    let end = i < 0 ? content.length : i;
    while (end > start && content[end - 1] === 0x0d) end--;
    lines.push(content.subarray(start, end));
    if (i < 0) break;
    lines.push(Buffer.from('\r\n'));
    start = i + 1;
  }
  return Buffer.concat(lines);
}

function sidMatches(si: SignerInfo, c: CertificateInfo): boolean {
  if ('subjectKeyId' in si.sid) return c.subjectKeyId !== null && c.subjectKeyId.equals(si.sid.subjectKeyId);
  // Serial compared numerically: drop leading zero octets some encoders add.
  const strip = (b: Buffer): Buffer => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    return b.subarray(i);
  };
  return c.issuer.equals(si.sid.issuer) && strip(c.serial).equals(strip(si.sid.serial));
}

interface KeyCheck {
  hash: string | null;
  options: { padding?: number; saltLength?: number; dsaEncoding?: 'der' };
}

function pssParameters(params: Asn1Node | undefined, digest: string): KeyCheck {
  let hash = 'sha1';
  let mgfHash = 'sha1';
  let saltLength = 20;
  if (isUniversal(params, Tag.sequence)) {
    for (const f of params.children) {
      if (isContext(f, 0))
        hash =
          digestNames[oidToString(f.children[0].children[0])] ??
          fail('unsupported-algorithm', 'RSA-PSS hash');
      if (isContext(f, 1)) {
        const mgfParams = f.children[0].children[1];
        mgfHash =
          digestNames[oidToString(mgfParams.children[0])] ??
          fail('unsupported-algorithm', 'RSA-PSS MGF1 hash');
      }
      if (isContext(f, 2))
        saltLength = f.children[0].content.readUIntBE(0, Math.min(6, f.children[0].content.length));
    }
  }
  // Node derives MGF1 from the signature hash; a different MGF1 hash cannot be checked.
  if (mgfHash !== hash) fail('unsupported-algorithm', `RSA-PSS with MGF1 ${mgfHash} and hash ${hash}`);
  void digest;
  return { hash, options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength } };
}

function keyCheck(si: SignerInfo, digest: string): KeyCheck {
  const alg = signatureAlgorithms[si.signatureAlgorithm];
  if (!alg) fail('unsupported-algorithm', `signature algorithm ${si.signatureAlgorithm}`);
  switch (alg.family) {
    case 'rsa':
      return { hash: alg.hash ?? digest, options: { padding: constants.RSA_PKCS1_PADDING } };
    case 'rsa-pss':
      return pssParameters(si.signatureParameters, digest);
    case 'ecdsa':
    case 'dsa':
      return { hash: alg.hash ?? digest, options: { dsaEncoding: 'der' } };
    case 'eddsa':
      return { hash: null, options: {} };
  }
}

function signatureValid(check: KeyCheck, key: KeyObject, data: Buffer, signature: Buffer): boolean {
  try {
    return cryptoVerify(check.hash, data, { key, ...check.options }, signature);
  } catch {
    return false; // key type and algorithm disagree, malformed signature value…
  }
}

interface SignerResult {
  signer: CertificateInfo;
  digest: string;
  signingTime: Date | null;
  canonicalized: boolean;
}

function verifySigner(
  si: SignerInfo,
  content: Buffer,
  certificates: CertificateInfo[],
  verdict: SignatureVerdict,
): SignerResult {
  const digest = digestNames[si.digestAlgorithm];
  if (!digest) fail('unsupported-algorithm', `digest algorithm ${si.digestAlgorithm}`);
  verdict.digest ??= digest;
  const signer = certificates.find((c) => sidMatches(si, c));
  if (!signer) fail('signer-not-found', 'the signer certificate is not included in the signature');
  // Known before any check can fail, so even a broken signature names its signer.
  verdict.signer ??= summarizeCertificate(signer);
  const check = keyCheck(si, digest);
  let signingTime: Date | null = null;
  const timeAttr = si.signedAttributes?.get(oidSigningTimeAttr)?.[0];
  if (timeAttr) {
    try {
      signingTime = asn1Time(timeAttr);
      verdict.signingTime ??= signingTime.toISOString();
    } catch {
      fail('bad-structure', 'unreadable signingTime attribute');
    }
  }
  let canonical: Buffer | null | undefined;
  const candidates = function* (): Generator<[Buffer, boolean]> {
    yield [content, false];
    canonical ??= crlfCanonical(content);
    if (canonical) yield [canonical, true];
  };
  let canonicalized = false;
  if (si.signedAttributes && si.signedAttributesDer) {
    const md = si.signedAttributes.get(oidMessageDigestAttr)?.[0];
    if (!isUniversal(md, Tag.octetString)) fail('bad-structure', 'messageDigest attribute missing');
    const expected = octets(md);
    let matched = false;
    for (const [bytes, canon] of candidates()) {
      if (createHash(digest).update(bytes).digest().equals(expected)) {
        matched = true;
        canonicalized = canon;
        break;
      }
    }
    if (!matched)
      fail(
        'digest-mismatch',
        `the ${digest} digest of the signed content differs from the signed messageDigest`,
      );
    if (!signatureValid(check, signer.x509.publicKey, si.signedAttributesDer, si.signature)) {
      fail('bad-signature', 'the signature does not verify with the signer public key');
    }
  } else {
    let ok = false;
    for (const [bytes, canon] of candidates()) {
      if (signatureValid(check, signer.x509.publicKey, bytes, si.signature)) {
        ok = true;
        canonicalized = canon;
        break;
      }
    }
    if (!ok) fail('bad-signature', 'the signature does not verify over the content');
  }
  return { signer, digest, signingTime, canonicalized };
}

/**
 * issuer → cert → whether issuer signed cert. The same provider certificate and CA come with every
 * message and readCertificate hands back the same objects, so each pair's signature check (an RSA
 * verification) runs once per process; the dates are still checked for every message.
 */
const issuedMemo = new WeakMap<CertificateInfo, WeakMap<CertificateInfo, boolean>>();

function issued(issuer: CertificateInfo, cert: CertificateInfo): boolean {
  let byCert = issuedMemo.get(issuer);
  const known = byCert?.get(cert);
  if (known !== undefined) return known;
  let result: boolean;
  try {
    result = issuer.x509.ca && cert.x509.checkIssued(issuer.x509) && cert.x509.verify(issuer.x509.publicKey);
  } catch {
    result = false;
  }
  if (!byCert) issuedMemo.set(issuer, (byCert = new WeakMap()));
  byCert.set(cert, result);
  return result;
}

/** Signer → … → anchor, or null. The signer itself may be the anchor (provider certificate). */
export function buildChain(
  leaf: CertificateInfo,
  pool: CertificateInfo[],
  anchors: CertificateInfo[],
): CertificateInfo[] | null {
  const chain = [leaf];
  let cur = leaf;
  for (let depth = 0; depth < 10; depth++) {
    if (anchors.some((a) => a.der.equals(cur.der))) return chain;
    const anchor = anchors.find((a) => issued(a, cur));
    if (anchor) return [...chain, anchor];
    const next = pool.find((c) => !chain.includes(c) && issued(c, cur));
    if (!next) return null;
    chain.push(next);
    cur = next;
  }
  return null;
}

function evaluateTrust(
  result: SignerResult,
  pool: CertificateInfo[],
  trust: TrustStore,
  opts: VerifyOptions,
  verdict: SignatureVerdict,
): void {
  const { signer } = result;
  const provider = trust.index?.byCertificateHash(signer.sha1);
  if (trust.index) {
    if (!provider) fail('unknown-provider', `signer certificate ${signer.sha1} is not in the provider index`);
    verdict.provider = provider.providerName;
    if (provider.certificates.length > 0 && !provider.certificates.some((c) => c.equals(signer.der))) {
      fail(
        'provider-certificate-mismatch',
        `the index certificate of ${provider.providerName} differs from the signer's`,
      );
    }
  }
  const chain = buildChain(signer, pool, trust.anchors);
  if (!chain)
    fail(
      'untrusted-chain',
      `signer "${summarizeCertificate(signer).subject}" does not chain to a trusted certificate`,
    );
  const at = result.signingTime ?? opts.now ?? new Date();
  for (const c of chain) {
    // named only in a failure: a summary costs more than both date checks
    const who = () => summarizeCertificate(c).subject;
    if (at < c.notBefore)
      fail(
        'not-yet-valid',
        `certificate "${who()}" not valid before ${c.notBefore.toISOString()} (checked at ${at.toISOString()})`,
      );
    if (at > c.notAfter)
      fail(
        'expired',
        `certificate "${who()}" expired ${c.notAfter.toISOString()} (checked at ${at.toISOString()})`,
      );
  }
  if (provider) {
    const domain = opts.senderDomain ? normalizeDomain(opts.senderDomain) : null;
    if (!domain) fail('provider-domain-mismatch', 'no sender domain to check against managedDomains');
    if (!provider.managedDomains.includes(domain)) {
      fail(
        'provider-domain-mismatch',
        `${provider.providerName} does not manage the sender domain ${domain}`,
      );
    }
  }
}

/**
 * Verifies a CMS SignedData blob. `content` is the detached content (the exact signed bytes);
 * pass null for opaque signatures (the encapsulated content is used).
 */
export function verifyCms(
  cmsDer: Buffer,
  content: Buffer | null,
  opts: VerifyOptions = {},
): SignatureVerdict {
  const verdict = emptyVerdict(true);
  const trust = opts.trust ?? null;
  try {
    let sd;
    try {
      sd = readSignedData(cmsDer);
    } catch (err) {
      fail(
        'bad-structure',
        err instanceof Asn1Error ? err.message : `unreadable CMS: ${(err as Error).message}`,
      );
    }
    const data = content ?? sd.content;
    if (!data) fail('bad-structure', 'detached signature without content');
    const certificates: CertificateInfo[] = [];
    for (const der of sd.certificates) {
      try {
        certificates.push(readCertificate(der));
      } catch {
        // an unparsable extra certificate only matters if it was the signer's
      }
    }
    let first: SignerResult | null = null;
    for (const si of sd.signers) {
      const r = verifySigner(si, data, certificates, verdict);
      first ??= r;
      verdict.signingTime ??= r.signingTime?.toISOString() ?? null;
      verdict.canonicalized ||= r.canonicalized;
    }
    verdict.intact = true;
    if (trust && first) {
      verdict.trusted = false;
      evaluateTrust(first, certificates, trust, opts, verdict);
      verdict.trusted = true;
    }
  } catch (err) {
    if (!(err instanceof VerifyFailure)) throw err;
    verdict.code = err.code;
    verdict.detail = err.message;
    if (trust) verdict.trusted = false;
  }
  return verdict;
}

export interface SignedMessage {
  verdict: SignatureVerdict;
  /** The signed content (first part of multipart/signed, or the parsed opaque content). */
  content: MimeEntity | null;
  problems: string[];
}

/** Finds the S/MIME structure at the top of a message and verifies it. Never throws. */
export function verifySignedMessage(root: MimeEntity, opts: VerifyOptions = {}): SignedMessage {
  const problems: string[] = [];
  const failed = (
    code: SignatureErrorCode,
    detail: string,
    present = true,
    content: MimeEntity | null = null,
  ): SignedMessage => {
    const verdict = emptyVerdict(present);
    verdict.code = code;
    verdict.detail = detail;
    if (opts.trust) verdict.trusted = false;
    return { verdict, content, problems };
  };
  if (root.mimeType === 'multipart/signed') {
    const protocol = (root.params.protocol ?? '').toLowerCase();
    if (protocol && !/^application\/(x-)?pkcs7-signature$/.test(protocol)) {
      return failed(
        'bad-structure',
        `multipart/signed with protocol ${protocol} is not S/MIME`,
        true,
        root.parts[0] ?? null,
      );
    }
    const [signed, signaturePart] = root.parts;
    if (!signed || !signaturePart)
      return failed('bad-structure', 'multipart/signed without its two parts', true, signed ?? null);
    if (root.parts.length > 2) problems.push(`multipart/signed has ${root.parts.length} parts, expected 2`);
    if (!/^application\/(x-)?pkcs7-signature$/.test(signaturePart.mimeType)) {
      return failed('bad-structure', `signature part is ${signaturePart.mimeType}`, true, signed);
    }
    const der = decodeBody(signaturePart, problems);
    return { verdict: verifyCms(der, signed.raw, opts), content: signed, problems };
  }
  if (/^application\/(x-)?pkcs7-mime$/.test(root.mimeType)) {
    const smimeType = (root.params['smime-type'] ?? 'signed-data').toLowerCase();
    if (smimeType !== 'signed-data')
      return failed('bad-structure', `application/pkcs7-mime ${smimeType} is not a signature`);
    const der = decodeBody(root, problems);
    const verdict = verifyCms(der, null, opts);
    let content: MimeEntity | null = null;
    try {
      const inner = readSignedData(der).content;
      if (inner) {
        const parsed = readMime(inner);
        content = parsed.root;
        problems.push(...parsed.problems.map((p) => `signed content: ${p}`));
      }
    } catch {
      // verdict already says bad-structure
    }
    return { verdict, content, problems };
  }
  return failed('no-signature', 'the message is not S/MIME signed', false, root);
}
