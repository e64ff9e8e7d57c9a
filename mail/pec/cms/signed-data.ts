/**
 * CMS SignedData (RFC 5652) as carried in `smime.p7s` or an opaque `.p7m`: the parts a verifier
 * needs, each a view into the DER. Only structure is read here; verification is in smime-verify.
 */
import {
  Asn1Error,
  expect,
  isContext,
  isUniversal,
  octets,
  oidToString,
  readAsn1,
  Tag,
  type Asn1Node,
} from './asn1';

export const oidSignedData = '1.2.840.113549.1.7.2';
export const oidData = '1.2.840.113549.1.7.1';
export const oidContentTypeAttr = '1.2.840.113549.1.9.3';
export const oidMessageDigestAttr = '1.2.840.113549.1.9.4';
export const oidSigningTimeAttr = '1.2.840.113549.1.9.5';

export type SignerIdentifier = { issuer: Buffer; serial: Buffer } | { subjectKeyId: Buffer };

export interface SignerInfo {
  sid: SignerIdentifier;
  digestAlgorithm: string;
  /** Signed attributes by OID (each attribute's values), or null when absent. */
  signedAttributes: Map<string, Asn1Node[]> | null;
  /** The bytes the signature covers when attributes are present: their DER re-tagged as SET OF. */
  signedAttributesDer: Buffer | null;
  signatureAlgorithm: string;
  signatureParameters: Asn1Node | undefined;
  signature: Buffer;
}

export interface SignedData {
  eContentType: string;
  /** Encapsulated content (opaque signing), null when detached. */
  content: Buffer | null;
  /** DER of each X.509 certificate in the set (attribute certificates etc. are skipped). */
  certificates: Buffer[];
  signers: SignerInfo[];
}

function algorithm(node: Asn1Node | undefined, what: string): { oid: string; params: Asn1Node | undefined } {
  const seq = expect(node, Tag.sequence, what);
  return { oid: oidToString(seq.children[0]), params: seq.children[1] };
}

function readSignerInfo(node: Asn1Node): SignerInfo {
  const f = expect(node, Tag.sequence, 'SignerInfo').children;
  let i = 1; // skip version
  const sidNode = f[i++];
  let sid: SignerIdentifier;
  if (isUniversal(sidNode, Tag.sequence)) {
    const [issuer, serial] = sidNode.children;
    if (!isUniversal(issuer, Tag.sequence) || !isUniversal(serial, Tag.integer))
      throw new Asn1Error('CMS: bad IssuerAndSerialNumber');
    sid = { issuer: issuer.raw, serial: serial.content };
  } else if (isContext(sidNode, 0)) {
    sid = { subjectKeyId: sidNode.content };
  } else throw new Asn1Error('CMS: bad SignerIdentifier');
  const digestAlgorithm = algorithm(f[i++], 'digestAlgorithm').oid;
  let signedAttributes: Map<string, Asn1Node[]> | null = null;
  let signedAttributesDer: Buffer | null = null;
  if (isContext(f[i], 0)) {
    const attrs = f[i++];
    signedAttributes = new Map();
    for (const a of attrs.children) {
      const seq = expect(a, Tag.sequence, 'Attribute');
      const values = expect(seq.children[1], Tag.set, 'AttributeValues');
      signedAttributes.set(oidToString(seq.children[0]), values.children);
    }
    // RFC 5652 §5.4: the signature covers the attributes encoded with the SET OF tag.
    signedAttributesDer = Buffer.concat([Buffer.from([0x31]), attrs.raw.subarray(1)]);
  }
  const sigAlg = algorithm(f[i++], 'signatureAlgorithm');
  const signature = expect(f[i++], Tag.octetString, 'signature');
  return {
    sid,
    digestAlgorithm,
    signedAttributes,
    signedAttributesDer,
    signatureAlgorithm: sigAlg.oid,
    signatureParameters: sigAlg.params,
    signature: octets(signature),
  };
}

/** Parses a DER/BER ContentInfo holding SignedData; throws Asn1Error otherwise. */
export function readSignedData(der: Buffer): SignedData {
  const ci = expect(readAsn1(der), Tag.sequence, 'ContentInfo');
  const type = oidToString(ci.children[0]);
  if (type !== oidSignedData) throw new Asn1Error(`CMS: content type ${type} is not signedData`);
  const wrapper = ci.children[1];
  if (!isContext(wrapper, 0)) throw new Asn1Error('CMS: missing SignedData');
  const f = expect(wrapper.children[0], Tag.sequence, 'SignedData').children;
  const encap = expect(f[2], Tag.sequence, 'EncapsulatedContentInfo');
  const eContentType = oidToString(encap.children[0]);
  const eContent = encap.children[1];
  const content = isContext(eContent, 0) && eContent.children[0] ? octets(eContent.children[0]) : null;
  let i = 3;
  const certificates: Buffer[] = [];
  if (isContext(f[i], 0)) {
    for (const c of f[i].children) if (isUniversal(c, Tag.sequence)) certificates.push(c.raw);
    i++;
  }
  if (isContext(f[i], 1)) i++; // CRLs: not used, revocation is out of scope here
  const signerSet = expect(f[i], Tag.set, 'SignerInfos');
  if (signerSet.children.length === 0) throw new Asn1Error('CMS: no SignerInfo');
  return { eContentType, content, certificates, signers: signerSet.children.map(readSignerInfo) };
}
