/**
 * The provider's signing certificates in the ProviderCertificate table. At most one is active (new
 * messages are signed with it). A rotation activates the new one and keeps the old one published
 * in the provider index until it expires (`overlapUntil`), so receivers still verify messages
 * signed just before the switch (spec §1.2, certificate rollover).
 */
import type { PrismaClient } from '../db/client';
import { checkSigningCertificate, type CheckedCertificate, type SigningMaterial } from './signing-certificate';

export class CertificateStoreError extends Error {
  override name = 'CertificateStoreError';
}

export interface ImportOptions {
  serviceAddress: string;
  label?: string;
  now?: Date;
}

export interface StoredCertificate {
  id: string;
  sha1: string;
  subject: string;
  notBefore: Date;
  notAfter: Date;
  active: boolean;
  overlapUntil: Date | null;
}

type Tx = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

async function insert(tx: Tx, material: SigningMaterial, checked: CheckedCertificate, label: string | undefined, now: Date): Promise<StoredCertificate> {
  if (await tx.providerCertificate.findUnique({ where: { sha1: checked.sha1 } })) {
    throw new CertificateStoreError(`Certificate ${checked.sha1} is already stored`);
  }
  return tx.providerCertificate.create({
    data: {
      label: label ?? null,
      certificatePem: material.certPem,
      chainPem: material.chainPem ?? null,
      privateKeyPem: material.keyPem,
      sha1: checked.sha1,
      subject: checked.subject,
      issuer: checked.issuer,
      serialNumber: checked.serialNumber,
      notBefore: checked.notBefore,
      notAfter: checked.notAfter,
      active: true,
      activatedAt: now,
    },
  });
}

const lockCertificates = (tx: Tx): Promise<number> =>
  tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('provider_certificates'))`;

/** Checks and stores the first signing certificate, active. Refuses when one is already active. */
export async function importSigningCertificate(
  db: PrismaClient,
  material: SigningMaterial,
  options: ImportOptions,
): Promise<StoredCertificate> {
  const now = options.now ?? new Date();
  const checked = checkSigningCertificate(material, { serviceAddress: options.serviceAddress, now });
  return db.$transaction(async (tx) => {
    await lockCertificates(tx);
    const active = await tx.providerCertificate.findFirst({ where: { active: true } });
    if (active) {
      throw new CertificateStoreError(
        `A signing certificate is already active (${active.sha1}, until ${active.notAfter.toISOString()}): use cert:rotate to replace it`,
      );
    }
    return insert(tx, material, checked, options.label, now);
  });
}

/**
 * Checks and stores a new certificate and makes it the active one; the previous active certificate
 * stays published until it expires. Returns the new certificate and the one it replaced.
 */
export async function rotateSigningCertificate(
  db: PrismaClient,
  material: SigningMaterial,
  options: ImportOptions,
): Promise<{ activated: StoredCertificate; retired: StoredCertificate | null }> {
  const now = options.now ?? new Date();
  const checked = checkSigningCertificate(material, { serviceAddress: options.serviceAddress, now });
  return db.$transaction(async (tx) => {
    await lockCertificates(tx);
    const previous = await tx.providerCertificate.findFirst({ where: { active: true } });
    const retired = previous
      ? await tx.providerCertificate.update({
          where: { id: previous.id },
          data: { active: false, overlapUntil: previous.notAfter },
        })
      : null;
    return { activated: await insert(tx, material, checked, options.label, now), retired };
  });
}

/** The certificate, key and chain to sign with, or undefined when none is active. */
export async function activeSigningMaterial(db: PrismaClient): Promise<SigningMaterial | undefined> {
  const row = await db.providerCertificate.findFirst({ where: { active: true } });
  if (!row) return undefined;
  if (!row.privateKeyPem) {
    throw new CertificateStoreError(`Active certificate ${row.sha1} has no stored key (reference ${row.privateKeyRef ?? 'none'})`);
  }
  return { certPem: row.certificatePem, keyPem: row.privateKeyPem, chainPem: row.chainPem ?? undefined };
}

/** Certificates to publish in our index record: the active one and those still overlapping, unexpired. */
export async function publishedSigningCertificates(
  db: PrismaClient,
  now: Date = new Date(),
): Promise<{ sha1: string; certificatePem: string; active: boolean; notAfter: Date }[]> {
  return db.providerCertificate.findMany({
    where: { notAfter: { gt: now }, OR: [{ active: true }, { overlapUntil: { gt: now } }] },
    orderBy: { notBefore: 'asc' },
    select: { sha1: true, certificatePem: true, active: true, notAfter: true },
  });
}
