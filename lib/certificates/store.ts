/**
 * The provider's signing certificates in the ProviderCertificate table. At most one is active (new
 * messages are signed with it). A rotation activates the new one and keeps the old one published
 * in the provider index until it expires (`overlapUntil`), so receivers still verify messages
 * signed just before the switch (spec §1.2, certificate rollover). A certificate can also be staged
 * ("next": stored, checked, not yet active) and activated later.
 *
 * Every change NOTIFYs `certificate:<sha1>` in its transaction (lib/db/config-changes), so running
 * MTAs switch signer within seconds. Functions take the client or a transaction (portal actions run
 * inside the audit transaction).
 */
import type { Prisma, PrismaClient } from '../../prisma/generated/client';
import { notifyConfigChanged } from '../db/config-changes';
import { checkSigningCertificate, type CheckedCertificate, type SigningMaterial } from './signing-certificate';

export class CertificateStoreError extends Error {
  override name = 'CertificateStoreError';
  constructor(
    message: string,
    /** stable reason for the portal's messages */
    readonly code: 'duplicate' | 'already-active' | 'not-found' | 'not-valid-now' | 'no-key' = 'duplicate',
  ) {
    super(message);
  }
}

export interface ImportOptions {
  serviceAddress: string;
  label?: string;
  now?: Date;
}

/** A stored certificate without its key: safe to show, log and put in the audit trail. */
export interface StoredCertificate {
  id: string;
  label: string | null;
  sha1: string;
  subject: string;
  issuer: string;
  notBefore: Date;
  notAfter: Date;
  active: boolean;
  activatedAt: Date | null;
  overlapUntil: Date | null;
}

type Tx = Prisma.TransactionClient;
type Db = PrismaClient | Tx;

const safeFields = {
  id: true,
  label: true,
  sha1: true,
  subject: true,
  issuer: true,
  notBefore: true,
  notAfter: true,
  active: true,
  activatedAt: true,
  overlapUntil: true,
} as const;

/** Runs fn in a new transaction, or in the caller's when given one. */
function inTransaction<R>(db: Db, fn: (tx: Tx) => Promise<R>): Promise<R> {
  return '$transaction' in db ? db.$transaction(fn) : fn(db);
}

async function insert(
  tx: Tx,
  material: SigningMaterial,
  checked: CheckedCertificate,
  label: string | undefined,
  activateAt: Date | null,
): Promise<StoredCertificate> {
  if (await tx.providerCertificate.findUnique({ where: { sha1: checked.sha1 }, select: { id: true } })) {
    throw new CertificateStoreError(`Certificate ${checked.sha1} is already stored`, 'duplicate');
  }
  const row = await tx.providerCertificate.create({
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
      active: activateAt !== null,
      activatedAt: activateAt,
    },
    select: safeFields,
  });
  await notifyConfigChanged(tx, 'certificate', row.sha1);
  return row;
}

