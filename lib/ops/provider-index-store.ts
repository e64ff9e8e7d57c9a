/**
 * The official provider index in the database (TrustedProvider, …Domain, …Certificate): an import
 * replaces every LDIF-sourced provider in one transaction, so lookups never see half an index and a
 * failed import leaves the previous copy (spec §1.2: "on failure keep the previous copy").
 * Our own entry (isSelf) and manually added providers are never touched; an LDIF entry the provider
 * admin disabled stays disabled. Every change NOTIFYs `trusted_provider:…` in its transaction, so
 * running MTAs reload their trust within seconds (mail/mta/trust-source.ts).
 */
import { pemCertificates, readCertificate } from '../../mail/pec/cms/certificate';
import { formatProviderLdif, normalizeDomain, parseProviderLdif, ProviderIndex, type ProviderRecord } from '../../mail/pec/provider-index';
import { randomUUID } from 'node:crypto';
import type { CertificateInfo } from '../../mail/pec/cms/certificate';
import type { Prisma, PrismaClient } from '../../prisma/generated/client';
import type { Config } from '../config';
import { notifyConfigChanged } from '../db/config-changes';
import { publishedSigningCertificates } from '../certificates/store';

type Tx = Prisma.TransactionClient;
type Db = PrismaClient | Tx;

/** Runs fn in a new transaction, or in the caller's (a portal action's) when given one. */
function inTransaction<R>(db: Db, fn: (tx: Tx) => Promise<R>, timeout?: number): Promise<R> {
  return '$transaction' in db ? db.$transaction(fn, timeout ? { timeout } : undefined) : fn(db);
}

