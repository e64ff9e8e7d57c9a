/**
 * The official provider index in the database (TrustedProvider, …Domain, …Certificate): an import
 * replaces every LDIF-sourced provider in one transaction, so lookups never see half an index and a
 * failed import leaves the previous copy (spec §1.2: "on failure keep the previous copy").
 * Our own entry (isSelf) and manually added providers are never touched.
 */
import { readCertificate } from '../../mail/pec/cms/certificate';
import { formatProviderLdif, parseProviderLdif } from '../../mail/pec/provider-index';
import type { Config } from '../config';
import type { PrismaClient } from '../db/client';
import { publishedSigningCertificates } from '../certificates/store';

export class ProviderIndexImportError extends Error {
  override name = 'ProviderIndexImportError';
}

export interface ProviderIndexImportResult {
  providers: number;
  domains: number;
  certificates: number;
  /** LDIF-sourced providers there before the import (all replaced) */
  replaced: number;
  /** parser warnings and entries skipped */
  problems: string[];
}

export async function importProviderIndex(
  db: PrismaClient,
  ldif: string | Buffer,
  options: { onProgress?: (text: string) => void } = {},
): Promise<ProviderIndexImportResult> {
  const parsed = parseProviderLdif(ldif);
  const problems = [...parsed.problems];
  const byDn = new Map<string, (typeof parsed.index.providers)[number]>();
  for (const p of parsed.index.providers) {
    const key = p.dn.toLowerCase();
    if (byDn.has(key)) problems.push(`entry "${p.dn}": duplicate DN, the later entry wins`);
    byDn.set(key, p);
  }
  const usable = [...byDn.values()].filter((p) => {
    const ok = p.providerName && p.mailReceipt && p.managedDomains.length > 0 && p.certificates.length > 0;
    if (!ok) problems.push(`entry "${p.dn}": skipped (needs providerName, mailReceipt, managedDomains and a certificate)`);
    return ok;
  });
  if (usable.length === 0) throw new ProviderIndexImportError(`No usable provider entry in the LDIF (${problems.slice(0, 3).join('; ') || 'empty'})`);
  let domains = 0;
  let certificates = 0;
  const replaced = await db.$transaction(
    async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('trusted_providers_import'))`;
      const selfDns = new Set(
        (await tx.trustedProvider.findMany({ where: { OR: [{ isSelf: true }, { source: 'MANUAL' }] }, select: { sourceDn: true } }))
          .map((r) => r.sourceDn?.toLowerCase())
          .filter(Boolean),
      );
      const { count } = await tx.trustedProvider.deleteMany({ where: { source: 'LDIF', isSelf: false } });
      for (const [i, p] of usable.entries()) {
        if (selfDns.has(p.dn.toLowerCase())) {
          problems.push(`entry "${p.dn}": kept the local (own or manual) entry with this DN`);
          continue;
        }
        const certs = [...new Map(p.certificates.map((der) => [readCertificate(der).sha1, readCertificate(der)])).values()];
        await tx.trustedProvider.create({
          data: {
            providerName: p.providerName,
            providerUnit: p.providerUnit,
            mailReceipt: p.mailReceipt ?? '',
            source: 'LDIF',
            sourceDn: p.dn,
            domains: { create: p.managedDomains.map((domain) => ({ domain })) },
            certificates: {
              create: certs.map((c) => ({
                sha1: c.sha1,
                der: new Uint8Array(c.der),
                subject: c.x509.subject.split('\n').filter(Boolean).join(', '),
                notBefore: c.notBefore,
                notAfter: c.notAfter,
              })),
            },
          },
        });
        domains += p.managedDomains.length;
        certificates += certs.length;
        if ((i + 1) % 50 === 0) options.onProgress?.(`${i + 1}/${usable.length} providers`);
      }
      return count;
    },
    { timeout: 120_000 },
  );
  return { providers: usable.length, domains, certificates, replaced, problems };
}

/**
 * Our own record for the index, as LDIF: providerName, the service address as mailReceipt, our
 * verified domains, and every certificate still published (the active one and those overlapping
 * after a rotation).
 */
export async function exportOwnProviderLdif(
  db: PrismaClient,
  config: Config,
  options: { now?: Date; ldifLocationUrl?: string } = {},
): Promise<string> {
  const certs = await publishedSigningCertificates(db, options.now);
  if (certs.length === 0) throw new Error('No signing certificate to publish: run cert:import (or cert:test-ca) first');
  const verified = await db.domain.findMany({ where: { verificationState: 'VERIFIED' }, select: { name: true }, orderBy: { name: 'asc' } });
  const managedDomains = [...new Set([config.provider.mailDomain, ...verified.map((d) => d.name.toLowerCase())])];
  return formatProviderLdif({
    providerName: config.provider.name,
    certificates: certs.map((c) => c.certificatePem),
    mailReceipt: config.provider.serviceAddress,
    managedDomains,
    ldifLocationUrl: options.ldifLocationUrl ?? null,
  });
}