const lockCertificates = (tx: Tx): Promise<number> =>
  tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('provider_certificates'))`;

/** Retires the active certificate (kept published until it expires); returns it, or null. */
async function retireActive(tx: Tx): Promise<StoredCertificate | null> {
  const previous = await tx.providerCertificate.findFirst({ where: { active: true }, select: { id: true, notAfter: true } });
  if (!previous) return null;
  return tx.providerCertificate.update({
    where: { id: previous.id },
    data: { active: false, overlapUntil: previous.notAfter },
    select: safeFields,
  });
}

/** Checks and stores the first signing certificate, active. Refuses when one is already active. */
export async function importSigningCertificate(db: Db, material: SigningMaterial, options: ImportOptions): Promise<StoredCertificate> {
  const now = options.now ?? new Date();
  const checked = checkSigningCertificate(material, { serviceAddress: options.serviceAddress, now });
  return inTransaction(db, async (tx) => {
    await lockCertificates(tx);
    const active = await tx.providerCertificate.findFirst({ where: { active: true } });
    if (active) {
      throw new CertificateStoreError(
        `A signing certificate is already active (${active.sha1}, until ${active.notAfter.toISOString()}): use cert:rotate to replace it`,
        'already-active',
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
  db: Db,
  material: SigningMaterial,
  options: ImportOptions,
): Promise<{ activated: StoredCertificate; retired: StoredCertificate | null }> {
  const now = options.now ?? new Date();
  const checked = checkSigningCertificate(material, { serviceAddress: options.serviceAddress, now });
  return inTransaction(db, async (tx) => {
    await lockCertificates(tx);
    const retired = await retireActive(tx);
    return { activated: await insert(tx, material, checked, options.label, now), retired };
  });
}

/**
 * Checks and stores a certificate for a later rotation (it may start in the future), inactive.
 * It is published in our index record only once activated.
 */
export async function stageSigningCertificate(db: Db, material: SigningMaterial, options: ImportOptions): Promise<StoredCertificate> {
  const now = options.now ?? new Date();
  const checked = checkSigningCertificate(material, { serviceAddress: options.serviceAddress, now, allowNotYetValid: true });
  return inTransaction(db, async (tx) => {
    await lockCertificates(tx);
    return insert(tx, material, checked, options.label, null);
  });
}

/** Makes a stored (staged or earlier) certificate the active one: the same rollover as a rotation. */
export async function activateSigningCertificate(
  db: Db,
  id: string,
  options: { now?: Date } = {},
): Promise<{ activated: StoredCertificate; retired: StoredCertificate | null }> {
  const now = options.now ?? new Date();
  return inTransaction(db, async (tx) => {
    await lockCertificates(tx);
    const row = await tx.providerCertificate.findUnique({ where: { id } });
    if (!row) throw new CertificateStoreError(`No certificate ${id}`, 'not-found');
    if (row.active) throw new CertificateStoreError(`Certificate ${row.sha1} is already the active one`, 'already-active');
    if (now < row.notBefore || now > row.notAfter) {
      throw new CertificateStoreError(
        `Certificate ${row.sha1} is valid from ${row.notBefore.toISOString()} to ${row.notAfter.toISOString()}, not now`,
        'not-valid-now',
      );
    }
    if (!row.privateKeyPem) throw new CertificateStoreError(`Certificate ${row.sha1} has no stored key`, 'no-key');
    const retired = await retireActive(tx);
    const activated = await tx.providerCertificate.update({
      where: { id },
      data: { active: true, activatedAt: now, overlapUntil: null },
      select: safeFields,
    });
    await notifyConfigChanged(tx, 'certificate', activated.sha1);
    return { activated, retired };
  });
}

/** The certificate, key and chain to sign with, or undefined when none is active. */
export async function activeSigningMaterial(db: Db): Promise<SigningMaterial | undefined> {
  const row = await db.providerCertificate.findFirst({ where: { active: true } });
  if (!row) return undefined;
  if (!row.privateKeyPem) {
    throw new CertificateStoreError(`Active certificate ${row.sha1} has no stored key (reference ${row.privateKeyRef ?? 'none'})`, 'no-key');
  }
  return { certPem: row.certificatePem, keyPem: row.privateKeyPem, chainPem: row.chainPem ?? undefined };
}

/** Certificates to publish in our index record: the active one and those still overlapping, unexpired. */
export async function publishedSigningCertificates(
  db: Db,
  now: Date = new Date(),
): Promise<{ sha1: string; certificatePem: string; active: boolean; notAfter: Date }[]> {
  return db.providerCertificate.findMany({
    where: { notAfter: { gt: now }, OR: [{ active: true }, { overlapUntil: { gt: now } }] },
    orderBy: { notBefore: 'asc' },
    select: { sha1: true, certificatePem: true, active: true, notAfter: true },
  });
}

export type CertificateStatus = 'active' | 'next' | 'published' | 'retired' | 'expired';

export interface ListedCertificate extends StoredCertificate {
  status: CertificateStatus;
  /** whole days until notAfter (negative once expired) */
  daysToExpiry: number;
}

/**
 * Every stored certificate with its status: active (signing), next (staged, never activated),
 * published (retired, still in our index record until it expires), retired, expired.
 */
export async function listSigningCertificates(db: Db, now: Date = new Date()): Promise<ListedCertificate[]> {
  const rows = await db.providerCertificate.findMany({ select: safeFields, orderBy: [{ active: 'desc' }, { notAfter: 'desc' }] });
  return rows.map((r) => {
    const status: CertificateStatus = r.active
      ? 'active'
      : r.notAfter <= now
        ? 'expired'
        : !r.activatedAt
          ? 'next'
          : r.overlapUntil && r.overlapUntil > now
            ? 'published'
            : 'retired';
    return { ...r, status, daysToExpiry: Math.floor((r.notAfter.getTime() - now.getTime()) / 86_400_000) };
  });
}