const certificateColumns = (c: CertificateInfo) => ({
  sha1: c.sha1,
  der: new Uint8Array(c.der),
  subject: c.x509.subject.split('\n').filter(Boolean).join(', '),
  notBefore: c.notBefore,
  notAfter: c.notAfter,
});

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
  db: Db,
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
  const replaced = await inTransaction(
    db,
    async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('trusted_providers_import'))`;
      const kept = await tx.trustedProvider.findMany({
        where: { OR: [{ isSelf: true }, { source: 'MANUAL' }, { disabled: true }] },
        select: { sourceDn: true, source: true, isSelf: true, disabled: true, disabledAt: true },
      });
      const localDns = new Set(kept.filter((r) => r.isSelf || r.source === 'MANUAL').map((r) => r.sourceDn?.toLowerCase()).filter(Boolean));
      // an entry the provider admin disabled stays disabled when the next index brings it again
      const disabledAt = new Map(kept.filter((r) => r.source === 'LDIF' && r.disabled && r.sourceDn).map((r) => [r.sourceDn!.toLowerCase(), r.disabledAt]));
      const { count } = await tx.trustedProvider.deleteMany({ where: { source: 'LDIF', isSelf: false } });
      // three bulk inserts whatever the size of the index: the import fits a portal action's transaction
      const rows = { providers: [] as Prisma.TrustedProviderCreateManyInput[], domains: [] as Prisma.TrustedProviderDomainCreateManyInput[], certs: [] as Prisma.TrustedProviderCertificateCreateManyInput[] };
      for (const p of usable) {
        const dn = p.dn.toLowerCase();
        if (localDns.has(dn)) {
          problems.push(`entry "${p.dn}": kept the local (own or manual) entry with this DN`);
          continue;
        }
        const id = randomUUID();
        const certs = [...new Map(p.certificates.map((der) => [readCertificate(der).sha1, readCertificate(der)])).values()];
        rows.providers.push({
          id,
          providerName: p.providerName,
          providerUnit: p.providerUnit,
          mailReceipt: p.mailReceipt ?? '',
          source: 'LDIF',
          sourceDn: p.dn,
          disabled: disabledAt.has(dn),
          disabledAt: disabledAt.get(dn) ?? null,
        });
        rows.domains.push(...p.managedDomains.map((domain) => ({ providerId: id, domain })));
        rows.certs.push(...certs.map((c) => ({ providerId: id, ...certificateColumns(c) })));
        domains += p.managedDomains.length;
        certificates += certs.length;
      }
      await tx.trustedProvider.createMany({ data: rows.providers });
      await tx.trustedProviderDomain.createMany({ data: rows.domains });
      await tx.trustedProviderCertificate.createMany({ data: rows.certs });
      options.onProgress?.(`${rows.providers.length}/${usable.length} providers written`);
      await notifyConfigChanged(tx, 'trusted_provider', 'index');
      return count;
    },
    120_000,
  );
  return { providers: usable.length, domains, certificates, replaced, problems };
}

/**
 * Our own record for the index, as LDIF: providerName, the service address as mailReceipt, our
 * verified domains, and every certificate still published (the active one and those overlapping
 * after a rotation).
 */
export async function exportOwnProviderLdif(
  db: Db,
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

// ---------------------------------------------------------------- manual entries (portal)

export type TrustedProviderProblem = 'no-certificate' | 'bad-certificate' | 'bad-domain' | 'domain-taken' | 'not-editable' | 'not-found';

export class TrustedProviderError extends Error {
  override name = 'TrustedProviderError';
  constructor(
    readonly code: TrustedProviderProblem,
    message: string,
    /** the form field the problem is about */
    readonly field?: 'providerName' | 'mailReceipt' | 'domains' | 'certificates',
  ) {
    super(message);
  }
}

export interface ManualProviderInput {
  providerName: string;
  providerUnit?: string | null;
  mailReceipt: string;
  /** managedDomains, any case */
  domains: string[];
  /** PEM text with one or more signing certificates; on an edit, empty keeps the stored ones */
  certificatesPem?: string;
}

const domainPattern = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

function readCertificates(pem: string): CertificateInfo[] {
  const ders = pemCertificates(pem);
  if (ders.length === 0) throw new TrustedProviderError('no-certificate', 'No PEM certificate given', 'certificates');
  try {
    return [...new Map(ders.map((der) => readCertificate(der)).map((c) => [c.sha1, c])).values()];
  } catch (err) {
    throw new TrustedProviderError('bad-certificate', `Unreadable certificate: ${(err as Error).message}`, 'certificates');
  }
}

/**
 * Adds (no id) or edits a manually maintained provider: its domains and certificates are replaced.
 * LDIF entries are not editable here (the next import would undo it; disable them instead). A domain
 * already managed by another enabled provider is refused: lookups by domain must have one answer.
 */
export async function saveManualProvider(db: Db, input: ManualProviderInput, id?: string): Promise<{ id: string; providerName: string }> {
  const domains = [...new Set(input.domains.map(normalizeDomain).filter(Boolean))];
  const bad = domains.find((d) => !domainPattern.test(d));
  if (bad !== undefined || domains.length === 0) {
    throw new TrustedProviderError('bad-domain', bad ? `Not a domain name: ${bad}` : 'At least one managed domain is needed', 'domains');
  }
  const certs = input.certificatesPem?.trim() ? readCertificates(input.certificatesPem) : null;
  if (!id && !certs) throw new TrustedProviderError('no-certificate', 'A new provider needs its signing certificate', 'certificates');
  return inTransaction(db, async (tx) => {
    if (id) {
      const existing = await tx.trustedProvider.findUnique({ where: { id }, select: { source: true, isSelf: true } });
      if (!existing) throw new TrustedProviderError('not-found', `No trusted provider ${id}`);
      if (existing.source !== 'MANUAL' || existing.isSelf) {
        throw new TrustedProviderError('not-editable', 'Entries from the official index are replaced at each import: disable them instead');
      }
    }
    const taken = await tx.trustedProviderDomain.findFirst({
      where: { domain: { in: domains }, provider: { disabled: false, ...(id ? { id: { not: id } } : {}) } },
      select: { domain: true, provider: { select: { providerName: true } } },
    });
    if (taken) {
      throw new TrustedProviderError('domain-taken', `${taken.domain} is already managed by ${taken.provider.providerName}`, 'domains');
    }
    const data = {
      providerName: input.providerName.trim(),
      providerUnit: input.providerUnit?.trim() || null,
      mailReceipt: input.mailReceipt.trim().toLowerCase(),
    };
    const saved = id
      ? await tx.trustedProvider.update({ where: { id }, data, select: { id: true, providerName: true } })
      : await tx.trustedProvider.create({ data: { ...data, source: 'MANUAL' }, select: { id: true, providerName: true } });
    await tx.trustedProviderDomain.deleteMany({ where: { providerId: saved.id } });
    await tx.trustedProviderDomain.createMany({ data: domains.map((domain) => ({ providerId: saved.id, domain })) });
    if (certs) {
      await tx.trustedProviderCertificate.deleteMany({ where: { providerId: saved.id } });
      await tx.trustedProviderCertificate.createMany({ data: certs.map((c) => ({ providerId: saved.id, ...certificateColumns(c) })) });
    }
    await notifyConfigChanged(tx, 'trusted_provider', saved.id);
    return saved;
  });
}

/** Disables (the MTA ignores it, imports keep it disabled) or re-enables a provider. */
export async function setTrustedProviderDisabled(db: Db, id: string, disabled: boolean, now: Date = new Date()): Promise<{ id: string; disabled: boolean }> {
  return inTransaction(db, async (tx) => {
    const row = await tx.trustedProvider.findUnique({ where: { id }, select: { id: true, isSelf: true } });
    if (!row) throw new TrustedProviderError('not-found', `No trusted provider ${id}`);
    if (row.isSelf) throw new TrustedProviderError('not-editable', 'Our own entry follows our signing certificates');
    const saved = await tx.trustedProvider.update({
      where: { id },
      data: { disabled, disabledAt: disabled ? now : null },
      select: { id: true, disabled: true },
    });
    await notifyConfigChanged(tx, 'trusted_provider', id);
    return saved;
  });
}

/**
 * The enabled providers of the database as a ProviderIndex (what the MTA trusts), plus the DNs of
 * the disabled ones, so a file-based index can drop them too.
 */
export async function trustedProviderIndex(db: Db): Promise<{ index: ProviderIndex; disabledDns: Set<string> }> {
  const rows = await db.trustedProvider.findMany({
    include: { domains: { select: { domain: true } }, certificates: { select: { sha1: true, der: true } } },
    orderBy: [{ providerName: 'asc' }, { id: 'asc' }],
  });
  const disabledDns = new Set(rows.filter((r) => r.disabled && r.sourceDn).map((r) => r.sourceDn!.toLowerCase()));
  const records: ProviderRecord[] = rows
    .filter((r) => !r.disabled)
    .map((r) => ({
      dn: r.sourceDn ?? `providerName=${r.providerName},o=postacert`,
      providerName: r.providerName,
      providerUnit: r.providerUnit,
      certificates: r.certificates.map((c) => Buffer.from(c.der)),
      certificateHashes: r.certificates.map((c) => c.sha1.trim().toLowerCase()),
      mailReceipt: r.mailReceipt || null,
      managedDomains: r.domains.map((d) => normalizeDomain(d.domain)),
      ldifLocationUrl: null,
      description: null,
    }));
  return { index: new ProviderIndex(records), disabledDns };
}
