/**
 * First-start data: the provider organization (named from the configuration), its provider-shared
 * mail domain, and a provider admin with a random password shown once. Never a fixed default
 * password. Idempotent: once the provider organization exists, seeding creates and prints nothing.
 */
import { randomBytes } from 'node:crypto';
import { getConfig, type Config } from '../config';
import { generatePassword, hashPassword } from '../passwords';
import { getPrisma, type PrismaClient } from './client';

export interface SeededCredentials {
  organizationId: string;
  domain: string;
  adminEmail: string;
  /** the only copy of the admin password: it is stored hashed */
  adminPassword: string;
}

/** Seeds when the database has no provider organization yet; returns the new credentials, or undefined. */
export async function seedDatabase(
  config: Config = getConfig(),
  db: PrismaClient = getPrisma(),
): Promise<SeededCredentials | undefined> {
  const adminEmail = `admin@${config.provider.mailDomain}`;
  const adminPassword = generatePassword();
  const passwordHash = await hashPassword(adminPassword);
  return db.$transaction(async (tx) => {
    // two processes starting together must not both seed
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('pec_seed'))`;
    if ((await tx.organization.count({ where: { kind: 'PROVIDER' } })) > 0) return undefined;
    const organization = await tx.organization.create({
      data: { kind: 'PROVIDER', name: config.provider.name, requireTotpForAdmins: false },
    });
    // The operator declared this domain in the configuration: it is not a customer's claim to verify.
    await tx.domain.create({
      data: {
        name: config.provider.mailDomain,
        kind: 'PROVIDER_SHARED',
        organizationId: organization.id,
        verificationState: 'VERIFIED',
        verificationToken: randomBytes(16).toString('hex'),
        verifiedAt: new Date(),
      },
    });
    await tx.user.create({
      data: {
        email: adminEmail,
        displayName: 'Provider administrator',
        role: 'PROVIDER_ADMIN',
        organizationId: organization.id,
        passwordHash,
        mustChangePassword: true,
      },
    });
    await tx.auditEvent.create({
      data: {
        action: 'seed.create',
        entityType: 'Organization',
        entityId: organization.id,
        organizationId: organization.id,
        after: { provider: config.provider.name, domain: config.provider.mailDomain, admin: adminEmail },
      },
    });
    return { organizationId: organization.id, domain: config.provider.mailDomain, adminEmail, adminPassword };
  });
}

/** The once-only notice of the first admin's credentials. */
export function formatSeededCredentials(seeded: SeededCredentials): string {
  return [
    '',
    '=== First start: provider administrator created ===',
    `  login:    ${seeded.adminEmail}`,
    `  password: ${seeded.adminPassword}`,
    '  This password is shown only now: change it after the first login.',
    '====================================================',
    '',
  ].join('\n');
}
