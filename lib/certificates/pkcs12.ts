/**
 * Reads a PKCS#12 (.p12/.pfx) bundle as delivered by certification authorities: the signing
 * certificate (the one matching the key), its key and the other certificates as chain.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import type { SigningMaterial } from './signing-certificate';

export class Pkcs12Error extends Error {
  override name = 'Pkcs12Error';
}

const toPem = (der: Buffer, label: string): string =>
  `-----BEGIN ${label}-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;

// forge decodes only RSA keys and certificates into objects; others stay as ASN.1, so both paths exist.
function bagDer(bag: forge.pkcs12.Bag, kind: 'key' | 'cert'): Buffer {
  if (kind === 'key' && bag.key) {
    const info = forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(bag.key as forge.pki.rsa.PrivateKey));
    return Buffer.from(forge.asn1.toDer(info).getBytes(), 'binary');
  }
  if (kind === 'cert' && bag.cert) return Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(bag.cert)).getBytes(), 'binary');
  if (bag.asn1) return Buffer.from(forge.asn1.toDer(bag.asn1).getBytes(), 'binary');
  throw new Pkcs12Error(`PKCS#12: unreadable ${kind} bag`);
}

export function readPkcs12(data: Buffer, password: string): SigningMaterial {
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(data.toString('binary')), password);
  } catch (err) {
    throw new Pkcs12Error(`Cannot open the PKCS#12 file (wrong password or not PKCS#12): ${(err as Error).message}`);
  }
  const oids = forge.pki.oids;
  const keyBags = [
    ...(p12.getBags({ bagType: oids.pkcs8ShroudedKeyBag })[oids.pkcs8ShroudedKeyBag] ?? []),
    ...(p12.getBags({ bagType: oids.keyBag })[oids.keyBag] ?? []),
  ];
  if (keyBags.length !== 1) throw new Pkcs12Error(`PKCS#12: expected one private key, found ${keyBags.length}`);
  const key = createPrivateKey({ key: bagDer(keyBags[0], 'key'), format: 'der', type: 'pkcs8' });
  const certs = (p12.getBags({ bagType: oids.certBag })[oids.certBag] ?? []).map(
    (b) => new X509Certificate(bagDer(b, 'cert')),
  );
  const leaf = certs.find((c) => c.checkPrivateKey(key));
  if (!leaf) throw new Pkcs12Error('PKCS#12: no certificate matches the private key');
  const chain = certs.filter((c) => c !== leaf && !c.raw.equals(leaf.raw));
  return {
    certPem: toPem(leaf.raw, 'CERTIFICATE'),
    keyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    chainPem: chain.length > 0 ? chain.map((c) => toPem(c.raw, 'CERTIFICATE')).join('') : undefined,
  };
}
