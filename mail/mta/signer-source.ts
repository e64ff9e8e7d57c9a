/**
 * The MTA's signer: the active ProviderCertificate of the database (cert:import, cert:rotate, the
 * portal) when there is one, else the key and certificate files (PEC_SIGNING_KEY_FILE,
 * PEC_SIGNING_CERT_FILE; signing certificate first, chain after). The key must match the
 * certificate: a broken new configuration is refused here, so the previous signer stays.
 */
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Config } from '@/lib/config';
import type { PrismaClient } from '@/lib/db/client';
import { activeSigningMaterial } from '@/lib/certificates/store';
import type { SigningMaterial } from '@/lib/certificates/signing-certificate';
import { createSigner, type Signer } from '@/mail/pec';

export interface SignerSnapshot {
  signer: Signer;
  source: 'database' | 'files';
  /** lower-case hex SHA-1 of the signing certificate */
  sha1: string;
  notAfter: Date;
}

const pemBlock = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function materialFromFiles(config: Config): SigningMaterial {
  const { signingCertFile, signingKeyFile } = config.pki;
  const [leaf, ...chain] = readFileSync(signingCertFile, 'utf8').match(pemBlock) ?? [];
  if (!leaf) throw new Error(`${signingCertFile}: no certificate`);
  return { certPem: leaf, keyPem: readFileSync(signingKeyFile, 'utf8'), chainPem: chain.join('\n') };
}

export async function loadSignerSnapshot(config: Config, db: PrismaClient): Promise<SignerSnapshot> {
  const stored = await activeSigningMaterial(db);
  const material = stored ?? materialFromFiles(config);
  const source = stored ? 'database' : 'files';
  const x509 = new X509Certificate(material.certPem);
  const fromKey = createPublicKey(createPrivateKey(material.keyPem)).export({ type: 'spki', format: 'der' });
  if (!fromKey.equals(x509.publicKey.export({ type: 'spki', format: 'der' }))) {
    throw new Error(`signing key (${source}) does not belong to certificate ${x509.fingerprint}`);
  }
  return {
    signer: createSigner({ keyPem: material.keyPem, certPem: material.certPem, chainPem: material.chainPem }),
    source,
    sha1: x509.fingerprint.replace(/:/g, '').toLowerCase(),
    notAfter: new Date(x509.validTo),
  };
}
