/**
 * What a verifier trusts: anchor certificates (a CA, or a provider's own signing certificate) and,
 * optionally, the provider index that ties signing certificates to providers and domains.
 * `readTrustMaterial` recognises the formats `pec inspect --trust` accepts by content, not name.
 */
import { readCertificate, pemCertificates, type CertificateInfo } from './cms/certificate';
import { readSignedData } from './cms/signed-data';
import { parseProviderLdif, type ProviderIndex } from './provider-index';
import { verifyCms } from './smime-verify';

export interface TrustStore {
  /** Certificates a chain may end at. */
  anchors: CertificateInfo[];
  /** When set, signers must be listed here and their provider must manage the sender domain. */
  index: ProviderIndex | null;
}

export function createTrustStore(
  input: { certificates?: Buffer[]; index?: ProviderIndex | null } = {},
): TrustStore {
  const index = input.index ?? null;
  const ders = [...(input.certificates ?? []), ...(index?.certificates() ?? [])];
  const seen = new Set<string>();
  const anchors: CertificateInfo[] = [];
  for (const der of ders) {
    const c = readCertificate(der);
    if (!seen.has(c.sha1)) {
      seen.add(c.sha1);
      anchors.push(c);
    }
  }
  return { anchors, index };
}

/** Joins stores: anchors are pooled, indexes merged. */
export function mergeTrustStores(stores: TrustStore[]): TrustStore {
  let index: ProviderIndex | null = null;
  for (const s of stores) if (s.index) index = index ? index.merge(s.index) : s.index;
  return createTrustStore({ certificates: stores.flatMap((s) => s.anchors.map((a) => a.der)), index });
}

export class TrustMaterialError extends Error {
  override name = 'TrustMaterialError';
}

export interface TrustMaterial {
  format: 'pem' | 'der-certificate' | 'ldif' | 'signed-ldif';
  store: TrustStore;
  problems: string[];
}

function looksLikeLdif(text: string): boolean {
  return /^dn::?\s/im.test(text) && /o=postacert/i.test(text);
}

/**
 * Reads trust material by content: PEM certificates (one or several), a DER certificate, the
 * index LDIF, or the index LDIF wrapped in signed CMS (`igpec.ldif.p7m`: the signature must be
 * intact; its signer is reported but not judged, the operator chose the file). Throws
 * TrustMaterialError.
 */
export function readTrustMaterial(bytes: Buffer): TrustMaterial {
  // DER first: a signed LDIF also holds the LDIF text in clear.
  if (bytes[0] === 0x30) {
    try {
      return {
        format: 'der-certificate',
        store: createTrustStore({ certificates: [readCertificate(bytes).der] }),
        problems: [],
      };
    } catch {
      // not a certificate: maybe the signed LDIF
    }
    let content: Buffer | null = null;
    try {
      content = readSignedData(bytes).content;
    } catch {
      // not CMS either
    }
    if (content && looksLikeLdif(content.toString('utf8'))) {
      // Only integrity is checked: who may sign the directory is not published (spec §1.2).
      const verdict = verifyCms(bytes, null);
      if (!verdict.intact)
        throw new TrustMaterialError(
          `signed LDIF: signature not intact (${verdict.code}: ${verdict.detail})`,
        );
      const parsed = parseProviderLdif(content);
      const signer = `signed LDIF: signed by ${verdict.signer?.subject ?? 'unknown'} (signer not checked against a trust anchor)`;
      return {
        format: 'signed-ldif',
        store: createTrustStore({ index: parsed.index }),
        problems: [signer, ...parsed.problems],
      };
    }
  }
  const text = bytes.toString('utf8');
  if (looksLikeLdif(text)) {
    const parsed = parseProviderLdif(bytes);
    if (parsed.index.providers.length === 0) throw new TrustMaterialError('LDIF holds no provider entry');
    return { format: 'ldif', store: createTrustStore({ index: parsed.index }), problems: parsed.problems };
  }
  if (text.includes('-----BEGIN')) {
    const ders = pemCertificates(text);
    if (ders.length === 0) throw new TrustMaterialError('PEM text holds no certificate');
    try {
      return { format: 'pem', store: createTrustStore({ certificates: ders }), problems: [] };
    } catch (err) {
      throw new TrustMaterialError(`bad PEM certificate: ${(err as Error).message}`);
    }
  }
  throw new TrustMaterialError('not a PEM/DER certificate nor a provider index LDIF');
}
